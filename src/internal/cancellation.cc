// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "internal/cancellation.h"

#include <condition_variable>
#include <mutex>

#include "modal/errors.h"

namespace modal::internal {
namespace {

class SystemTimer final : public Timer {
 public:
  Clock::time_point now() const override { return Clock::now(); }

  Wake sleep_until(Clock::time_point until, CancelScope const& scope,
                   std::stop_token const& stop) override {
    std::mutex mu;
    std::condition_variable cv;
    auto wake = [&] {
      std::lock_guard lock(mu);
      cv.notify_all();
    };
    std::stop_callback<decltype(wake)> on_cancel(scope.token(), wake);
    std::optional<std::stop_callback<decltype(wake)>> on_stop;
    if (stop.stop_possible()) on_stop.emplace(stop, wake);
    std::unique_lock lock(mu);
    cv.wait_until(lock, until, [&] { return scope.cancelled() || stop.stop_requested(); });
    if (scope.cancelled()) return Wake::kCancelled;
    if (stop.stop_requested()) return Wake::kStopped;
    return Wake::kElapsed;
  }
};

}  // namespace

std::shared_ptr<CancelScope> CancelScope::root(std::string reason) {
  return std::make_shared<CancelScope>(std::move(reason));
}

std::shared_ptr<CancelScope> CancelScope::child(std::string reason) {
  auto c = std::make_shared<CancelScope>(std::move(reason));
  c->parent_ = shared_from_this();
  std::weak_ptr<CancelScope> weak = c;
  c->parent_link_.emplace(source_.get_token(), std::function<void()>([weak] {
                            if (auto self = weak.lock()) {
                              int expected = 0;
                              self->cause_.compare_exchange_strong(expected, 2);
                              self->source_.request_stop();
                            }
                          }));
  return c;
}

void CancelScope::cancel(std::string reason) {
  int expected = 0;
  if (cause_.compare_exchange_strong(expected, 1)) cancel_reason_ = std::move(reason);
  source_.request_stop();
}

std::string const& CancelScope::reason() const {
  auto const cause = cause_.load();
  if (cause == 2 && parent_ != nullptr) return parent_->reason();
  if (cause == 1 && cancelled() && !cancel_reason_.empty()) return cancel_reason_;
  return reason_;
}

void CancelScope::throw_if_cancelled(std::string_view method) const {
  if (cancelled()) throw_cancelled(method);
}

void CancelScope::throw_cancelled(std::string_view method) const {
  throw ClientClosedError(reason(), StatusCode::kCancelled, std::string(method));
}

std::shared_ptr<Timer> Timer::system() {
  static auto* const timer = new std::shared_ptr<Timer>(std::make_shared<SystemTimer>());
  return *timer;
}

std::chrono::system_clock::time_point to_system_time(Clock::time_point t) {
  return std::chrono::system_clock::now() +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(t - Clock::now());
}

}  // namespace modal::internal
