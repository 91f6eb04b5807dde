// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Fakes for unit tests of the SDK's call machinery: a virtual-time Timer, a CallTarget,
// scripted server streams and an ExecChannel.
#ifndef MODAL_TESTS_UNIT_FAKES_H
#define MODAL_TESTS_UNIT_FAKES_H

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/sync_stream.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/null_sink.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "internal/cancellation.h"
#include "internal/exec_channel.h"
#include "internal/retry.h"

namespace modal::internal::testing {

/**
 * Virtual time: now() only moves when a sleep (or advance()) moves it, so retry
 * backoffs take no real time and their lengths are recorded. In blocking mode, sleeps
 * wait in real time until cancelled instead (to test that cancellation wakes them).
 */
class FakeTimer final : public Timer {
 public:
  Clock::time_point now() const override {
    std::lock_guard lock(mu_);
    return now_;
  }

  Wake sleep_until(Clock::time_point until, CancelScope const& scope,
                   std::stop_token const& stop) override {
    std::unique_lock lock(mu_);
    sleeps_.push_back(until - now_);
    if (blocking_) {
      auto wake = [this] {
        std::lock_guard l(mu_);
        cv_.notify_all();
      };
      lock.unlock();
      std::stop_callback<decltype(wake)> a(scope.token(), wake);
      std::optional<std::stop_callback<decltype(wake)>> b;
      if (stop.stop_possible()) b.emplace(stop, wake);
      lock.lock();
      ++blocked_;
      cv_.notify_all();
      cv_.wait(lock, [&] { return scope.cancelled() || stop.stop_requested(); });
      --blocked_;
    }
    if (scope.cancelled()) return Wake::kCancelled;
    if (stop.stop_requested()) return Wake::kStopped;
    if (until > now_) now_ = until;
    return Wake::kElapsed;
  }

  void advance(Clock::duration d) {
    std::lock_guard lock(mu_);
    now_ += d;
  }
  std::vector<Clock::duration> sleeps() const {
    std::lock_guard lock(mu_);
    return sleeps_;
  }
  void set_blocking(bool blocking) {
    std::lock_guard lock(mu_);
    blocking_ = blocking;
  }
  /// Waits (real time) until a sleep is blocked.
  void await_blocked_sleep() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return blocked_ > 0; });
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  Clock::time_point now_{std::chrono::hours(1000)};
  std::vector<Clock::duration> sleeps_;
  bool blocking_ = false;
  int blocked_ = 0;
};

/// One attempt as the FakeTarget saw it.
struct PreparedAttempt {
  std::string method{};
  AttemptMetadata metadata{};
  std::uint64_t generation = 0;
};

/// A CallTarget that records what the engine does with it.
class FakeTarget : public CallTarget {
 public:
  FakeTarget()
      : scope_(CancelScope::root("fake client closed")),
        logger_(std::make_shared<spdlog::logger>(
            "fake", std::make_shared<spdlog::sinks::null_sink_mt>())) {}

  std::string_view service() const override { return "fake.Service"; }
  std::uint64_t prepare(grpc::ClientContext&, std::string_view method,
                        AttemptMetadata const& md) override {
    std::lock_guard lock(mu_);
    prepared_.push_back({std::string(method), md, generation_});
    return generation_;
  }
  bool refresh_credential(std::uint64_t generation) override {
    std::lock_guard lock(mu_);
    refreshes_.push_back(generation);
    if (!refreshable_) return false;
    if (generation == generation_) ++generation_;
    return true;
  }
  void observe(std::string_view method, grpc::Status const& status, Clock::duration,
               int attempt) override {
    std::lock_guard lock(mu_);
    observed_.push_back({std::string(method), status.error_code(), attempt});
  }
  CancelScope const& scope() const override { return *scope_; }
  Timer& timer() override { return timer_; }
  spdlog::logger& logger() override { return *logger_; }

  struct Observed {
    std::string method{};
    grpc::StatusCode code{};
    int attempt{};
  };

