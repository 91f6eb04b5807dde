// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// The CBOR codec against cbor2, the codec of Modal's Python side (Debian's python3-cbor2,
// for /usr/bin/python3): fixtures are made by cbor2 in the test (never pasted), and our
// encodings are loaded by cbor2.
#include "internal/cbor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "modal/errors.h"
#include "modal/value.h"
#include "testing_util/shell.h"

namespace modal::internal {
namespace {

using ::testing::HasSubstr;
using testing_util::from_hex;
using testing_util::run_command;
using testing_util::to_hex;
using namespace std::string_literals;

constexpr char kPython[] = "/usr/bin/python3";

/// cbor2.dumps(<expr>) of each expression, by one python3 (starting one is slow on some
/// machines).
std::vector<std::string> python_dumps(std::vector<std::string> const& exprs) {
  std::string program = "import cbor2\n";
  for (auto const& e : exprs) program += "print(cbor2.dumps(" + e + ").hex())\n";
  auto out = run_command(std::string(kPython) + " -c '" + program + "'");
  std::vector<std::string> result;
  std::size_t start = 0;
  for (std::size_t nl; (nl = out.find('\n', start)) != std::string::npos; start = nl + 1) {
    result.push_back(from_hex(out.substr(start, nl - start)));
  }
  EXPECT_EQ(result.size(), exprs.size()) << "cbor2 failed on one of the expressions";
  result.resize(exprs.size());
  return result;
}

std::string python_dumps(std::string const& expr) {
  return python_dumps(std::vector<std::string>{expr})[0];
}

/// For each (data, expr): whether cbor2 loads data to a value equal to <expr> (and of the
/// same type).
std::vector<bool> python_loads_equal(
    std::vector<std::pair<std::string, std::string>> const& items) {
  std::string program = "import cbor2,math\n";
  for (auto const& [data, expr] : items) {
    program += "v = cbor2.loads(bytes.fromhex(\"" + to_hex(data) + "\")); e = " + expr +
               "; print(type(v) is type(e) and v == e)\n";
  }
  auto out = run_command(std::string(kPython) + " -c '" + program + "'");
  std::vector<bool> result;
  std::size_t start = 0;
  for (std::size_t nl; (nl = out.find('\n', start)) != std::string::npos; start = nl + 1) {
    result.push_back(out.substr(start, nl - start) == "True");
  }
  EXPECT_EQ(result.size(), items.size()) << "cbor2 failed on one of the values";
  result.resize(items.size());
  return result;
}

TEST(CborTest, Cbor2IsThere) {
  EXPECT_EQ(run_command(std::string(kPython) + " -c 'import cbor2; print(1)'"), "1\n");
}

struct Case {
  std::string expr;  // Python, as cbor2 loads our encoding (tuples come back as lists)
  Value value;
};

std::vector<Case> cases() {
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes += static_cast<char>(i);
  std::vector<Value> many;
  many.reserve(2500);
  for (int i = 0; i < 2500; ++i) many.emplace_back(i * 1000);
  return {
      {"None", Value()},
      {"True", Value(true)},
      {"False", Value(false)},
      {"0", Value(0)},
      {"23", Value(23)},
      {"24", Value(24)},
      {"-1", Value(-1)},
      {"-24", Value(-24)},
      {"-25", Value(-25)},
      {"65536", Value(65536)},
      {"2**32", Value(std::int64_t{1} << 32)},
      {"2**63-1", Value(INT64_MAX)},
      {"-2**63", Value(INT64_MIN)},
      {"2**63", Value::big_int("9223372036854775808")},
      {"-2**63-1", Value::big_int("-9223372036854775809")},
      {"2**64-1", Value(std::numeric_limits<std::uint64_t>::max())},
      {"-2**64", Value::big_int("-18446744073709551616")},
      {"2**64", Value::big_int("18446744073709551616")},
      {"-2**64-1", Value::big_int("-18446744073709551617")},
      {"10**30", Value::big_int("1000000000000000000000000000000")},
      {"-10**30", Value::big_int("-1000000000000000000000000000000")},
      {"1.5", Value(1.5)},
      {"-0.0", Value(-0.0)},
      {"1e300", Value(1e300)},
      {"5e-324", Value(5e-324)},
      {R"(float("inf"))", Value(std::numeric_limits<double>::infinity())},
      {R"(float("-inf"))", Value(-std::numeric_limits<double>::infinity())},
      {R"("")", Value("")},
      {R"("h\u00e9llo \u20ac \U0001f600")", Value("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80")},
      {R"(b"")", Value::bytes("")},
      {"bytes(range(256))", Value::bytes(all_bytes)},
      {"[]", Value::list({})},
      {"[1, 2]", Value::tuple({1, 2})},
      {"{}", Value::dict({})},
      {R"([1, [2, [3, []]], ["x", b"y"]])",
       Value::list({1, Value::list({2, Value::list({3, Value::list({})})}),
                    Value::tuple({"x", Value::bytes("y")})})},
      {R"({"a": 1, "b": [1, 2.5, "x"]})", Value{{"a", 1}, {"b", Value::list({1, 2.5, "x"})}}},
      {R"({1: "one", b"k": None, 2.5: True})",
       Value::dict({{1, "one"}, {Value::bytes("k"), Value()}, {2.5, true}})},
      {"list(range(0, 2500000, 1000))", Value::list(many)},
  };
}

std::vector<std::string> exprs(std::vector<Case> const& cs) {
  std::vector<std::string> out;
  out.reserve(cs.size());
  for (auto const& c : cs) out.push_back(c.expr);
  return out;
}

TEST(CborTest, WritesWhatCbor2Writes) {
  auto const cs = cases();
  auto const theirs = python_dumps(exprs(cs));
  for (std::size_t i = 0; i < cs.size(); ++i) {
    EXPECT_EQ(to_hex(cbor_encode(cs[i].value)), to_hex(theirs[i])) << cs[i].expr;
  }
}

TEST(CborTest, Cbor2ReadsWhatWeWrite) {
  auto const cs = cases();
  std::vector<std::pair<std::string, std::string>> items;
  items.reserve(cs.size());
  for (auto const& c : cs) items.emplace_back(cbor_encode(c.value), c.expr);
  auto const equal = python_loads_equal(items);
  for (std::size_t i = 0; i < cs.size(); ++i) EXPECT_TRUE(equal[i]) << cs[i].expr;
}

TEST(CborTest, ReadsWhatCbor2Writes) {
  auto const cs = cases();
  auto const theirs = python_dumps(exprs(cs));
  for (std::size_t i = 0; i < cs.size(); ++i) {
    auto const& c = cs[i];
    Value v;
    ASSERT_NO_THROW(v = cbor_decode(theirs[i])) << c.expr;
    Value expected = c.value.is_tuple() ? Value::list(c.value.as_tuple()) : c.value;
    if (c.expr.starts_with("[1, [2")) {  // the nested tuple comes back as a list too
      expected = Value::list({1, Value::list({2, Value::list({3, Value::list({})})}),
                              Value::list({"x", Value::bytes("y")})});
    }
    EXPECT_EQ(v, expected) << c.expr << ": got " << v;
  }
  EXPECT_TRUE(std::isnan(cbor_decode(python_dumps(R"(float("nan"))")).as_float()));
  auto const nan_hex = to_hex(cbor_encode(Value(std::nan(""))));
  EXPECT_EQ(run_command(std::string(kPython) +
                        " -c 'import cbor2,math; print(math.isnan(cbor2.loads(bytes.fromhex(\"" +
                        nan_hex + "\"))))'"),
            "True\n");
}

TEST(CborTest, BigIntsRoundTrip) {
  std::vector<std::string> const big = {"2**1000",    "-(2**1000)",  "-(2**1000)+1",
                                        "2**(8*255)", "-2**(8*256)", "-2**(8*256)-1"};
  std::string program;
  for (auto const& e : big) program += "print(" + e + ")\n";
  auto const digits = run_command(std::string(kPython) + " -c '" + program + "'");
  auto const theirs = python_dumps(big);
  std::size_t start = 0;
  for (std::size_t i = 0; i < big.size(); ++i) {
    std::size_t const nl = digits.find('\n', start);
    ASSERT_NE(nl, std::string::npos);
    Value const expected = Value::big_int(digits.substr(start, nl - start));
    start = nl + 1;
    EXPECT_EQ(cbor_decode(theirs[i]), expected) << big[i];
    EXPECT_EQ(to_hex(cbor_encode(expected)), to_hex(theirs[i])) << big[i];
    EXPECT_EQ(cbor_decode(cbor_encode(expected)), expected) << big[i];
  }
}

TEST(CborTest, CallPayloadIsArgsAndKwargs) {
  std::string const ours =
      cbor_encode_call({"Hello world!", 3, Value::bytes("\x01")}, {{"s", "x"}, {"n", 2.5}});
  // Keyword arguments in name order (a std::map); Python's kwargs are unordered.
  EXPECT_EQ(to_hex(ours),
            to_hex(python_dumps(R"([["Hello world!", 3, b"\x01"], {"n": 2.5, "s": "x"}])")));
  EXPECT_EQ(to_hex(cbor_encode_call({}, {})), "8280a0");
  EXPECT_THROW(cbor_encode_call({}, {{"\xff", 1}}), InvalidError);
}

TEST(CborTest, ReadsTheFormsCbor2DoesNotWrite) {
  auto decode_hex = [](std::string const& h) { return cbor_decode(from_hex(h)); };
  EXPECT_EQ(decode_hex("f93c00"), Value(1.0));                   // half precision
  EXPECT_EQ(decode_hex("f90001"), Value(std::ldexp(1.0, -24)));  // half, subnormal
  EXPECT_EQ(decode_hex("fa3f000000"), Value(0.5));               // single precision
  EXPECT_EQ(decode_hex("9f0102ff"), Value::list({1, 2}));        // indefinite array
  EXPECT_EQ(decode_hex("bf6161f5ff"), (Value{{"a", true}}));     // indefinite map
  EXPECT_EQ(decode_hex("5f42010243030405ff"), Value::bytes("\x01\x02\x03\x04\x05"));
  EXPECT_EQ(decode_hex("7f61616162ff"), Value("ab"));
  EXPECT_EQ(decode_hex("d9d9f7f5"), Value(true));               // self-described CBOR
  EXPECT_EQ(decode_hex("c24101"), Value(1));                    // a bignum that fits
  EXPECT_EQ(decode_hex("c340"), Value(-1));                     // -1 - 0
  EXPECT_EQ(decode_hex("c2490000000000000000ff"), Value(255));  // leading zeros
  EXPECT_EQ(decode_hex("1800"), Value(0));
  // A set reads as a list, as the pickle codec reads it.
  EXPECT_EQ(cbor_decode(python_dumps("{1, 2}")).items().size(), 2u);
  EXPECT_EQ(cbor_decode(python_dumps("frozenset([\"a\"])")),
            Value::list({"a"}));  // not the shortest form
  // What we make of them, cbor2 reads as it reads the original.
  auto const equal = python_loads_equal({{cbor_encode(decode_hex("f93c00")), "1.0"},
                                         {cbor_encode(decode_hex("9f0102ff")), "[1, 2]"},
                                         {cbor_encode(decode_hex("c24101")), "1"}});
  EXPECT_THAT(equal, ::testing::Each(true));
}

TEST(CborTest, TenMegabyteBytes) {
  std::string big(10 << 20, '\0');
  for (std::size_t i = 0; i < big.size(); i += 4093) big[i] = static_cast<char>(i);
  Value const v = Value::list({Value::bytes(big), Value(std::string(1 << 20, 'x'))});
  EXPECT_EQ(cbor_decode(cbor_encode(v)), v);
  EXPECT_EQ(cbor_decode(python_dumps("bytes(10 << 20)")).as_bytes(), std::string(10 << 20, '\0'));
}

void expect_invalid(std::string const& data, std::string const& why,
                    CborLimits const& limits = {}) {
  try {
    auto v = cbor_decode(data, limits);
    ADD_FAILURE() << "accepted " << to_hex(data) << " as " << v;
  } catch (InvalidError const& e) {
    EXPECT_THAT(e.what(), HasSubstr(why)) << to_hex(data);
  }
}

TEST(CborTest, RejectsTruncationAtEveryOffset) {
  auto data = python_dumps(R"({"a": [1, 2.5, "x", b"y", (None, True)], "b": 2**70, "c": -2**70})");
  for (std::size_t n = 0; n < data.size(); ++n) {
    EXPECT_THROW(cbor_decode(data.substr(0, n)), InvalidError) << n;
  }
  EXPECT_NO_THROW(cbor_decode(data));
}

TEST(CborTest, RejectsWhatHasNoValue) {
  expect_invalid("", "empty input");
  expect_invalid(from_hex("f6f6"), "1 bytes after the end");
  expect_invalid(from_hex("d9010201"), "not followed by an array");
  expect_invalid(python_dumps("__import__(\"datetime\").datetime(2026, 1, 1, "
                              "tzinfo=__import__(\"datetime\").timezone.utc)"),
                 "tag 0");
  expect_invalid(from_hex("c1fb41d0000000000000"), "tag 1");
  expect_invalid(from_hex("f7"), "simple value 23");  // undefined
  expect_invalid(from_hex("f0"), "simple value 16");
  expect_invalid(from_hex("f820"), "simple value 32");
  expect_invalid(from_hex("1c"), "reserved additional information 28");
  expect_invalid(from_hex("ff"), "unexpected break");
  expect_invalid(from_hex("62c328"), "not UTF-8");
  expect_invalid(from_hex("63eda080"), "not UTF-8");  // a surrogate
  expect_invalid(from_hex("5f6161ff"), "not a definite string of the same type");
  expect_invalid(from_hex("5f5f4101ffff"), "not a definite string of the same type");
  expect_invalid(from_hex("c26161"), "not followed by a byte string");
}

TEST(CborTest, RejectsHostileSizes) {
  expect_invalid(from_hex("9bffffffffffffffff"), "exceeds the remaining");
  expect_invalid(from_hex("5bffffffffffffffff00"), "exceeds the remaining");
  expect_invalid(from_hex("bb7fffffffffffffff0000"), "exceeds the remaining");
  std::string deep(1001, '\x81');
  deep += '\xf6';
  expect_invalid(deep, "nested deeper than 1000");
  EXPECT_NO_THROW(cbor_decode(deep.substr(1)));
  std::string tags;
  for (int i = 0; i < 2000; ++i) tags += "\xd9\xd9\xf7";
  expect_invalid(tags + "\xf6", "nested deeper than 1000");
  expect_invalid(from_hex("83f6f6f6"), "more than 3 values", CborLimits{.max_values = 3});
  // 10,001 digits: beyond Value's limit for ints.
  auto huge = python_dumps("10**10001");
  expect_invalid(huge, "limit");
}

TEST(CborTest, EncodingRefusesWhatCborCannotCarry) {
  EXPECT_THROW(cbor_encode(Value("\xc3\x28")), InvalidError);
  Value deep = Value::list({});
  for (int i = 0; i < 1001; ++i) deep = Value::list({deep});
  EXPECT_THROW(cbor_encode(deep), InvalidError);
}

}  // namespace
}  // namespace modal::internal
