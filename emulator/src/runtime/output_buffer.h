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

/// The buffer's mode: what reading does and what the producer does when `capacity` bytes
/// are held. The two modes differ in both, so each is one choice:
///
/// | mode            | reading                          | producer at `capacity`        |
/// |-----------------|----------------------------------|-------------------------------|
/// | kBackPressure   | consumes: acknowledges the bytes | pauses until a reader         |
/// |                 | before the offset read at        | acknowledges (exec output)    |
/// | kDropOldest     | never consumes: any reader reads | never pauses: the oldest      |
/// |                 | the retained window at any time  | bytes leave the window        |
/// |                 |                                  | (sandbox logs)                |
enum class OverflowPolicy {
  /// Consumed output (TaskExecStdioRead): reading at an offset acknowledges every byte
  /// before it; at most `capacity` unacknowledged bytes are held, then the runtime stops
  /// reading the pipe, the kernel pipe fills and the process blocks in write() until a
  /// reader acknowledges data.
  kBackPressure,
  /// Retained output (SandboxGetLogs): a window of the newest `capacity` bytes produced.
  /// Reads acknowledge nothing, so every reader, whenever it comes, reads the whole window
  /// whatever other readers did; the producer never blocks (a sandbox nobody reads is
  /// never paused) and bytes older than the window are dropped. A read at an offset that
  /// fell out of the window is moved forward to the oldest retained byte.
  kDropOldest,
};

struct OutputBufferOptions {
  /// kBackPressure: bound on buffered, unacknowledged bytes. kDropOldest: size of the
  /// retained window. Memory use is at most this plus the region of one prepare() plus
  /// two blocks.
  size_t capacity = size_t{8} << 20;
  OverflowPolicy overflow = OverflowPolicy::kBackPressure;
  /// Storage granularity; 0 picks clamp(capacity / 8, 16 KiB, 1 MiB).
  size_t block_size = 0;
  /// kBackPressure only: when `capacity` bytes are held in memory, move the oldest blocks
  /// to a file instead of pausing the producer, until this many bytes wait there (then
  /// pause as without it). 0 = never. For clients that collect a command's exit status
  /// before reading its output (Modal's Go and JS SDKs do): the process can finish.
  uint64_t spill_limit = 0;
  /// Directory of the spill file (an unnamed O_TMPFILE, else a file unlinked at once);
  /// empty: $TMPDIR, else /tmp. Disk space of acknowledged bytes is given back as readers
  /// go (hole punching), and all of it when they catch up.
  std::string spill_dir{};
};

