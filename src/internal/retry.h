// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_RETRY_H
#define MODAL_INTERNAL_RETRY_H

#include <grpcpp/support/status.h>
#include <spdlog/logger.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "modal/client.h"

namespace modal::internal {

using SteadyClock = std::function<std::chrono::steady_clock::time_point()>;
using Sleeper = std::function<void(std::chrono::nanoseconds)>;

/// The per-attempt values the retry loop puts in the request metadata.
struct AttemptMetadata {
  std::string idempotency_key;
  int retry_attempt = 0;
  int throttle_retry_attempt = 0;
  /// Seconds since the first attempt, formatted with 3 decimals (x-retry-delay).
  std::optional<std::string> retry_delay;
  /// Same clock, sent once a server-directed retry happened (x-throttle-retry-delay).
  std::optional<std::string> throttle_retry_delay;
};

struct RetryEnvironment {
  RetryOptions options;
  /// Server-directed retries: nullopt = unbounded, zero = disabled, else a cap on the
  /// elapsed time including the next delay.
  std::optional<std::chrono::milliseconds> max_throttle_wait;
  SteadyClock now;
  Sleeper sleep;
  spdlog::logger* logger = nullptr;
};

/// True for DEADLINE_EXCEEDED, UNAVAILABLE, CANCELLED, INTERNAL and UNKNOWN.
bool is_retryable(grpc::StatusCode code) noexcept;

/// The delay before retry number `retry` (0-based): initial × factor^retry, capped.
std::chrono::milliseconds backoff_delay(RetryOptions const& options, int retry);

/**
 * Runs `attempt` until it succeeds, fails with a non-retryable code, or retries are
 * exhausted, sleeping between attempts; returns the last status. One idempotency key
 * is shared by every attempt of the call. Server-directed retries (RPCRetryPolicy in
 * the status details) are honoured first and do not consume the retry budget.
 */
grpc::Status run_with_retries(RetryEnvironment const& env, std::string_view method,
                              std::function<grpc::Status(AttemptMetadata const&)> const& attempt);

}  // namespace modal::internal

#endif  // MODAL_INTERNAL_RETRY_H
