// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// The pickle codec against Python 3's own pickle: fixtures are made by python3 in the
// test (never pasted), and our encodings are loaded by python3.
#include "internal/pickle.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <string>

#include "modal/errors.h"
#include "modal/value.h"
#include "testing_util/shell.h"

namespace modal::internal {
namespace {

using ::testing::HasSubstr;
using namespace std::string_literals;

std::string run(std::string const& cmd) { return testing_util::run_command(cmd); }
std::string hex(std::string_view s) { return testing_util::to_hex(s); }
std::string unhex(std::string const& s) { return testing_util::from_hex(s); }

/// pickle.dumps(<expr>, protocol) made by python3.
std::string python_pickle(std::string const& expr, int protocol) {
  auto out = run("python3 -c 'import pickle,sys; sys.stdout.write(pickle.dumps(" + expr + ", " +
                 std::to_string(protocol) + ").hex())'");
  EXPECT_FALSE(out.empty()) << "python3 produced nothing for " << expr;
  return unhex(out);
}

/// Whether python3 loads `data` to a value equal to <expr> (and of the same type).
bool python_loads_equal(std::string const& data, std::string const& expr) {
  auto out = run("python3 -c 'import pickle,math; v = pickle.loads(bytes.fromhex(\"" + hex(data) +
                 "\")); e = " + expr + "; print(type(v) is type(e) and v == e)'");
  return out == "True\n";
}

TEST(PickleTest, PythonIsThere) { EXPECT_EQ(run("python3 -c 'print(1)'"), "1\n"); }

struct Case {
  std::string expr;
  Value value;
};

std::vector<Case> cases() {
  return {
      {"None", Value()},
      {"True", Value(true)},
      {"False", Value(false)},
      {"0", Value(0)},
      {"-1", Value(-1)},
      {"255", Value(255)},
      {"256", Value(256)},
      {"65536", Value(65536)},
      {"2**31", Value(std::int64_t{1} << 31)},
      {"-2**31-1", Value(-(std::int64_t{1} << 31) - 1)},
      {"2**63-1", Value(INT64_MAX)},
      {"-2**63", Value(INT64_MIN)},
      {"2**63", Value::big_int("9223372036854775808")},
      {"-2**63-1", Value::big_int("-9223372036854775809")},
      {"2**64-1", Value(std::numeric_limits<std::uint64_t>::max())},
      {"1.5", Value(1.5)},
      {"-0.0", Value(-0.0)},
      {R"(float("inf"))", Value(std::numeric_limits<double>::infinity())},
      {R"(float("-inf"))", Value(-std::numeric_limits<double>::infinity())},
      {R"("")", Value("")},
      {R"("h\u00e9llo \u20ac \U0001f600")", Value("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80")},
      {R"(b"")", Value::bytes("")},
      {"bytes(range(256))",
       [] {
         std::string s;
         for (int i = 0; i < 256; ++i) s += static_cast<char>(i);
         return Value::bytes(s);
       }()},
      {"[]", Value::list({})},
      {"()", Value::tuple({})},
      {"{}", Value::dict({})},
      {"(1,)", Value::tuple({1})},
      {"(1, 2, 3, 4)", Value::tuple({1, 2, 3, 4})},
      {R"([1, [2, [3, []]], ("x", b"y")])",
       Value::list({1, Value::list({2, Value::list({3, Value::list({})})}),
                    Value::tuple({"x", Value::bytes("y")})})},
      {R"({"a": 1, "b": [1, 2.5, "x"]})", Value{{"a", 1}, {"b", Value::list({1, 2.5, "x"})}}},
      {R"({1: "one", (2, 3): None})", Value::dict({{1, "one"}, {Value::tuple({2, 3}), Value()}})},
      {"list(range(2500))",
       [] {
         std::vector<Value> v;
         v.reserve(2500);
         for (int i = 0; i < 2500; ++i) v.emplace_back(i);
         return Value::list(std::move(v));
       }()},
  };
}

TEST(PickleTest, ReadsWhatPythonWritesInEveryProtocol) {
  for (auto const& c : cases()) {
    for (int protocol = 0; protocol <= 5; ++protocol) {
      auto data = python_pickle(c.expr, protocol);
      Value v;
      ASSERT_NO_THROW(v = pickle_decode(data)) << c.expr << " protocol " << protocol;
      EXPECT_EQ(v, c.value) << c.expr << " protocol " << protocol << ": got " << v;
    }
  }
}

TEST(PickleTest, PythonReadsWhatWeWrite) {
  for (auto const& c : cases()) {
    EXPECT_TRUE(python_loads_equal(pickle_encode(c.value), c.expr)) << c.expr;
    EXPECT_EQ(pickle_decode(pickle_encode(c.value)), c.value) << c.expr;
  }
}

TEST(PickleTest, BigIntsRoundTrip) {
  for (std::string expr : {"2**1000", "-(2**1000)", "-(2**1000)+1", "2**(8*255)", "-2**(8*256)"}) {
    auto digits = run("python3 -c 'print(" + expr + ")'");
    digits.pop_back();
    Value expected = Value::big_int(digits);
    for (int protocol : {0, 2, 5}) {
      EXPECT_EQ(pickle_decode(python_pickle(expr, protocol)), expected) << expr;
    }
    EXPECT_TRUE(python_loads_equal(pickle_encode(expected), expr)) << expr;
  }
}

TEST(PickleTest, NanAndSharedReferences) {
  for (int protocol = 0; protocol <= 5; ++protocol) {
    EXPECT_TRUE(std::isnan(pickle_decode(python_pickle(R"(float("nan"))", protocol)).as_float()));
    auto shared =
        pickle_decode(python_pickle(R"((lambda x: [x, x, {"k": x}])([1, "s"]))", protocol));
    EXPECT_EQ(shared.at(0), Value::list({1, "s"}));
    EXPECT_EQ(shared.at(1), shared.at(0));
    EXPECT_EQ(shared.at(2)["k"], shared.at(0));
  }
  Value x = Value::list({1, "s"});
  Value doubled = Value::list({x, x});
  for (int k = 0; k < 30; ++k) doubled = Value::list({doubled, doubled});  // 2^31 leaves
  auto data = pickle_encode(doubled);  // the memo keeps it linear
  EXPECT_LT(data.size(), 4096u);
  EXPECT_THROW(pickle_decode(data), InvalidError);  // expanded, it exceeds max_values
}

TEST(PickleTest, HundredMegabyteBytes) {
  std::string big(100 << 20, '\0');
  for (std::size_t i = 0; i < big.size(); i += 4093) big[i] = static_cast<char>(i);
  Value v = Value::bytes(big);
  EXPECT_EQ(pickle_decode(pickle_encode(v)).as_bytes(), big);
  auto data = python_pickle("bytes(100 << 20)", 5);
  EXPECT_EQ(pickle_decode(data).as_bytes().size(), std::size_t{100} << 20);
}

TEST(PickleTest, RejectsTruncationAtEveryOffset) {
  auto data = python_pickle(R"({"a": [1, 2.5, "x", b"y", (None, True)], "b": 2**70})", 2);
  for (std::size_t n = 0; n < data.size(); ++n) {
    EXPECT_THROW(pickle_decode(data.substr(0, n)), InvalidError) << n;
  }
}

TEST(PickleTest, RejectsHostileInput) {
  auto expect_invalid = [](std::string const& data, std::string const& why) {
    try {
      pickle_decode(data);
      ADD_FAILURE() << "accepted " << hex(data);
    } catch (InvalidError const& e) {
      EXPECT_THAT(e.what(), HasSubstr(why)) << hex(data);
    }
  };
  expect_invalid(python_pickle(R"(__import__("os").system)", 2), "refusing to load the global");
  expect_invalid(std::string("cos\nsystem\n(S'true'\ntR."), "os.system");
  expect_invalid("\x80\x02\xff."s, "unsupported opcode");
  expect_invalid("\x80\x09N."s, "unsupported protocol");
  expect_invalid("X\xff\xff\xff\x7f"s, "truncated");
  expect_invalid("\x80\x04\x8e\xff\xff\xff\xff\xff\xff\xff\x7f"s, "truncated");
  expect_invalid("a."s, "stack underflow");
  expect_invalid("h\x05."s, "memo key 5");
  expect_invalid("]\x94h\x00"s + "a.", "contains itself");
  // A cycle the result does not reach (left on the stack) is refused too, not leaked.
  expect_invalid("]\x94h\x00"s + "aN.", "contains itself");
  expect_invalid(std::string(200000, ']') + std::string(199999, 'a') + ".", "nest deeper");
  expect_invalid("\x8b\x00\x00\x10\x00"s + std::string(0x100000, '\x01') + ".", "digit limit");
  expect_invalid("X\x02\x00\x00\x00\xc3\x28."s, "UTF-8");
}

TEST(PickleTest, EncodingRejectsInvalidUtf8AndDepth) {
  EXPECT_THROW(pickle_encode(Value(std::string("\xff"))), InvalidError);
  Value deep = Value::list({});
  for (int k = 0; k < 1500; ++k) deep = Value::list({deep});
  EXPECT_THROW(pickle_encode(deep), InvalidError);
}

}  // namespace
}  // namespace modal::internal