/**
 * An append-only byte stream addressed by absolute offset (offset 0 = first byte the
 * process wrote), with memory bounded by `capacity`, in one of two modes (OverflowPolicy).
 *
 * Readers: read(offset, ...) returns the bytes at `offset` as soon as at least one byte
 * exists (never waits to fill `max_bytes`), or EOF, or nothing when the deadline passes
 * or the stop token fires. Any number of concurrent readers.
 *   - kBackPressure (consumed): reading at `offset` acknowledges every byte before it:
 *     those bytes may be discarded and reading them again fails with OUT_OF_RANGE. So a
 *     client can resume from any offset it has not yet acknowledged, i.e. any offset ≥
 *     the last one it read at. Acknowledgement is the maximum over all readers.
 *   - kDropOldest (retained): reading acknowledges nothing; first_available() moves only
 *     when more than `capacity` bytes were produced, to size() - capacity. A read below
 *     it is moved forward to it (ReadResult::offset tells where the data really starts).
 *
 * Producer (exactly one thread: the runtime's I/O loop for process output; tests may use
 * write()): prepare() hands out writable regions (read(2)/readv(2) targets, no extra
 * copy), commit() publishes them, close() marks EOF. Under kBackPressure prepare()
 * returns no room once `capacity` unacknowledged bytes are buffered; the space callback
 * then fires (once) as soon as a reader acknowledges something. Under kDropOldest
 * prepare() always offers room and commit() drops what falls out of the window.
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
  /// kBackPressure: acknowledges every byte before `offset`. kDropOldest: an `offset`
  /// before first_available() reads from first_available().
  /// Errors: OUT_OF_RANGE if `offset` was discarded (kBackPressure) or lies beyond the end
  /// of a closed stream; INVALID_ARGUMENT if max_bytes == 0.
  absl::StatusOr<ReadResult> read_into(uint64_t offset, size_t max_bytes, std::string* out,
                                       Deadline deadline = kNoDeadline, std::stop_token stop = {});
  /// Like read_into(), but acknowledges only the bytes before `acknowledge` (clamped to
  /// `offset`), not every byte before `offset`: for a reader that keeps a window of bytes
  /// it has sent but its client has not confirmed, so that the client can come back for
  /// them. read_into(o, ...) is read_into_keeping(o, o, ...).
  absl::StatusOr<ReadResult> read_into_keeping(uint64_t offset, uint64_t acknowledge,
                                               size_t max_bytes, std::string* out,
                                               Deadline deadline = kNoDeadline,
                                               std::stop_token const& stop = {});
  /// Same as read_into, returning a fresh string.
  absl::StatusOr<ReadChunk> read(uint64_t offset, size_t max_bytes, Deadline deadline = kNoDeadline,
                                 std::stop_token stop = {});

  /// kBackPressure: acknowledges every byte before `offset` without reading (clamped to
  /// size()). kDropOldest: does nothing (retained output is never consumed).
  void acknowledge(uint64_t offset);

  /// Total bytes produced so far (the end offset).
  uint64_t size() const;
  /// First offset still readable (kDropOldest: the start of the retained window).
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
  /// stay valid until the next commit()/close(). Drops nothing (kDropOldest drops at
  /// commit(), only what the committed bytes push out of the window).
  size_t prepare(size_t max_bytes, struct iovec* iov, size_t max_iov, size_t* iov_count);
  /// Publishes the first `n` bytes of the last prepare() and wakes readers; kDropOldest:
  /// then drops the bytes older than the newest `capacity`.
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
  bool retains() const { return options_.overflow == OverflowPolicy::kDropOldest; }
  size_t room_locked() const;
  void discard_locked();
  char* locate_locked(uint64_t offset) const;
  void acknowledge_locked(uint64_t offset, bool* fire_space);
  /// Moves the oldest in-memory block to the spill file; false if it cannot (no full
  /// block, limit reached, I/O error: the producer then pauses as without spilling).
  bool spill_locked();
  /// Appends `n` spilled bytes at `offset` (< base_) to `*out`.
  absl::Status read_spilled_locked(uint64_t offset, size_t n, std::string* out) const;
  /// Gives back the disk space of acknowledged spilled bytes.
  void release_spilled_locked();

  OutputBufferOptions const options_;
  size_t const block_size_;
  mutable std::mutex mu_;
  mutable std::condition_variable_any data_cv_;
  std::condition_variable_any space_cv_;
  std::deque<std::unique_ptr<char[]>> blocks_;
  std::vector<std::unique_ptr<char[]>> spare_;
  uint64_t base_ = 0;   // offset of blocks_.front()[0]
  uint64_t start_ = 0;  // first available offset (kDropOldest: max(0, end_ - capacity))
  uint64_t end_ = 0;    // bytes produced
  bool closed_ = false;
  bool paused_ = false;  // prepare() found no room; fire the space callback on ack
  mutable int waiters_ = 0;
  std::function<void()> space_callback_;
  // Spilled bytes are [max(start_, spill_origin_), base_), at file offset - spill_origin_.
  int spill_fd_ = -1;
  uint64_t spill_origin_ = 0;
  uint64_t punched_ = 0;  // file space before this stream offset was given back
};

}  // namespace modal::emulator::runtime

#endif  // MODAL_EMULATOR_RUNTIME_OUTPUT_BUFFER_H
