// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_SERVER_JWT_H
#define MODAL_EMULATOR_SRC_SERVER_JWT_H

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace modal::emulator {

/**
 * Issues JWT-shaped tokens and recognises the ones it issued.
 *
 * A token is `base64url(header).base64url(payload).base64url(signature)` (no padding).
 * The payload carries `sub`, `iat` and `exp` (integer Unix seconds) plus any extra claims.
 * We add no crypto dependency, so the "signature" is a random nonce and validity is
 * decided by looking the token up in this issuer's registry (token -> exp): a token is
 * valid iff this issuer minted it and `exp` has not passed.
 *
 * Thread-safe.
 */
class TokenIssuer {
 public:
  /// `issuer` goes into the `iss` claim (e.g. "modal-emulator/auth").
  explicit TokenIssuer(std::string issuer);

  /// Mints a token for `subject` that expires `lifetime` from now.
  std::string issue(std::string const& subject, std::chrono::seconds lifetime,
                    nlohmann::json const& extra_claims = nlohmann::json::object());

  enum class Verdict { kValid, kExpired, kUnknown };
  struct Verification {
    Verdict verdict = Verdict::kUnknown;
    /// The `sub` claim, when the token is known (valid or expired).
    std::string subject{};
  };
  /// Checks a token presented by a client.
  Verification verify(std::string_view token) const;

 private:
  struct Entry {
    std::string subject{};
    std::int64_t exp = 0;
  };
  void prune_locked(double now);

  std::string issuer_;
  mutable std::mutex mu_;
  std::map<std::string, Entry, std::less<>> tokens_;
  std::size_t issued_since_prune_ = 0;
};

/// Decodes the payload (middle part) of a JWT. nullopt if it is not 3 dot-separated parts
/// with a base64url JSON object in the middle.
std::optional<nlohmann::json> decode_jwt_payload(std::string_view token);

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_SERVER_JWT_H
