// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "server/jwt.h"

#include <cmath>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "server/ids.h"

namespace modal::emulator {
namespace {

// Tokens that expired longer ago than this are forgotten (then they verify as kUnknown,
// which is rejected just the same).
constexpr double kForgetAfterSecs = 3600;
constexpr std::size_t kPruneEvery = 256;

std::string b64url(std::string const& raw) {
  std::string out;
  absl::WebSafeBase64Escape(raw, &out);  // no padding
  return out;
}

}  // namespace

TokenIssuer::TokenIssuer(std::string issuer) : issuer_(std::move(issuer)) {}

std::string TokenIssuer::issue(std::string const& subject, std::chrono::seconds lifetime,
                               nlohmann::json const& extra_claims) {
  double const now = unix_now();
  auto const iat = static_cast<std::int64_t>(std::floor(now));
  // Rounded up so a token is never valid for less than `lifetime` (matters for 1 s lifetimes).
  auto const exp =
      static_cast<std::int64_t>(std::ceil(now + static_cast<double>(lifetime.count())));

  nlohmann::json header = {{"alg", "HS256"}, {"typ", "JWT"}};
  nlohmann::json payload = extra_claims.is_object() ? extra_claims : nlohmann::json::object();
  payload["sub"] = subject;
  payload["iss"] = issuer_;
  payload["iat"] = iat;
  payload["exp"] = exp;
  // A random `jti` keeps two tokens minted in the same second for the same subject distinct.
  payload["jti"] = random_alnum(16);

  std::string token =
      b64url(header.dump()) + "." + b64url(payload.dump()) + "." + b64url(random_alnum(32));
  std::lock_guard<std::mutex> lock(mu_);
  tokens_[token] = Entry{subject, exp};
  if (++issued_since_prune_ >= kPruneEvery) prune_locked(now);
  return token;
}

TokenIssuer::Verification TokenIssuer::verify(std::string_view token) const {
  Verification v;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tokens_.find(token);
  if (it == tokens_.end()) return v;
  v.subject = it->second.subject;
  v.verdict =
      unix_now() >= static_cast<double>(it->second.exp) ? Verdict::kExpired : Verdict::kValid;
  return v;
}

void TokenIssuer::prune_locked(double now) {
  issued_since_prune_ = 0;
  for (auto it = tokens_.begin(); it != tokens_.end();) {
    if (static_cast<double>(it->second.exp) + kForgetAfterSecs < now) {
      it = tokens_.erase(it);
    } else {
      ++it;
    }
  }
}

std::optional<nlohmann::json> decode_jwt_payload(std::string_view token) {
  std::vector<absl::string_view> parts =
      absl::StrSplit(absl::string_view(token.data(), token.size()), '.');
  if (parts.size() != 3) return std::nullopt;
  std::string raw;
  if (!absl::WebSafeBase64Unescape(parts[1], &raw)) return std::nullopt;
  auto json = nlohmann::json::parse(raw, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return std::nullopt;
  return json;
}

}  // namespace modal::emulator
