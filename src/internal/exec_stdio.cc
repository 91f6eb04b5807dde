// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "internal/exec_stdio.h"

#include <algorithm>

#include "internal/client_state.h"
#include "internal/retry.h"
#include "internal/status.h"
#include "modal/errors.h"

namespace modal::internal {
namespace {

namespace tcr = modal::task_command_router;
using Clock = std::chrono::steady_clock;

constexpr auto kBaseDelay = std::chrono::milliseconds(10);
constexpr int kMaxRetries = 10;

std::chrono::system_clock::time_point to_system(Clock::time_point t) {
  return std::chrono::system_clock::now() +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(t - Clock::now());
}

char const* fd_name(tcr::TaskExecStdioFileDescriptor fd) {
  return fd == tcr::TASK_EXEC_STDIO_FILE_DESCRIPTOR_STDERR ? "stderr" : "stdout";
}

}  // namespace

grpc::Status await_unary(std::function<void(std::function<void(grpc::Status)>)> const& start,
                         StallHook const& on_stall) {
  struct Waiter {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    grpc::Status status;
  };
  auto w = std::make_shared<Waiter>();
  start([w](grpc::Status status) {
    std::lock_guard lock(w->mu);
    w->status = std::move(status);
    w->done = true;
    w->cv.notify_all();
  });
  std::unique_lock lock(w->mu);
  while (!w->cv.wait_for(lock, ExecOutput::kStallAfter, [&] { return w->done; })) {
    if (on_stall) {
      lock.unlock();
      on_stall();
      lock.lock();
    }
  }
  return w->status;
}

// ---------------------------------------------------------------------------------
// ExecOutput

ExecOutput::ExecOutput(std::shared_ptr<RouterClient> router, std::string exec_id,
                       tcr::TaskExecStdioFileDescriptor fd, ExecDeadline deadline)
    : router_(std::move(router)), exec_id_(std::move(exec_id)), fd_(fd), deadline_(deadline) {}

ExecOutput::~ExecOutput() { stop(); }

void ExecOutput::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    if (ctx_ != nullptr) ctx_->TryCancel();
  }
  cv_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void ExecOutput::start_locked() {
  if (started_ || stop_) return;
  started_ = true;
  thread_ = std::thread([this] { pump(); });
}

void ExecOutput::drain() {
  std::lock_guard lock(mu_);
  if (attached_ || eof_ || error_) return;
  start_locked();
}

bool ExecOutput::next(std::string& out) {
  std::unique_lock lock(mu_);
  attached_ = true;
  start_locked();
  for (;;) {
    if (!queue_.empty()) {
      out.swap(queue_.front());  // `out` may hand back the caller's previous buffer
      std::string previous = std::move(queue_.front());
      queue_.pop_front();
      queued_bytes_ -= out.size();
      if (previous.capacity() >= kRecycleMin && spares_.size() < kMaxSpares) {
        spares_.push_back(std::move(previous));
      }
      lock.unlock();
      cv_.notify_all();  // room for the pump
      return true;
    }
    if (error_) std::rethrow_exception(error_);
    if (eof_) return false;
    if (stop_) throw ClientClosedError("the process handle was released");
    if (!cv_.wait_for(lock, kStallAfter,
                      [this] { return !queue_.empty() || error_ || eof_ || stop_; })) {
      if (stall_hook_) {
        lock.unlock();
        stall_hook_();
        lock.lock();
      }
    }
  }
}

void ExecOutput::fail(std::exception_ptr error) {
  {
    std::lock_guard lock(mu_);
    error_ = std::move(error);
  }
  cv_.notify_all();
}

bool ExecOutput::wait_backoff(std::chrono::nanoseconds d) {
  auto const until = Clock::now() + d;
  std::unique_lock lock(mu_);
  while (!stop_ && !router_->closed() && Clock::now() < until) {
    cv_.wait_for(lock,
                 std::min<Clock::duration>(until - Clock::now(), std::chrono::milliseconds(20)));
  }
  return !stop_ && !router_->closed();
}

