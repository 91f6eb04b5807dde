// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "internal/jwt.h"

#include <absl/strings/escaping.h>
#include <gtest/gtest.h>

#include <string>

namespace modal::internal {
namespace {

std::string b64url(std::string const& s) { return absl::WebSafeBase64Escape(s); }

std::string make_jwt(std::string const& payload) {
  return b64url(R"({"alg":"HS256","typ":"JWT"})") + "." + b64url(payload) + ".c2ln";
}

TEST(JwtTest, ParsesExp) {
  auto claims = parse_jwt(make_jwt(R"({"exp":1900000000,"sub":"x"})"));
  ASSERT_TRUE(claims.has_value());
  ASSERT_TRUE(claims->expires_at.has_value());
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(claims->expires_at->time_since_epoch())
                .count(),
            1900000000);
}

TEST(JwtTest, AnExpBeyondTheClocksRangeIsClampedNotUndefined) {
  // Found by fuzz_jwt: 1.7e21 s does not fit system_clock's int64 nanoseconds.
  auto far = parse_jwt(make_jwt(R"({"exp":1.76723e+21})"));
  ASSERT_TRUE(far.has_value() && far->expires_at.has_value());
  EXPECT_GT(*far->expires_at,
            std::chrono::system_clock::now() + std::chrono::hours(24 * 365 * 100));
  auto past = parse_jwt(make_jwt(R"({"exp":-1e300})"));
  ASSERT_TRUE(past.has_value() && past->expires_at.has_value());
  EXPECT_LT(*past->expires_at, std::chrono::system_clock::now());
}

TEST(JwtTest, AcceptsPaddedPayload) {
  std::string payload = absl::Base64Escape(R"({"exp":12})");  // padded, standard alphabet
  auto claims = parse_jwt("aGVhZGVy." + payload + ".sig");
  ASSERT_TRUE(claims.has_value());
  ASSERT_TRUE(claims->expires_at.has_value());
}

TEST(JwtTest, MissingExpIsNotAnError) {
  auto claims = parse_jwt(make_jwt(R"({"sub":"x"})"));
  ASSERT_TRUE(claims.has_value());
  EXPECT_FALSE(claims->expires_at.has_value());
  claims = parse_jwt(make_jwt(R"({"exp":"soon"})"));
  ASSERT_TRUE(claims.has_value());
  EXPECT_FALSE(claims->expires_at.has_value());
}

TEST(JwtTest, RejectsMalformedTokens) {
  EXPECT_FALSE(parse_jwt("").has_value());
  EXPECT_FALSE(parse_jwt("abc").has_value());
  EXPECT_FALSE(parse_jwt("a.b").has_value());
  EXPECT_FALSE(parse_jwt("a.b.c.d").has_value());
  EXPECT_FALSE(parse_jwt("a..c").has_value());
  EXPECT_FALSE(parse_jwt("a.!!!!.c").has_value());
  EXPECT_FALSE(parse_jwt("a." + b64url("not json") + ".c").has_value());
  EXPECT_FALSE(parse_jwt("a." + b64url("[1,2]") + ".c").has_value());
}

}  // namespace
}  // namespace modal::internal
