// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_JWT_H
#define MODAL_INTERNAL_JWT_H

#include <chrono>
#include <optional>
#include <string_view>

namespace modal::internal {

struct JwtClaims {
  /// The `exp` claim, if present and numeric.
  std::optional<std::chrono::system_clock::time_point> expires_at{};
};

/// Parses the payload of a JWT ("header.payload.signature", base64url, padding optional).
/// Returns nullopt if the token is not three dot-separated parts or the payload is not
/// a base64url-encoded JSON object. The signature is not verified (the server does that).
std::optional<JwtClaims> parse_jwt(std::string_view token);

}  // namespace modal::internal

#endif  // MODAL_INTERNAL_JWT_H
