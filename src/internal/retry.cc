// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "internal/retry.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "internal/status.h"
#include "internal/uuid.h"

namespace modal::internal {
namespace {

constexpr auto kMinServerDelay = std::chrono::milliseconds(100);
constexpr auto kServerRetryWarnInterval = std::chrono::seconds(30);

std::string seconds_3dp(std::chrono::steady_clock::duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", std::chrono::duration<double>(d).count());
  return buf;
}

}  // namespace

bool is_retryable(grpc::StatusCode code) noexcept {
  switch (code) {
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::UNKNOWN: return true;
    default: return false;
  }
}

std::chrono::milliseconds backoff_delay(RetryOptions const& options, int retry) {
  double delay = static_cast<double>(options.initial_delay.count());
  double const cap = static_cast<double>(options.max_delay.count());
  for (int i = 0; i < retry && delay < cap; ++i) delay *= options.delay_factor;
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::min(delay, cap)));
}

grpc::Status run_with_retries(RetryEnvironment const& env, std::string_view method,
                              std::function<grpc::Status(AttemptMetadata const&)> const& attempt) {
  AttemptMetadata md;
  md.idempotency_key = uuid4();
  auto const start = env.now();
  std::optional<std::chrono::steady_clock::time_point> last_warn;
  bool const throttle_enabled =
      !env.max_throttle_wait || env.max_throttle_wait->count() != 0;
  for (;;) {
    if (md.retry_attempt > 0) md.retry_delay = seconds_3dp(env.now() - start);
    if (md.throttle_retry_attempt > 0) md.throttle_retry_delay = seconds_3dp(env.now() - start);
    grpc::Status status = attempt(md);
    if (status.ok()) return status;

    if (auto after = server_retry_after(status); after && throttle_enabled) {
      auto const delay = std::max<std::chrono::nanoseconds>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(*after), kMinServerDelay);
      auto const elapsed = env.now() - start;
      if (env.max_throttle_wait && elapsed + delay >= *env.max_throttle_wait) return status;
      auto const now = env.now();
      if (env.logger && (!last_warn || now - *last_warn >= kServerRetryWarnInterval)) {
        last_warn = now;
        env.logger->warn("server asked to retry {} after {:.3f}s ({}: {}); retrying", method,
                         std::chrono::duration<double>(delay).count(),
                         static_cast<int>(status.error_code()), status.error_message());
      }
      env.sleep(delay);
      ++md.throttle_retry_attempt;
      continue;
    }
    if (!is_retryable(status.error_code()) || md.retry_attempt >= env.options.max_retries) {
      if (env.logger && md.retry_attempt > 0) {
        env.logger->debug("{} failed after {} retries: {}", method, md.retry_attempt,
                          status.error_message());
      }
      return status;
    }
    auto const delay = backoff_delay(env.options, md.retry_attempt);
    if (env.logger) {
      env.logger->debug("{} failed with code {} ({}); retry {} in {} ms", method,
                        static_cast<int>(status.error_code()), status.error_message(),
                        md.retry_attempt + 1, delay.count());
    }
    env.sleep(delay);
    ++md.retry_attempt;
  }
}

}  // namespace modal::internal
