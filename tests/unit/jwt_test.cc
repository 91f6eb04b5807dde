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
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(
                claims->expires_at->time_since_epoch()).count(),
            1900000000);
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
