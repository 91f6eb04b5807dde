// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_RUNTIME_INPUT_SINK_H
#define MODAL_EMULATOR_RUNTIME_INPUT_SINK_H

#include <sys/uio.h>

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/types.h"

namespace modal::emulator::runtime {

struct InputSinkOptions {
  /// Bound on bytes accepted but not yet written to the process.
  size_t capacity = size_t{8} << 20;
};

/**
 * A process's stdin with offset semantics (TaskExecStdinWrite): every byte is applied
 * exactly once, whatever the retries.
 *
 * write(offset, data, eof): `offset` is the stream position of data[0]. Bytes before the
 * number already accepted are skipped (a retried write), an offset beyond it is a gap
 * (OUT_OF_RANGE), `eof` closes the process's stdin once everything before it was
 * delivered. Accepted bytes are queued and written to the pipe by the runtime's I/O
 * loop, so a process that does not read never blocks the caller forever: when
 * `capacity` bytes are queued, write() waits for room until its deadline and then fails
 * with DEADLINE_EXCEEDED, keeping what it had accepted (a retry at the same offset
 * continues where it stopped).
 *
 * Once the process is gone (EPIPE, or it exited) further bytes are accepted and
 * discarded. Under a PTY, eof sends the terminal's EOF character (^D) instead of closing.
 *
 * Thread-safe.
 */
class InputSink {
 public:
  struct Status {
    /// Bytes accepted so far (the offset the next write should use). This is what
    /// TaskExecStdinStatus reports as num_bytes_written: accepted bytes are delivered
    /// unless the process goes away.
    uint64_t accepted = 0;
    /// Bytes actually written to the process so far.
    uint64_t written = 0;
    /// EOF was accepted: no more input (TaskExecStdinStatus.closed).
    bool eof = false;
    /// The runtime closed the process's stdin (after EOF, or because it went away).
    bool closed = false;
    /// The process stopped reading (EPIPE or exit) before everything was delivered.
    bool broken = false;
  };

  explicit InputSink(InputSinkOptions options = {});
  ~InputSink();
  InputSink(InputSink const&) = delete;
  InputSink& operator=(InputSink const&) = delete;

  /// See the class comment. After eof was accepted, a write that adds nothing is a no-op
  /// success and one that adds bytes fails with FAILED_PRECONDITION.
  absl::StatusOr<Status> write(uint64_t offset, std::string_view data, bool eof,
                               Deadline deadline = kNoDeadline);
  Status status() const;
  /// Blocks until every accepted byte was written (or discarded) and, if eof was
  /// accepted, stdin was closed. Returns whether that happened before the deadline.
  bool wait_drained(Deadline deadline = kNoDeadline) const;

  // ---- Consumer (the runtime's I/O loop) -------------------------------------------

  /// Fills `iov` with queued bytes (pointers stay valid until consume()).
  size_t peek(struct iovec* iov, size_t max_iov, size_t* iov_count);
  /// Marks `n` peeked bytes written.
  void consume(size_t n);
  /// Nothing queued and eof accepted: the consumer should close stdin now.
  bool should_close() const;
  /// Nothing queued: the consumer goes idle; the data callback fires on the next write or
  /// eof. Returns false (stay active) if something arrived meanwhile.
  bool go_idle();
  /// The consumer closed stdin; `broken` when the process went away early. Queued bytes
  /// are dropped and later writes are discarded.
  void mark_closed(bool broken);
  /// Called without locks (from a writer's thread) when data or eof arrives while the
  /// consumer is idle. Set it once, before writing.
  void set_data_callback(std::function<void()> callback);

 private:
  InputSinkOptions const options_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::deque<std::string> queue_;
  size_t front_consumed_ = 0;
  uint64_t accepted_ = 0;
  uint64_t written_ = 0;
  bool eof_ = false;
  bool closed_ = false;
  bool broken_ = false;
  bool idle_ = true;
  std::function<void()> data_callback_;
};

/**
 * Index-addressed adapter for sandbox stdin (SandboxStdinWrite{input, index, eof}):
 * indexes start at 1 and each is applied once. An index at or below the last applied
 * one is a duplicate (ignored, OK); an index beyond the next one is a gap (OUT_OF_RANGE).
 * A write that timed out half-way can be retried with the same index. Thread-safe.
 */
class IndexedInput {
 public:
  explicit IndexedInput(std::shared_ptr<InputSink> sink);
  absl::Status write(uint64_t index, std::string_view data, bool eof,
                     Deadline deadline = kNoDeadline);
  /// Last fully applied index (0 before the first write).
  uint64_t last_index() const;
  InputSink& sink() { return *sink_; }

 private:
  std::shared_ptr<InputSink> sink_;
  mutable std::mutex mu_;
  uint64_t last_index_ = 0;
  uint64_t next_offset_ = 0;  // stream offset where the next index starts
};

}  // namespace modal::emulator::runtime

#endif  // MODAL_EMULATOR_RUNTIME_INPUT_SINK_H
