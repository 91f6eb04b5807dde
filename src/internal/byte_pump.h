// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_BYTE_PUMP_H
#define MODAL_INTERNAL_BYTE_PUMP_H

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "internal/exec_channel.h"
#include "internal/streams.h"

namespace modal::internal {

/**
 * Hands a remote byte stream from a background producer thread to one reader.
 *
 * The producer (typically a ResumableStream) runs on a thread started by the first
 * next() or by drain(); it calls deliver() for every chunk, returns at the end of the
 * stream and throws a modal::Error to fail it. Readers see the chunks in order, then the
 * end (next() returns false) or the error (rethrown by next()).
 *
 * While a reader is attached (has called next()) the producer stays at most kQueueLimit
 * bytes ahead; drain() lets it fetch without bound while nobody reads, so that a caller
 * blocked elsewhere never stalls a process writing to this stream. Buffers handed back
 * by the reader are recycled for the next messages, so the steady state allocates
 * nothing. Thread-safe; next() is called by one thread at a time.
 */
class BytePump {
 public:
  /// Produces the stream on the pump thread; must return soon after `stop` is requested.
  using Producer = std::function<void(BytePump& pump, std::stop_token stop)>;

  explicit BytePump(Producer producer) : producer_(std::move(producer)) {}
  ~BytePump();
  BytePump(BytePump const&) = delete;
  BytePump& operator=(BytePump const&) = delete;

  /// Called (without locks) each time next() has waited kStallAfter without data.
  void set_stall_hook(StallHook hook) { stall_hook_ = std::move(hook); }

  /// Replaces `out` with the next chunk; false at the end. @throws modal::Error.
  bool next(std::string& out);
  /// Like next(), giving up at `deadline` (ByteSource::Next::kTimeout).
  ByteSource::Next next_until(std::string& out, std::optional<Clock::time_point> deadline);
  /// Starts producing in the background if nobody has read this stream yet.
  void drain();
  /// Stops the producer (its stop token) and joins it. Idempotent.
  void stop();

  // ---- for the producer ----

  /// Queues a chunk (waiting for room while a reader is attached); `data` is left empty
  /// and may receive a recycled buffer. Returns false once stop() was called.
  bool deliver(std::string& data);
  /// Swaps a buffer handed back by the reader into `buffer` when it has less capacity.
  void recycle_into(std::string& buffer);
  /// Bytes delivered so far: the offset a resumed stream continues from.
  std::uint64_t delivered() const;

  /// While a reader is attached the producer queues at most this many bytes.
  static constexpr std::size_t kQueueLimit = std::size_t{8} << 20;
  /// Buffers handed back by the reader are reused when at least this large.
  static constexpr std::size_t kRecycleMin = std::size_t{64} << 10;
  static constexpr std::size_t kMaxSpares = 2;

 private:
  void start_locked();
  void run();

  Producer const producer_;
  StallHook stall_hook_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  std::vector<std::string> spares_;
  std::size_t queued_bytes_ = 0;
  std::uint64_t delivered_ = 0;
  bool started_ = false;
  bool attached_ = false;
  bool eof_ = false;
  bool stop_ = false;
  std::exception_ptr error_;
  std::stop_source stop_source_;
  std::thread thread_;
};

}  // namespace modal::internal

#endif  // MODAL_INTERNAL_BYTE_PUMP_H
