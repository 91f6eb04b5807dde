// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// modal::Value: construction from literals, typed accessors, equality, repr.
#include "modal/value.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "modal/errors.h"

namespace modal {
namespace {

using ::testing::HasSubstr;

TEST(ValueTest, BuildsFromLiterals) {
  Value v = {{"a", 1}, {"b", Value::list({1, 2.5, "x"})}};
  ASSERT_TRUE(v.is_dict());
  EXPECT_EQ(v.size(), 2u);
  EXPECT_EQ(v["a"].as_int(), 1);
  EXPECT_EQ(v["b"].at(1).as_float(), 2.5);
  EXPECT_EQ(v["b"].at(2).as_string(), "x");
  EXPECT_TRUE(v.contains("b"));
  EXPECT_FALSE(v.contains("c"));
  EXPECT_TRUE(Value().is_null());
  EXPECT_TRUE(Value(nullptr).is_null());
  EXPECT_TRUE(Value(true).is_bool());
  EXPECT_TRUE(Value(std::uint8_t{7}).is_int());
  EXPECT_TRUE(Value(std::string_view("s")).is_string());
  EXPECT_TRUE(Value::bytes(std::vector<std::uint8_t>{0, 255}).is_bytes());
  EXPECT_EQ(Value::bytes(std::vector<std::uint8_t>{0, 255}).as_bytes(), std::string("\0\xff", 2));
}

TEST(ValueTest, IntegersKeepEveryDigit) {
  EXPECT_EQ(Value(std::numeric_limits<std::int64_t>::min()).as_int(),
            std::numeric_limits<std::int64_t>::min());
  Value u64 = Value(std::numeric_limits<std::uint64_t>::max());
  EXPECT_FALSE(u64.fits_int64());
  EXPECT_EQ(u64.as_big_int(), "18446744073709551615");
  EXPECT_THROW(u64.as_int(), InvalidError);
  Value big = Value::big_int("-123456789012345678901234567890");
  EXPECT_TRUE(big.is_int());
  EXPECT_EQ(big.as_big_int(), "-123456789012345678901234567890");
  EXPECT_EQ(Value::big_int("42"), Value(42));  // small big_int is an ordinary int
  EXPECT_EQ(Value::big_int("-0"), Value(0));
  EXPECT_EQ(Value::big_int("0007"), Value(7));
  EXPECT_THROW(Value::big_int(""), InvalidError);
  EXPECT_THROW(Value::big_int("12a"), InvalidError);
  EXPECT_THROW(Value::big_int("+-1"), InvalidError);
  EXPECT_THROW(Value::big_int(std::string(Value::kMaxIntDigits + 1, '9')), InvalidError);
  EXPECT_NO_THROW(Value::big_int(std::string(Value::kMaxIntDigits, '9')));
}

TEST(ValueTest, AccessorsThrowOnTheWrongKind) {
  try {
    (void)Value("text").as_int();
    ADD_FAILURE() << "as_int of a str";
  } catch (InvalidError const& e) {
    EXPECT_THAT(e.what(), HasSubstr("expected an int, got str"));
  }
  EXPECT_THROW((void)Value(1).as_float(), InvalidError);  // ints do not convert
  EXPECT_THROW((void)Value(1).as_bool(), InvalidError);
  EXPECT_THROW((void)Value(true).as_int(), InvalidError);
  EXPECT_THROW((void)Value("x").as_bytes(), InvalidError);
  EXPECT_THROW((void)Value::bytes("x").as_string(), InvalidError);
  EXPECT_THROW((void)Value::tuple({1}).as_list(), InvalidError);
  EXPECT_THROW((void)Value::list({1}).as_tuple(), InvalidError);
  EXPECT_EQ(Value::tuple({1}).items().size(), 1u);
  EXPECT_THROW((void)Value::list({1}).at(1), InvalidError);
  EXPECT_THROW((void)Value(1).size(), InvalidError);
  EXPECT_THROW((void)Value::list({})["k"], InvalidError);
  try {
    (void)Value{{"a", 1}}["zz"];
    ADD_FAILURE() << "missing key";
  } catch (InvalidError const& e) {
    EXPECT_THAT(e.what(), HasSubstr("no key 'zz'"));
  }
  Value mixed = Value::dict({{1, "one"}, {"two", 2}});
  EXPECT_EQ(mixed.as_dict().size(), 2u);
  EXPECT_THROW((void)mixed.as_map(), InvalidError);
  EXPECT_EQ(mixed["two"].as_int(), 2);
  EXPECT_EQ((Value{{"b", 2}, {"a", 1}}.as_map()),
            (std::map<std::string, Value>{{"a", 1}, {"b", 2}}));
}

TEST(ValueTest, EqualityIsStructuralAndKindStrict) {
  EXPECT_EQ(Value::list({1, "x", Value::tuple({})}), Value::list({1, "x", Value::tuple({})}));
  EXPECT_NE(Value::list({1}), Value::tuple({1}));
  EXPECT_NE(Value(1), Value(1.0));
  EXPECT_NE(Value(true), Value(1));
  EXPECT_NE(Value("x"), Value::bytes("x"));
  EXPECT_NE(Value(std::nan("")), Value(std::nan("")));
  EXPECT_EQ((Value{{"a", 1}, {"b", 2}}), (Value{{"b", 2}, {"a", 1}}));  // order-free
  EXPECT_NE((Value{{"a", 1}, {"b", 2}}), (Value{{"a", 1}, {"c", 2}}));
  EXPECT_NE((Value{{"a", 1}}), (Value{{"a", 2}}));
  EXPECT_EQ(Value::big_int("99999999999999999999"), Value::big_int("99999999999999999999"));
  EXPECT_NE(Value::big_int("99999999999999999999"), Value::big_int("-99999999999999999999"));
  Value const a = Value::list({1});
  Value b = a;  // copies share contents and stay equal
  b = Value(b);
  EXPECT_EQ(b, a);
}

TEST(ValueTest, ReprIsPythons) {
  EXPECT_EQ(Value().repr(), "None");
  EXPECT_EQ(Value(true).repr(), "True");
  EXPECT_EQ(Value(-12).repr(), "-12");
  EXPECT_EQ(Value(2.5).repr(), "2.5");
  EXPECT_EQ(Value(1.0).repr(), "1.0");
  EXPECT_EQ(Value(INFINITY).repr(), "inf");
  EXPECT_EQ(Value("it's").repr(), "\"it's\"");
  EXPECT_EQ(Value("a'b\"c\n").repr(), "'a\\'b\"c\\n'");
  EXPECT_EQ(Value::bytes(std::string("\0A", 2)).repr(), "b'\\x00A'");
  EXPECT_EQ(Value::tuple({1}).repr(), "(1,)");
  EXPECT_EQ(Value::list({1, Value::list({})}).repr(), "[1, []]");
  EXPECT_EQ((Value{{"a", 1}}).repr(), "{'a': 1}");
  std::ostringstream os;
  os << Value::list({"x"});
  EXPECT_EQ(os.str(), "['x']");
}

}  // namespace
}  // namespace modal
