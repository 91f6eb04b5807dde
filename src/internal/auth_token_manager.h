// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_AUTH_TOKEN_MANAGER_H
#define MODAL_INTERNAL_AUTH_TOKEN_MANAGER_H

#include <grpcpp/support/status.h>
#include <spdlog/logger.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "internal/logging.h"

namespace modal::internal {

using SystemClock = std::function<std::chrono::system_clock::time_point()>;

/**
 * Owns the short-lived auth token (a JWT from AuthTokenGet) sent as x-modal-auth-token.
 *
 * - A fresh token is returned without waiting.
 * - Past the refresh point (50–60 % of the token's lifetime, jittered) one caller
 *   refreshes while the others keep using the current token.
 * - Without a token, or with an expired one, callers wait for one shared fetch.
 * - A failed fetch starts a cooldown (500 ms doubling up to 60 s) during which the
 *   cached token, even expired, is returned with a WARN; UNAUTHENTICATED and
 *   PERMISSION_DENIED are never papered over.
 * - A token without a readable `exp` is treated as valid for 20 minutes (WARN).
 *
 * Thread-safe.
 */
class AuthTokenManager {
 public:
  /// Performs AuthTokenGet; `have_token` tells whether a (possibly expired) token is
  /// cached, which callers use to pick how hard to retry.
  using Fetch = std::function<grpc::Status(bool have_token, std::string* token)>;

  AuthTokenManager(Fetch fetch, SystemClock now, std::shared_ptr<spdlog::logger> logger,
                   std::shared_ptr<Redactor> redactor);

  /// A token to send. @throws modal::Error (mapped from AuthTokenGet) when none is usable.
  std::string get();

 private:
  struct Token {
    std::string value{};
    std::chrono::system_clock::time_point expires_at{};
    std::chrono::system_clock::time_point refresh_at{};
  };
  // Runs one fetch with `mu_` released; returns its status and installs the token.
  grpc::Status fetch_locked(std::unique_lock<std::mutex>& lock);
  void start_cooldown_locked(std::chrono::system_clock::time_point now);

  Fetch fetch_;
  SystemClock now_;
  std::shared_ptr<spdlog::logger> logger_;
  std::shared_ptr<Redactor> redactor_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<Token> token_;
  bool fetching_ = false;
  std::uint64_t generation_ = 0;  // completed fetches
  grpc::Status last_status_;
  std::chrono::system_clock::time_point cooldown_until_{};
  std::chrono::milliseconds cooldown_{0};
};

}  // namespace modal::internal

#endif  // MODAL_INTERNAL_AUTH_TOKEN_MANAGER_H
