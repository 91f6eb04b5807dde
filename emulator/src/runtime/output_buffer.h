// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_RUNTIME_OUTPUT_BUFFER_H
#define MODAL_EMULATOR_RUNTIME_OUTPUT_BUFFER_H

#include <sys/uio.h>

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/types.h"

namespace modal::emulator::runtime {

/// What a producer does when `capacity` unacknowledged bytes are buffered.
enum class OverflowPolicy {
  /// Stop producing: the runtime stops reading the pipe, the kernel pipe fills and the
  /// process blocks in write() until a reader acknowledges data (exec output).
  kBackPressure,
  /// Keep producing and discard the oldest bytes, acknowledged or not (sandbox logs, so
  /// that a sandbox nobody reads never blocks). Readers behind are moved forward.
  kDropOldest,
};

struct OutputBufferOptions {
  /// Bound on buffered, unacknowledged bytes (memory use is at most this plus one block).
  size_t capacity = size_t{8} << 20;
  OverflowPolicy overflow = OverflowPolicy::kBackPressure;
  /// Storage granularity; 0 picks clamp(capacity / 8, 16 KiB, 1 MiB).
  size_t block_size = 0;
};

/**
 * An append-only byte stream addressed by absolute offset (offset 0 = first byte the
 * process wrote), with memory bounded by `capacity`.
 *
 * Readers: read(offset, ...) returns the bytes at `offset` as soon as at least one byte
 * exists (never waits to fill `max_bytes`), or EOF, or nothing when the deadline passes
 * or the stop token fires. Reading at `offset` acknowledges every byte before it: those
 * bytes may be discarded and reading them again fails with OUT_OF_RANGE (kBackPressure)
 * or is moved forward to the first available byte (kDropOldest; ReadChunk::offset tells
 * where the data really starts). So a client can resume from any offset it has not yet
 * acknowledged, i.e. any offset ≥ the last one it read at. Any number of concurrent
 * readers; acknowledgement is the maximum over all of them.
 *
 * Producer (exactly one thread: the runtime's I/O loop for process output; tests may use
 * write()): prepare() hands out writable regions (read(2)/readv(2) targets, no extra
 * copy), commit() publishes them, close() marks EOF. Under kBackPressure prepare()
 * returns no room once `capacity` unacknowledged bytes are buffered; the space callback
 * then fires (once) as soon as a reader acknowledges something.
 *
 * Thread-safe.
 */
class OutputBuffer {
 public:
  struct ReadResult {
    /// Offset of the first returned byte (== requested offset unless moved forward).
    uint64_t offset = 0;
    /// Number of bytes returned (0 at EOF, on deadline or on stop).
    size_t size = 0;
    /// The stream is closed and offset + size is its end.
    bool eof = false;
  };

  struct ReadChunk {
    uint64_t offset = 0;
    std::string data{};
    bool eof = false;
  };

  explicit OutputBuffer(OutputBufferOptions options = {});
  ~OutputBuffer();
  OutputBuffer(OutputBuffer const&) = delete;
  OutputBuffer& operator=(OutputBuffer const&) = delete;

  // ---- Readers -------------------------------------------------------------------

  /// Appends up to `max_bytes` bytes starting at `offset` to `*out` (one copy, e.g. into
  /// a protobuf `bytes` field). Blocks until data, EOF, `deadline` or `stop`.
  /// Errors: OUT_OF_RANGE if `offset` was discarded (kBackPressure) or lies beyond the end
  /// of a closed stream; INVALID_ARGUMENT if max_bytes == 0.
  absl::StatusOr<ReadResult> read_into(uint64_t offset, size_t max_bytes, std::string* out,
                                       Deadline deadline = kNoDeadline, std::stop_token stop = {});
  /// Same as read_into, returning a fresh string.
  absl::StatusOr<ReadChunk> read(uint64_t offset, size_t max_bytes, Deadline deadline = kNoDeadline,
                                 std::stop_token stop = {});

  /// Acknowledges every byte before `offset` without reading (clamped to size()).
  void acknowledge(uint64_t offset);

  /// Total bytes produced so far (the end offset).
  uint64_t size() const;
  /// First offset still readable.
  uint64_t first_available() const;
  /// Bytes currently held (size() - first_available()).
  size_t buffered() const;
  /// The producer closed the stream (the process closed its end).
  bool closed() const;
  /// Blocks until closed() or the deadline; returns closed().
  bool wait_closed(Deadline deadline = kNoDeadline) const;
  OutputBufferOptions const& options() const { return options_; }

  // ---- Producer (single thread) ---------------------------------------------------

  /// Writable regions for up to `max_bytes` bytes at the end of the stream, written into
  /// `iov` (at most `max_iov` entries). Returns the total size offered; 0 means no room
  /// (kBackPressure and `capacity` unacknowledged bytes buffered) or closed. The regions
  /// stay valid until the next commit()/close().
  size_t prepare(size_t max_bytes, struct iovec* iov, size_t max_iov, size_t* iov_count);
  /// Publishes the first `n` bytes of the last prepare() and wakes readers.
  void commit(size_t n);
  /// Marks EOF. Further producer calls are ignored. Idempotent.
  void close();
  /// Called (without any lock held, from a reader's thread) when room becomes available
  /// after prepare() returned 0. Set it once, before producing.
  void set_space_callback(std::function<void()> callback);

  /// Convenience producer: appends `data`, waiting for room (kBackPressure) until the
  /// deadline. Returns the number of bytes appended.
  size_t write(std::string_view data, Deadline deadline = kNoDeadline);

 private:
  size_t room_locked() const;
  void discard_locked();
  char* locate_locked(uint64_t offset) const;
  void acknowledge_locked(uint64_t offset, bool* fire_space);

  OutputBufferOptions const options_;
  size_t const block_size_;
  mutable std::mutex mu_;
  mutable std::condition_variable_any data_cv_;
  std::condition_variable_any space_cv_;
  std::deque<std::unique_ptr<char[]>> blocks_;
  std::vector<std::unique_ptr<char[]>> spare_;
  uint64_t base_ = 0;   // offset of blocks_.front()[0]
  uint64_t start_ = 0;  // first available offset
  uint64_t end_ = 0;    // bytes produced
  bool closed_ = false;
  bool paused_ = false;  // prepare() found no room; fire the space callback on ack
  mutable int waiters_ = 0;
  std::function<void()> space_callback_;
};

}  // namespace modal::emulator::runtime

#endif  // MODAL_EMULATOR_RUNTIME_OUTPUT_BUFFER_H
