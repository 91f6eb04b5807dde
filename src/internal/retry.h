// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_RETRY_H
#define MODAL_INTERNAL_RETRY_H

#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>
#include <spdlog/logger.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "internal/cancellation.h"
#include "modal/client.h"

namespace modal::internal {

/// The per-attempt values a call sends as x-idempotency-key / x-retry-* metadata.
struct AttemptMetadata {
  /// One key for every attempt of the call; empty when the policy sends none.
  std::string idempotency_key{};
  int retry_attempt = 0;
  int throttle_retry_attempt = 0;
  /// Seconds since the first attempt, formatted with 3 decimals (x-retry-delay).
  std::optional<std::string> retry_delay{};
  /// Same clock, sent once a server-directed retry happened (x-throttle-retry-delay).
  std::optional<std::string> throttle_retry_delay{};
};

/// True for DEADLINE_EXCEEDED, UNAVAILABLE, CANCELLED, INTERNAL and UNKNOWN.
bool is_retryable(grpc::StatusCode code) noexcept;

/**
 * How a call is retried. Transient failures wait initial_delay × factor^n (capped at
 * max_delay) before the next attempt, at most max_retries times in a row. Presets:
 * control_plane() and router().
 */
struct RetryPolicy {
  int max_retries = 3;
  Clock::duration initial_delay = std::chrono::milliseconds(100);
  double factor = 2.0;
  std::optional<Clock::duration> max_delay = std::chrono::seconds(1);
  /// Whether a failed attempt may be retried; unset: is_retryable(code).
  std::function<bool(grpc::Status const&)> retryable;
  /// gRPC deadline of each attempt (bounded by the call's own deadline).
  std::optional<Clock::duration> attempt_timeout{};
  /// Send x-idempotency-key and x-retry-* metadata (control-plane unary calls).
  bool idempotency = false;
  /// Honour server-directed retries (modal.client.RPCRetryPolicy in the status details).
  /// They do not consume max_retries.
  bool throttling = false;
  /// Bound on server-directed waiting: unset = unbounded, zero = disabled.
  std::optional<std::chrono::milliseconds> max_throttle_wait{};

  /// Modal's control-plane policy: RetryOptions (3 retries, 100 ms × 2, ≤ 1 s) with
  /// idempotency metadata and throttling.
  static RetryPolicy control_plane(RetryOptions const& options,
                                   std::optional<std::chrono::milliseconds> max_throttle_wait);
  /// Modal's command-router policy: 10 retries, 10 ms × 2, uncapped.
  static RetryPolicy router();

  /// The delay before retry number `retry` (0-based).
  Clock::duration delay(int retry) const;
};

/// One attempt of a call, as the retry engine hands it to the code issuing the RPC.
class Attempt {
 public:
  grpc::ClientContext& context() { return ctx_; }
  /// 0 for the first attempt of the call, then 1, 2, ... (retries and reissues alike).
  int number() const { return number_; }
  AttemptMetadata const& metadata() const { return md_; }
  /// The attempt made progress (a stream delivered data): a later failure starts a
  /// fresh retry budget and backoff.
  void progress() { progress_ = true; }
  /// Issue another attempt at once without counting a retry (a long poll ran its course,
  /// a server stream ended and should be reopened at the cursor).
  void again() { again_ = true; }

  Attempt(grpc::ClientContext& ctx, int number, AttemptMetadata const& md)
      : ctx_(ctx), number_(number), md_(md) {}

 private:
  friend class RetryLoop;
  grpc::ClientContext& ctx_;
  int number_;
  AttemptMetadata const& md_;
  bool progress_ = false;
  bool again_ = false;
};

/**
 * Where calls go and how each attempt is authorized: the control-plane pipeline and a
 * Sandbox's command-router session implement it. Thread-safe.
 */
class CallTarget {
 public:
  virtual ~CallTarget() = default;
  /// Fully-qualified service name, e.g. "modal.client.ModalClient".
  virtual std::string_view service() const = 0;
  /// Adds metadata and credentials for one attempt of `method`; returns the credential
  /// generation used (passed to refresh_credential after UNAUTHENTICATED).
  virtual std::uint64_t prepare(grpc::ClientContext& ctx, std::string_view method,
                                AttemptMetadata const& md) = 0;
  /// The credential of `generation` was rejected (UNAUTHENTICATED): refresh it (a no-op
  /// if another caller already did) and return true to retry once, or false when this
  /// target has no refreshable credential. @throws modal::Error if the refresh fails.
  virtual bool refresh_credential(std::uint64_t generation) = 0;
  /// Reports one finished attempt (CallObserver and DEBUG log).
  virtual void observe(std::string_view method, grpc::Status const& status, Clock::duration elapsed,
                       int attempt) = 0;
  /// The scope whose cancellation ends this target's calls.
  virtual CancelScope const& scope() const = 0;
  virtual Timer& timer() = 0;
  virtual spdlog::logger& logger() = 0;
};

/// What issues one attempt: returns the attempt's final status.
using AttemptFn = std::function<grpc::Status(Attempt&)>;

/**
 * The retry engine. Runs `fn` once per attempt, with a fresh context prepared by
 * `target`, until it succeeds, fails in a way `policy` does not retry, or the retries
 * are exhausted, and returns the last status.
 *
 * - Every attempt's context is cancelled when the scope (the target's, or
 *   `scope_override`) is cancelled or `control.stop` is requested; so are backoff sleeps.
 * - UNAUTHENTICATED: the credential is refreshed once and the attempt repeated (again
 *   after any progress or other failure).
 * - Server-directed retries (throttling) wait what the server asks, bounded by the
 *   policy; they do not use up max_retries.
 * - With `control.deadline`, each attempt's gRPC deadline is at most the time left, and a
 *   failure at or after the deadline returns DEADLINE_EXCEEDED ("Timeout expired").
 *
 * @throws ClientClosedError once the scope is cancelled (even if the RPC reported
 *   another code), CancelledError once `control.stop` is requested, and whatever
 *   `target.prepare` / `refresh_credential` / `fn` throw.
 */
grpc::Status run_call(CallTarget& target, std::string_view method, RetryPolicy const& policy,
                      CallControl const& control, AttemptFn const& fn,
                      CancelScope const* scope_override = nullptr);

}  // namespace modal::internal

#endif  // MODAL_INTERNAL_RETRY_H
