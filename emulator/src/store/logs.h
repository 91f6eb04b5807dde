// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_STORE_LOGS_H
#define MODAL_EMULATOR_SRC_STORE_LOGS_H

// What the emulator's Functions printed: one entry per line (or final unterminated piece)
// a run of an input wrote to its stdout or stderr (control/function_runner.h), with the
// wall-clock time it was printed at and the App, Function, call, input and task it came
// from. AppCountLogs, AppFetchLogs and AppGetLogs (control/logs.cc) read it.
//
// Entries get increasing sequence numbers (1, 2, ...): an AppGetLogs entry id "N-0" means
// "everything up to entry N was sent". Only the newest kMaxLogEntries entries are kept (the
// oldest are dropped; a stream resuming behind them continues at the oldest kept).
//
// Apps stop only when the emulator does: shutdown() marks every App done, so that open
// streams answer app_done, and wakes the waiters.
//
// Thread-safe: one lock, taken only inside the methods.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace modal::emulator {

inline constexpr std::size_t kMaxLogEntries = 200'000;

/// One printed line.
struct StoredLog {
  std::uint64_t seq = 0;  // set by append()
  std::string app_id{};
  std::string function_id{};  // as called (a definition or a bound variant)
  std::string definition_id{};
  std::string function_call_id{};
  std::string input_id{};
  std::string task_id{};
  int file_descriptor = 0;  // modal::client::FileDescriptor: STDOUT, STDERR or INFO
  std::string data{};
  std::int64_t timestamp_ns = 0;  // Unix time
};

/// Which entries a request is about. Empty strings and 0 match everything.
struct LogFilter {
  std::string app_id{};
  std::string function_id{};  // matches the id as called or the definition's id
  std::string function_call_id{};
  std::string input_id{};
  std::string task_id{};
  int file_descriptor = 0;    // FILE_DESCRIPTOR_UNSPECIFIED = every source
  std::string search_text{};  // a substring of the line
  bool matches(StoredLog const& e) const;
};

/// Entries per bucket and source (AppCountLogs).
struct LogBucketCount {
  std::int64_t start_s = 0;  // Unix seconds, a multiple of the bucket size
  std::uint64_t stdout_logs = 0;
  std::uint64_t stderr_logs = 0;
  std::uint64_t system_logs = 0;
};

class LogStore {
 public:
  using Clock = std::chrono::steady_clock;

  /// Adds an entry (its seq is assigned) and wakes the streams.
  void append(StoredLog entry);
  /// The newest `limit` entries (all when 0) matching `filter` with since_ns <= timestamp
  /// < until_ns, in chronological order.
  std::vector<StoredLog> fetch(LogFilter const& filter, std::int64_t since_ns,
                               std::int64_t until_ns, std::size_t limit) const;
  /// The non-empty buckets of `bucket_s` seconds (aligned to the Unix epoch) of the
  /// entries matching `filter` in [since_ns, until_ns), in order.
  std::vector<LogBucketCount> count(LogFilter const& filter, std::int64_t since_ns,
                                    std::int64_t until_ns, std::int64_t bucket_s) const;

  /// Entries after `after_seq` matching `filter`, waiting until `deadline` (or until
  /// `cancelled`, polled in short slices) for at least one. `last_seq` is the seq to resume
  /// after (it moves past entries that did not match, too); `app_done` once the App stopped
  /// and everything was read.
  struct Tail {
    std::vector<StoredLog> entries;
    std::uint64_t last_seq = 0;
    bool app_done = false;
  };
  Tail wait_after(LogFilter const& filter, std::uint64_t after_seq, Clock::time_point deadline,
                  std::function<bool()> const& cancelled) const;

  /// Marks every App done and wakes every waiter.
  void shutdown();
  bool shutting_down() const;

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::deque<StoredLog> entries_;  // by seq (and so by time of printing)
  std::uint64_t next_seq_ = 1;
  bool shutting_down_ = false;
};

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_STORE_LOGS_H
