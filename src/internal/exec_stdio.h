// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_EXEC_STDIO_H
#define MODAL_INTERNAL_EXEC_STDIO_H

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "internal/byte_pump.h"
#include "internal/exec_channel.h"
#include "internal/streams.h"
#include "modal_proto/task_command_router.pb.h"

namespace modal::internal {

/// The client-side deadline of an exec with a timeout (ExecChannel::timer() time).
using ExecDeadline = std::optional<Clock::time_point>;

/**
 * One output stream (stdout or stderr) of an exec, fetched over TaskExecStdioRead.
 *
 * A BytePump whose producer reads one ResumableStream at the byte offset delivered so
 * far: a broken stream is reopened at that offset under the router policy
 * (RetryPolicy::router(), JWT refresh after UNAUTHENTICATED), so no byte is lost or
 * repeated. A clean end of the stream is EOF, also for a command its timeout killed:
 * what it printed stays readable (ContainerProcess::wait() reports the timeout). Only a
 * stream that does not end within kTimeoutGrace after the exec deadline fails with
 * ExecTimeoutError. Once the channel's scope is cancelled (detach, Client::close()),
 * reads fail with ClientClosedError. Thread-safe; next() is called by one thread at a time.
 */
class ExecOutput {
 public:
  ExecOutput(std::shared_ptr<ExecChannel> channel, std::string exec_id,
             tcr::TaskExecStdioFileDescriptor fd, ExecDeadline deadline,
             std::chrono::seconds timeout = {});
  ExecOutput(ExecOutput const&) = delete;
  ExecOutput& operator=(ExecOutput const&) = delete;

  /// Called (without locks) each time next() has waited kStallAfter without data.
  void set_stall_hook(StallHook hook) { pump_.set_stall_hook(std::move(hook)); }
  /// How long after the exec deadline the server may take to end the streams of the
  /// command its timeout killed.
  static constexpr auto kTimeoutGrace = std::chrono::seconds(2);

  /// Replaces `out` with the next chunk; false at the end. @throws modal::Error.
  bool next(std::string& out) { return pump_.next(out); }
  /// Like next(), giving up at `deadline`.
  ByteSource::Next next_until(std::string& out, Clock::time_point deadline) {
    return pump_.next_until(out, deadline);
  }
  /// Starts fetching in the background if nobody has read this stream yet.
  void drain() { pump_.drain(); }
  /// Stops fetching (cancels the stream) and joins the pump. Idempotent.
  void stop() { pump_.stop(); }

 private:
  /// The pump's producer: the stream read to its end, then what the end means.
  void produce(std::stop_token stop);
  /// Past the deadline and its grace: the stream should have ended.
  bool past_grace() const;

  std::shared_ptr<ExecChannel> const channel_;
  std::string const exec_id_;
  tcr::TaskExecStdioFileDescriptor const fd_;
  ExecDeadline const deadline_;
  std::chrono::seconds const timeout_;
  BytePump pump_;  // last: its thread stops before the members above go
};

/// The ByteSource of a StreamReader over an ExecOutput.
class ExecOutputSource final : public ByteSource {
 public:
  explicit ExecOutputSource(std::shared_ptr<ExecOutput> output) : output_(std::move(output)) {}
  bool next(std::string& out) override { return output_->next(out); }
  Next next_until(std::string& out, Clock::time_point deadline) override {
    return output_->next_until(out, deadline);
  }

 private:
  std::shared_ptr<ExecOutput> output_;
};

/**
 * An exec's stdin over TaskExecStdinWrite: each write carries the running byte offset,
 * advanced only once the server accepted the bytes, so retries never duplicate input.
 * Large writes are sent in chunks. close() sends EOF at the final offset.
 */
class ExecStdinSink final : public ByteSink {
 public:
  ExecStdinSink(std::shared_ptr<ExecChannel> channel, std::string exec_id, StallHook on_stall);
  void write(std::string_view data) override;
  void close() override;

  static constexpr std::size_t kChunk = std::size_t{4} << 20;

 private:
  void send(std::string_view data, bool eof);

  std::shared_ptr<ExecChannel> const channel_;
  std::string const exec_id_;
  StallHook const on_stall_;
  std::uint64_t offset_ = 0;
};

}  // namespace modal::internal

#endif  // MODAL_INTERNAL_EXEC_STDIO_H