  FakeTimer& fake_timer() { return timer_; }
  CancelScope& mutable_scope() { return *scope_; }
  void set_refreshable(bool r) {
    std::lock_guard lock(mu_);
    refreshable_ = r;
  }
  std::vector<PreparedAttempt> prepared() const {
    std::lock_guard lock(mu_);
    return prepared_;
  }
  std::vector<std::uint64_t> refreshes() const {
    std::lock_guard lock(mu_);
    return refreshes_;
  }
  std::vector<Observed> observed() const {
    std::lock_guard lock(mu_);
    return observed_;
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<CancelScope> scope_;
  std::shared_ptr<spdlog::logger> logger_;
  FakeTimer timer_;
  bool refreshable_ = true;
  std::uint64_t generation_ = 1;
  std::vector<PreparedAttempt> prepared_;
  std::vector<std::uint64_t> refreshes_;
  std::vector<Observed> observed_;
};

/// A server stream played from a script: messages, then a final status. A Read() past
/// the messages can block until `scope` is cancelled (then the stream ends CANCELLED).
template <typename Resp>
class ScriptedReader final : public grpc::ClientReaderInterface<Resp> {
 public:
  ScriptedReader(std::vector<Resp> messages, grpc::Status status,
                 CancelScope const* block_until_cancelled = nullptr)
      : messages_(std::move(messages)),
        status_(std::move(status)),
        block_scope_(block_until_cancelled) {}

  bool Read(Resp* msg) override {
    if (next_ < messages_.size()) {
      *msg = messages_[next_++];
      return true;
    }
    if (block_scope_ != nullptr) {
      std::mutex mu;
      std::condition_variable cv;
      auto wake = [&] {
        std::lock_guard lock(mu);
        cv.notify_all();
      };
      std::stop_callback<decltype(wake)> cb(block_scope_->token(), wake);
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return block_scope_->cancelled(); });
      status_ = grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
    }
    return false;
  }
  grpc::Status Finish() override { return status_; }
  bool NextMessageSize(uint32_t* sz) override {
    *sz = 0;
    return next_ < messages_.size();
  }
  void WaitForInitialMetadata() override {}

 private:
  std::vector<Resp> messages_;
  std::size_t next_ = 0;
  grpc::Status status_;
  CancelScope const* block_scope_;
};

/// An ExecChannel whose RPCs are lambdas set by the test.
class FakeExecChannel final : public ExecChannel {
 public:
  using StdioFn =
      std::function<std::unique_ptr<grpc::ClientReaderInterface<tcr::TaskExecStdioReadResponse>>(
          tcr::TaskExecStdioReadRequest const&)>;
  using WaitFn =
      std::function<grpc::Status(tcr::TaskExecWaitRequest const&, tcr::TaskExecWaitResponse*)>;
  using PollFn = std::function<grpc::Status(tcr::TaskExecPollResponse*)>;
  using StdinFn = std::function<grpc::Status(tcr::TaskExecStdinWriteRequest const&)>;

  StdioFn on_stdio;
  WaitFn on_wait;
  PollFn on_poll;
  StdinFn on_stdin;

  FakeTarget& target() { return target_; }

  std::string const& task_id() const override { return task_id_; }
  std::unique_ptr<grpc::ClientReaderInterface<tcr::TaskExecStdioReadResponse>> stdio_read(
      grpc::ClientContext&, tcr::TaskExecStdioReadRequest const& req) override {
    return on_stdio(req);
  }
  grpc::Status exec_wait(grpc::ClientContext&, tcr::TaskExecWaitRequest const& req,
                         tcr::TaskExecWaitResponse* resp, StallHook const& on_stall) override {
    if (on_stall) on_stall();
    return on_wait(req, resp);
  }
  grpc::Status exec_poll(grpc::ClientContext&, tcr::TaskExecPollRequest const&,
                         tcr::TaskExecPollResponse* resp) override {
    return on_poll(resp);
  }
  grpc::Status stdin_write(grpc::ClientContext&, tcr::TaskExecStdinWriteRequest const& req,
                           tcr::TaskExecStdinWriteResponse*, StallHook const&) override {
    return on_stdin(req);
  }

  // CallTarget: forwarded to the FakeTarget.
  std::string_view service() const override { return target_.service(); }
  std::uint64_t prepare(grpc::ClientContext& ctx, std::string_view method,
                        AttemptMetadata const& md) override {
    return target_.prepare(ctx, method, md);
  }
  bool refresh_credential(std::uint64_t generation) override {
    return target_.refresh_credential(generation);
  }
  void observe(std::string_view method, grpc::Status const& status, Clock::duration elapsed,
               int attempt) override {
    target_.observe(method, status, elapsed, attempt);
  }
  CancelScope const& scope() const override { return target_.scope(); }
  Timer& timer() override { return target_.timer(); }
  spdlog::logger& logger() override { return target_.logger(); }

 private:
  std::string task_id_ = "ta-fake";
  FakeTarget target_;
};

}  // namespace modal::internal::testing

#endif  // MODAL_TESTS_UNIT_FAKES_H
