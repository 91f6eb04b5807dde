// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "internal/exec_stdio.h"

#include <algorithm>

#include "internal/resumable_stream.h"
#include "internal/rpc.h"
#include "internal/status.h"
#include "modal/errors.h"

namespace modal::internal {
namespace {

char const* fd_name(tcr::TaskExecStdioFileDescriptor fd) {
  return fd == tcr::TASK_EXEC_STDIO_FILE_DESCRIPTOR_STDERR ? "stderr" : "stdout";
}

}  // namespace

ExecOutput::ExecOutput(std::shared_ptr<ExecChannel> channel, std::string exec_id,
                       tcr::TaskExecStdioFileDescriptor fd, ExecDeadline deadline)
    : channel_(std::move(channel)),
      exec_id_(std::move(exec_id)),
      fd_(fd),
      deadline_(deadline),
      pump_([this](BytePump&, std::stop_token stop) { produce(std::move(stop)); }) {}

bool ExecOutput::past_deadline() const {
  return deadline_ && channel_->timer().now() >= *deadline_;
}

void ExecOutput::throw_timeout() const {
  throw ExecTimeoutError(
      std::string("deadline exceeded while streaming ") + fd_name(fd_) + " of exec " + exec_id_,
      StatusCode::kDeadlineExceeded, std::string(rpc::TaskExecStdioRead.name));
}

void ExecOutput::produce(std::stop_token stop) {
  tcr::TaskExecStdioReadRequest req;
  req.set_task_id(channel_->task_id());
  req.set_exec_id(exec_id_);
  req.set_file_descriptor(fd_);

  ResumableStream<tcr::TaskExecStdioReadResponse> stream;
  stream.method = rpc::TaskExecStdioRead.name;
  stream.policy = RetryPolicy::router();
  // Past the deadline a failure is the timeout's, not a break to recover from.
  stream.policy.retryable = [this](grpc::Status const& status) {
    return is_retryable(status.error_code()) && !past_deadline();
  };
  stream.clean_end = CleanEnd::kFinished;
  stream.open = [&](grpc::ClientContext& ctx) {
    if (deadline_) {
      // A stream opened late gives the server a moment to finish a command that
      // already ended instead of failing at once.
      auto const grace = channel_->timer().now() + kTimeoutGrace;
      ctx.set_deadline(to_system_time(std::max(*deadline_, grace)));
    }
    req.set_offset(pump_.delivered());
    return channel_->stdio_read(ctx, req);
  };
  stream.before_read = [this](tcr::TaskExecStdioReadResponse& msg) {
    pump_.recycle_into(*msg.mutable_data());
  };
  stream.on_message = [this](tcr::TaskExecStdioReadResponse& msg) {
    return pump_.deliver(*msg.mutable_data());
  };
  CallControl control;
  control.stop = std::move(stop);
  auto const status = stream.run(*channel_, control);
  if (control.stop.stop_requested()) return;
  bool const past = past_deadline();
  if (status.ok()) {
    // Past the deadline the stream may have ended because the timeout killed the
    // command: then the reader gets ExecTimeoutError instead of a short EOF.
    if (past && (!timeout_check_ || timeout_check_())) throw_timeout();
    return;
  }
  if (past) throw_timeout();
  throw_rpc_error(status, rpc::TaskExecStdioRead.name);
}

// ---------------------------------------------------------------------------------
// ExecStdinSink

ExecStdinSink::ExecStdinSink(std::shared_ptr<ExecChannel> channel, std::string exec_id,
                             StallHook on_stall)
    : channel_(std::move(channel)), exec_id_(std::move(exec_id)), on_stall_(std::move(on_stall)) {}

void ExecStdinSink::send(std::string_view data, bool eof) {
  tcr::TaskExecStdinWriteRequest req;
  req.set_task_id(channel_->task_id());
  req.set_exec_id(exec_id_);
  req.set_offset(offset_);
  req.set_data(std::string(data));
  req.set_eof(eof);
  tcr::TaskExecStdinWriteResponse resp;
  auto status = run_call(*channel_, rpc::TaskExecStdinWrite.name, RetryPolicy::router(), {},
                         [&](Attempt& attempt) {
                           return channel_->stdin_write(attempt.context(), req, &resp, on_stall_);
                         });
  if (!status.ok()) throw_rpc_error(status, rpc::TaskExecStdinWrite.name);
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