void ExecOutput::pump() {
  auto delay = std::chrono::duration_cast<Clock::duration>(kBaseDelay);
  int retries_left = kMaxRetries;
  bool auth_retried = false;
  int attempt = 0;
  auto timeout_error = [this] {
    return std::make_exception_ptr(ExecTimeoutError(
        std::string("deadline exceeded while streaming ") + fd_name(fd_) + " of exec " + exec_id_,
        StatusCode::kDeadlineExceeded, "TaskExecStdioRead"));
  };
  tcr::TaskExecStdioReadRequest req;
  req.set_task_id(router_->task_id());
  req.set_exec_id(exec_id_);
  req.set_file_descriptor(fd_);
  for (;;) {
    std::unique_ptr<RouterClient::Call> call;
    try {
      call = router_->new_call();
    } catch (...) {
      fail(std::current_exception());
      return;
    }
    auto& ctx = call->context();
    if (deadline_) {
      // Past the deadline (a stream opened late), give the server a moment to finish a
      // command that already ended instead of failing at once.
      ctx.set_deadline(to_system(std::max(*deadline_, Clock::now() + kTimeoutGrace)));
    }
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
      ctx_ = &ctx;
      req.set_offset(received_);
    }
    auto const start = Clock::now();
    auto reader = router_->stub().TaskExecStdioRead(&ctx, req);
    tcr::TaskExecStdioReadResponse msg;
    bool stopped = false;
    for (;;) {
      {
        // Parse into a buffer the reader handed back: no fresh allocation per message.
        std::lock_guard lock(mu_);
        if (!spares_.empty() && msg.data().capacity() < kRecycleMin) {
          msg.mutable_data()->swap(spares_.back());
          spares_.pop_back();
        }
      }
      if (!reader->Read(&msg)) break;
      std::string* data = msg.mutable_data();
      if (data->empty()) continue;
      {
        std::unique_lock lock(mu_);
        // Bounded look-ahead while a reader is attached; unbounded while draining.
        cv_.wait(lock, [&] { return stop_ || !attached_ || queued_bytes_ < kQueueLimit; });
        if (stop_) {
          stopped = true;
          break;
        }
        received_ += data->size();
        queued_bytes_ += data->size();
        queue_.emplace_back(std::move(*data));
      }
      cv_.notify_all();
      data->clear();
      delay = std::chrono::duration_cast<Clock::duration>(kBaseDelay);
      retries_left = kMaxRetries;
      auth_retried = false;
    }
    if (stopped) ctx.TryCancel();
    grpc::Status status = reader->Finish();
    {
      std::lock_guard lock(mu_);
      ctx_ = nullptr;
      if (stop_) return;
    }
    router_->observe("TaskExecStdioRead", status, Clock::now() - start, attempt++);
    auto const code = status.error_code();
    bool const past_deadline = deadline_ && Clock::now() >= *deadline_;
    if (status.ok()) {
      // The stream ended. Past the deadline, it may have ended because the timeout killed
      // the command: then the reader gets ExecTimeoutError instead of a short EOF.
      bool timed_out = false;
      if (past_deadline) {
        try {
          timed_out = !timeout_check_ || timeout_check_();
        } catch (...) {
          fail(std::current_exception());
          return;
        }
      }
      if (timed_out) {
        fail(timeout_error());
      } else {
        {
          std::lock_guard lock(mu_);
          eof_ = true;
        }
        cv_.notify_all();
      }
      return;
    }
    if (code == grpc::StatusCode::UNAUTHENTICATED && !auth_retried) {
      try {
        router_->refresh_after(call->generation());
      } catch (...) {
        fail(std::current_exception());
        return;
      }
      auth_retried = true;
      continue;
    }
    if (router_->closed() && code == grpc::StatusCode::CANCELLED) {
      fail(std::make_exception_ptr(
          ClientClosedError("Unable to perform operation on a detached sandbox",
                            StatusCode::kCancelled, "TaskExecStdioRead")));
      return;
    }
    if (past_deadline) {
      fail(timeout_error());
      return;
    }
    if (is_retryable(code) && retries_left > 0) {
      if (deadline_ && *deadline_ - Clock::now() <= delay) {
        fail(timeout_error());
        return;
      }
      router_->client().logger().debug(
          "TaskExecStdioRead ({} of exec {}) broke at offset {} "
          "with code {} ({}); reopening",
          fd_name(fd_), exec_id_, received_, static_cast<int>(code), status.error_message());
      if (!wait_backoff(delay)) {
        if (router_->closed()) {
          fail(std::make_exception_ptr(
              ClientClosedError("Unable to perform operation on a detached sandbox",
                                StatusCode::kCancelled, "TaskExecStdioRead")));
        }
        return;
      }
      delay *= 2;
      --retries_left;
      continue;
    }
    try {
      router_->throw_error(status, "TaskExecStdioRead");
    } catch (...) {
      fail(std::current_exception());
    }
    return;
  }
}

// ---------------------------------------------------------------------------------
// ExecStdinSink

ExecStdinSink::ExecStdinSink(std::shared_ptr<RouterClient> router, std::string exec_id,
                             StallHook on_stall)
    : router_(std::move(router)), exec_id_(std::move(exec_id)), on_stall_(std::move(on_stall)) {}

void ExecStdinSink::send(std::string_view data, bool eof) {
  tcr::TaskExecStdinWriteRequest req;
  req.set_task_id(router_->task_id());
  req.set_exec_id(exec_id_);
  req.set_offset(offset_);
  req.set_data(std::string(data));
  req.set_eof(eof);
  tcr::TaskExecStdinWriteResponse resp;
  auto status = router_->run("TaskExecStdinWrite", {}, [&](grpc::ClientContext& ctx) {
    return await_unary(
        [&](std::function<void(grpc::Status)> done) {
          router_->stub().async()->TaskExecStdinWrite(&ctx, &req, &resp, std::move(done));
        },
        on_stall_);
  });
  if (!status.ok()) router_->throw_error(status, "TaskExecStdinWrite");
  offset_ += data.size();
}

void ExecStdinSink::write(std::string_view data) {
  while (!data.empty()) {
    auto const n = std::min(data.size(), kChunk);
    send(data.substr(0, n), false);
    data.remove_prefix(n);
  }
}

void ExecStdinSink::close() { send({}, true); }

}  // namespace modal::internal
