// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_STREAMS_H
#define MODAL_INTERNAL_STREAMS_H

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace modal::internal {

/// One remote output stream. Implementations fetch lazily, resume after breaks and
/// throw modal::Error subclasses on failure. Called by one thread at a time.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  /// Replaces `out` with the next chunk (non-empty) and returns true, or returns false
  /// at the end of the stream.
  virtual bool next(std::string& out) = 0;

  /// What next_until() found.
  enum class Next { kData, kEnd, kTimeout };
  /// Like next(), giving up at `deadline` (steady clock) with kTimeout. The default
  /// ignores the deadline (for sources that never block).
  virtual Next next_until(std::string& out, std::chrono::steady_clock::time_point deadline) {
    (void)deadline;
    return next(out) ? Next::kData : Next::kEnd;
  }
};

/// One remote input stream. Called by one thread at a time.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual void write(std::string_view data) = 0;
  /// Sends end-of-file.
  virtual void close() = 0;
};

/// A source with no data (an output stream that was not piped).
class EmptySource final : public ByteSource {
 public:
  bool next(std::string&) override { return false; }
};

}  // namespace modal::internal

#endif  // MODAL_INTERNAL_STREAMS_H
