// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "internal/jwt.h"

#include <absl/strings/escaping.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>

namespace modal::internal {

std::optional<JwtClaims> parse_jwt(std::string_view token) {
  auto const first = token.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  auto const second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view payload = token.substr(first + 1, second - first - 1);
  while (!payload.empty() && payload.back() == '=') payload.remove_suffix(1);
  if (payload.empty()) return std::nullopt;
  std::string decoded;
  if (!absl::WebSafeBase64Unescape(absl::string_view(payload.data(), payload.size()), &decoded)) {
    return std::nullopt;
  }
  auto json = nlohmann::json::parse(decoded, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return std::nullopt;
  JwtClaims claims;
  if (auto it = json.find("exp"); it != json.end() && it->is_number()) {
    // system_clock counts nanoseconds in an int64 (about ±292 years around 1970): an `exp`
    // beyond that is clamped to it (found by fuzz_jwt: converting it was undefined), and
    // NaN cannot occur (JSON has no NaN).
    constexpr double kLimitSeconds = 9.0e9;
    auto const secs = std::clamp(it->get<double>(), -kLimitSeconds, kLimitSeconds);
    claims.expires_at = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::duration<double>(secs)));
  }
  return claims;
}

}  // namespace modal::internal
