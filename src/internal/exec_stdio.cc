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
                       tcr::TaskExecStdioFileDescriptor fd, ExecDeadline deadline,
                       std::chrono::seconds timeout)
    : channel_(std::move(channel)),
      exec_id_(std::move(exec_id)),
      fd_(fd),
      deadline_(deadline),
      timeout_(timeout),
      pump_([this](BytePump&, std::stop_token stop) { produce(std::move(stop)); }) {}

bool ExecOutput::past_grace() const {
  return deadline_ && channel_->timer().now() >= *deadline_ + kTimeoutGrace;
}

void ExecOutput::produce(std::stop_token stop) {
  tcr::TaskExecStdioReadRequest req;
  req.set_task_id(channel_->task_id());
  req.set_exec_id(exec_id_);
  req.set_file_descriptor(fd_);

  ResumableStream<tcr::TaskExecStdioReadResponse> stream;
  stream.method = rpc::TaskExecStdioRead.name;
  stream.policy = RetryPolicy::router();
  // Breaks are recovered until the stream should have ended anyway.
  stream.policy.retryable = [this](grpc::Status const& status) {
    return is_retryable(status.error_code()) && !past_grace();
  };
  stream.clean_end = CleanEnd::kFinished;
  stream.open = [&](grpc::ClientContext& ctx) {
    if (deadline_) {
      // The server ends the streams of a command its timeout killed shortly after the
      // deadline; give it that long (and a stream opened later, as long again).
      auto const now = channel_->timer().now();
      ctx.set_deadline(to_system_time(std::max(*deadline_, now) + kTimeoutGrace));
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
  if (status.ok() || control.stop.stop_requested()) return;  // EOF (or nobody reads)
  if (deadline_ && channel_->timer().now() >= *deadline_) {
    throw ExecTimeoutError(
        "exec " + exec_id_ + " exceeded its " + std::to_string(timeout_.count()) +
            " s timeout and its " + fd_name(fd_) + " did not end within " +
            std::to_string(kTimeoutGrace.count()) + " s after it (" + status.error_message() + ")",
        StatusCode::kDeadlineExceeded, std::string(rpc::TaskExecStdioRead.name));
  }
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
