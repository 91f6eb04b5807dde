// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "internal/retry.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "internal/status.h"
#include "internal/uuid.h"
#include "modal/errors.h"

namespace modal::internal {
namespace {

constexpr auto kMinServerDelay = std::chrono::milliseconds(100);
constexpr auto kServerRetryWarnInterval = std::chrono::seconds(30);

std::string seconds_3dp(Clock::duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", std::chrono::duration<double>(d).count());
  return buf;
}

long long micros(Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
}

}  // namespace

bool is_retryable(grpc::StatusCode code) noexcept {
  switch (code) {
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::UNKNOWN:
      return true;
    default:
      return false;
  }
}

RetryPolicy RetryPolicy::control_plane(RetryOptions const& options,
                                       std::optional<std::chrono::milliseconds> max_throttle_wait) {
  RetryPolicy p;
  p.max_retries = options.max_retries;
  p.initial_delay = options.initial_delay;
  p.factor = options.delay_factor;
  p.max_delay = options.max_delay;
  p.idempotency = true;
  p.throttling = true;
  p.max_throttle_wait = max_throttle_wait;
  return p;
}

RetryPolicy RetryPolicy::router() {
  RetryPolicy p;
  p.max_retries = 10;
  p.initial_delay = std::chrono::milliseconds(10);
  p.factor = 2.0;
  p.max_delay.reset();
  return p;
}

Clock::duration RetryPolicy::delay(int retry) const {
  double d = static_cast<double>(initial_delay.count());
  double const cap = max_delay ? static_cast<double>(max_delay->count()) : HUGE_VAL;
  for (int i = 0; i < retry && d < cap; ++i) d *= factor;
  return Clock::duration(static_cast<Clock::rep>(std::min(d, cap)));
}

/// The state of one call through run_call().
class RetryLoop {
 public:
  RetryLoop(CallTarget& target, std::string_view method, RetryPolicy const& policy,
            CallControl const& control, CancelScope const& scope)
      : target_(target),
        method_(method),
        policy_(policy),
        control_(control),
        scope_(scope),
        timer_(target.timer()),
        start_(timer_.now()) {
    if (policy_.idempotency) md_.idempotency_key = uuid4();
  }

  grpc::Status run(AttemptFn const& fn) {
    for (;;) {
      check_cancelled();
      if (md_.retry_attempt > 0) md_.retry_delay = seconds_3dp(timer_.now() - start_);
      if (md_.throttle_retry_attempt > 0) {
        md_.throttle_retry_delay = seconds_3dp(timer_.now() - start_);
      }
      bool again = false;
      bool progress = false;
      grpc::Status status = attempt(fn, again, progress);
      if (progress) {
        retries_ = 0;
        auth_retried_ = false;
      }
      if (status.ok() && !again) return status;
      check_cancelled();
      if (again) {
        if (control_.expired(timer_.now())) {
          return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "Timeout expired");
        }
        continue;
      }
      if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED && !auth_retried_) {
        auth_retried_ = true;
        if (target_.refresh_credential(generation_)) continue;
      } else {
        auth_retried_ = false;
      }
      if (control_.expired(timer_.now())) {
        return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "Timeout expired");
      }
      if (server_retry_after(status) && throttling_enabled()) {
        auto wait = throttle_delay(status);
        if (!wait) return status;  // the server's delay would exceed max_throttle_wait
        sleep(*wait);
        ++md_.throttle_retry_attempt;
        continue;
      }
      if (!retryable(status) || retries_ >= policy_.max_retries) {
        if (retries_ > 0) {
          target_.logger().debug("{} failed after {} retries: {}", method_, retries_,
                                 status.error_message());
        }
        return status;
      }
      auto const delay = policy_.delay(retries_);
      target_.logger().debug("{} failed with code {} ({}); retry {} in {} us", method_,
                             static_cast<int>(status.error_code()), status.error_message(),
                             retries_ + 1, micros(delay));
      sleep(delay);
      ++retries_;
      ++md_.retry_attempt;
    }
  }

 private:
  grpc::Status attempt(AttemptFn const& fn, bool& again, bool& progress) {
    grpc::ClientContext ctx;
    generation_ = target_.prepare(ctx, method_, md_);
    std::optional<Clock::time_point> deadline;
    if (policy_.attempt_timeout) deadline = timer_.now() + *policy_.attempt_timeout;
    if (control_.deadline) {
      auto const floor = timer_.now() + std::chrono::milliseconds(1);
      auto const d = std::max(*control_.deadline, floor);
      deadline = deadline ? std::min(*deadline, d) : d;
    }
    if (deadline) ctx.set_deadline(to_system_time(*deadline));
    auto cancel = [&ctx] { ctx.TryCancel(); };
    std::stop_callback<decltype(cancel)> on_cancel(scope_.token(), cancel);
    std::optional<std::stop_callback<decltype(cancel)>> on_stop;
    if (control_.stop.stop_possible()) on_stop.emplace(control_.stop, cancel);

    Attempt a(ctx, number_, md_);
    auto const started = timer_.now();
    grpc::Status status = fn(a);
    target_.observe(method_, status, timer_.now() - started, number_++);
    again = a.again_;
    progress = a.progress_;
    return status;
  }

  void check_cancelled() const {
    scope_.throw_if_cancelled(method_);
    if (control_.stop.stop_requested()) {
      throw CancelledError(std::string(method_) + " was cancelled", StatusCode::kCancelled,
                           std::string(method_));
    }
  }

  bool retryable(grpc::Status const& status) const {
    return policy_.retryable ? policy_.retryable(status) : is_retryable(status.error_code());
  }

  bool throttling_enabled() const {
    return policy_.throttling &&
           !(policy_.max_throttle_wait && policy_.max_throttle_wait->count() == 0);
  }

  // The server-directed delay, or nullopt when waiting it would exceed max_throttle_wait.
  std::optional<Clock::duration> throttle_delay(grpc::Status const& status) {
    auto after = server_retry_after(status);
    auto const delay = std::max<Clock::duration>(
        std::chrono::duration_cast<Clock::duration>(*after), kMinServerDelay);
    auto const now = timer_.now();
    if (policy_.max_throttle_wait && now - start_ + delay >= *policy_.max_throttle_wait) {
      return std::nullopt;
    }
    if (!last_warn_ || now - *last_warn_ >= kServerRetryWarnInterval) {
      last_warn_ = now;
      target_.logger().warn("server asked to retry {} after {:.3f}s ({}: {}); retrying", method_,
                            std::chrono::duration<double>(delay).count(),
                            static_cast<int>(status.error_code()), status.error_message());
    }
    return delay;
  }

  void sleep(Clock::duration d) {
    auto until = timer_.now() + d;
    if (control_.deadline) until = std::min(until, *control_.deadline);
    timer_.sleep_until(until, scope_, control_.stop);
    check_cancelled();
  }

  CallTarget& target_;
  std::string_view const method_;
  RetryPolicy const& policy_;
  CallControl const& control_;
  CancelScope const& scope_;
  Timer& timer_;
  Clock::time_point const start_;
  AttemptMetadata md_;
  std::uint64_t generation_ = 0;
  int number_ = 0;
  int retries_ = 0;
  bool auth_retried_ = false;
  std::optional<Clock::time_point> last_warn_;
};

grpc::Status run_call(CallTarget& target, std::string_view method, RetryPolicy const& policy,
                      CallControl const& control, AttemptFn const& fn,
                      CancelScope const* scope_override) {
  RetryLoop loop(target, method, policy, control,
                 scope_override != nullptr ? *scope_override : target.scope());
  return loop.run(fn);
}

}  // namespace modal::internal
