// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_EXEC_STDIO_H
#define MODAL_INTERNAL_EXEC_STDIO_H

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "internal/router_client.h"
#include "internal/streams.h"
#include "modal_proto/task_command_router.pb.h"

namespace modal::internal {

using ExecDeadline = std::optional<std::chrono::steady_clock::time_point>;

/// Called when a caller has been blocked on an exec for a while (see ExecOutput).
using StallHook = std::function<void()>;

/**
 * One output stream (stdout or stderr) of an exec, fetched over TaskExecStdioRead.
 *
 * A background pump thread, started on the first read (or by drain()), keeps one stream
 * open at the byte offset received so far; a broken stream is reopened at that offset
 * (transient codes: 10 ms × 2 backoff, at most 10 retries in a row; UNAUTHENTICATED:
 * refresh the JWT and reopen once), so no byte is lost or repeated. A clean end of the
 * stream is EOF. Past the exec deadline, reads fail with ExecTimeoutError.
 *
 * While someone reads, the pump stays at most a few MiB ahead (the emulator then applies
 * back-pressure to the process). drain() makes the pump fetch without bound while nobody
 * reads: used when a caller is blocked on the *other* stream (or on wait/stdin), so that
 * a process writing a lot to a stream nobody reads yet never stalls that caller.
 *
 * Thread-safe; next() is called by one thread at a time (StreamReader serializes).
 */
class ExecOutput {
 public:
  ExecOutput(std::shared_ptr<RouterClient> router, std::string exec_id,
             modal::task_command_router::TaskExecStdioFileDescriptor fd, ExecDeadline deadline);
  ~ExecOutput();
  ExecOutput(ExecOutput const&) = delete;
  ExecOutput& operator=(ExecOutput const&) = delete;

  /// Called (without locks) each time next() has waited `stall_after` without data.
  void set_stall_hook(StallHook hook) { stall_hook_ = std::move(hook); }
  /// Asked when the stream ends after the exec deadline: whether the command was killed
  /// by its timeout (then reads fail with ExecTimeoutError). Unset: assume it was.
  void set_timeout_check(std::function<bool()> check) { timeout_check_ = std::move(check); }

  /// How long a stream opened after the deadline may still take to deliver what is left.
  static constexpr auto kTimeoutGrace = std::chrono::seconds(2);

  /// Replaces `out` with the next chunk; false at the end. @throws modal::Error.
  bool next(std::string& out);
  /// Starts fetching in the background if nobody has read this stream yet.
  void drain();
  /// Stops the pump (cancels its stream) and joins it. Idempotent.
  void stop();

  static constexpr auto kStallAfter = std::chrono::milliseconds(50);
  /// While a reader is attached the pump queues at most this many bytes.
  static constexpr std::size_t kQueueLimit = std::size_t{8} << 20;
  /// Buffers handed back by the reader (StreamReader::read, read_line, istream) are
  /// reused for the next messages when at least this large.
  static constexpr std::size_t kRecycleMin = std::size_t{64} << 10;
  static constexpr std::size_t kMaxSpares = 2;

 private:
  void start_locked();
  void pump();
  void fail(std::exception_ptr error);
  bool wait_backoff(std::chrono::nanoseconds d);

  std::shared_ptr<RouterClient> const router_;
  std::string const exec_id_;
  modal::task_command_router::TaskExecStdioFileDescriptor const fd_;
  ExecDeadline const deadline_;
  StallHook stall_hook_;
  std::function<bool()> timeout_check_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  std::vector<std::string> spares_;  // recycled buffers for the pump
  std::size_t queued_bytes_ = 0;
  std::uint64_t received_ = 0;  // stream offset of the next byte to fetch
  bool started_ = false;
  bool attached_ = false;  // a reader has called next()
  bool eof_ = false;
  bool stop_ = false;
  std::exception_ptr error_;
  grpc::ClientContext* ctx_ = nullptr;  // the open stream, for stop()
  std::thread thread_;
};

/// The ByteSource of a StreamReader over an ExecOutput.
class ExecOutputSource final : public ByteSource {
 public:
  explicit ExecOutputSource(std::shared_ptr<ExecOutput> output) : output_(std::move(output)) {}
  bool next(std::string& out) override { return output_->next(out); }

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
  ExecStdinSink(std::shared_ptr<RouterClient> router, std::string exec_id, StallHook on_stall);
  void write(std::string_view data) override;
  void close() override;

  static constexpr std::size_t kChunk = std::size_t{4} << 20;

 private:
  void send(std::string_view data, bool eof);

  std::shared_ptr<RouterClient> const router_;
  std::string const exec_id_;
  StallHook const on_stall_;
  std::uint64_t offset_ = 0;
};

/// Runs one async unary call: `start(done)` issues it and `done(status)` is called on
/// completion. Blocks until then; calls `on_stall` (if set) each time it has waited
/// ExecOutput::kStallAfter.
grpc::Status await_unary(std::function<void(std::function<void(grpc::Status)>)> const& start,
                         StallHook const& on_stall);

}  // namespace modal::internal

#endif  // MODAL_INTERNAL_EXEC_STDIO_H
