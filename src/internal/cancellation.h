// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_CANCELLATION_H
#define MODAL_INTERNAL_CANCELLATION_H

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

namespace modal::internal {

using Clock = std::chrono::steady_clock;

/**
 * A scope whose blocking calls and sleeps end together: a Client (`Client::close()`) or
 * a Sandbox's command-router session (`Sandbox::detach()`). Scopes form a tree: a child
 * is cancelled with its parent, or on its own.
 *
 * Cancelling runs the registered callbacks (which cancel gRPC contexts and wake
 * sleepers) on the cancelling thread; a callback's registration, when destroyed, waits
 * for the callback if it is running on another thread (std::stop_callback semantics).
 * Calls that end because their scope was cancelled throw ClientClosedError with the
 * reason of the scope that was cancelled first. Thread-safe.
 */
class CancelScope : public std::enable_shared_from_this<CancelScope> {
 public:
  /// A scope without a parent; `reason` becomes the message of its ClientClosedError.
  static std::shared_ptr<CancelScope> root(std::string reason);
  /// A scope cancelled with this one, or on its own with `reason`.
  std::shared_ptr<CancelScope> child(std::string reason);

  /// Cancels this scope and its children. Idempotent: the first cancellation decides
  /// the reason (`reason` when given, else the scope's own).
  void cancel(std::string reason = {});
  bool cancelled() const { return source_.stop_requested(); }
  /// The token that callers register on (std::stop_callback) or wait with.
  std::stop_token token() const { return source_.get_token(); }
  /// The reason calls in this scope end with once it is cancelled.
  std::string const& reason() const;

  /// @throws ClientClosedError (with the reason, for `method`) once cancelled.
  void throw_if_cancelled(std::string_view method = {}) const;
  [[noreturn]] void throw_cancelled(std::string_view method = {}) const;

  explicit CancelScope(std::string reason) : reason_(std::move(reason)) {}
  CancelScope(CancelScope const&) = delete;
  CancelScope& operator=(CancelScope const&) = delete;

 private:
  std::string const reason_;
  std::string cancel_reason_;  // written once, before the stop is requested
  std::stop_source source_;
  std::shared_ptr<CancelScope const> parent_;
  // 0 = not cancelled, 1 = cancelled itself, 2 = cancelled by its parent.
  std::atomic<int> cause_{0};
  std::optional<std::stop_callback<std::function<void()>>> parent_link_;
};

/**
 * The controls of one logical call, beyond its scope: an overall deadline and a
 * caller's std::stop_token. Bounded (`wait_for`, reads with a deadline) and cancellable
 * blocking calls are built by filling these in.
 */
struct CallControl {
  /// The whole call (every attempt and backoff) must end by then.
  std::optional<Clock::time_point> deadline{};
  /// Requested stop ends the call with CancelledError.
  std::stop_token stop{};

  bool expired(Clock::time_point now) const { return deadline && now >= *deadline; }
};

/// Why a sleep or wait ended.
enum class Wake { kElapsed, kCancelled, kStopped };

/**
 * The time source and the sleeper of the retry engine and of every poll loop: the one
 * place in the SDK that sleeps. Tests replace it with a fake that advances virtual time.
 * Thread-safe.
 */
class Timer {
 public:
  virtual ~Timer() = default;
  virtual Clock::time_point now() const = 0;
  /// Sleeps until `until` or until `scope` is cancelled or `stop` is requested,
  /// whichever comes first. Returns what ended the sleep (cancellation first).
  virtual Wake sleep_until(Clock::time_point until, CancelScope const& scope,
                           std::stop_token const& stop) = 0;

  /// The process-wide real timer (std::chrono::steady_clock and condition variables).
  static std::shared_ptr<Timer> system();
};

/// The system clock time corresponding to a steady-clock time (for gRPC deadlines).
std::chrono::system_clock::time_point to_system_time(Clock::time_point t);

}  // namespace modal::internal

#endif  // MODAL_INTERNAL_CANCELLATION_H
