// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_LOGS_H
#define MODAL_LOGS_H

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "modal/range.h"

namespace modal {

namespace internal {
class ClientState;
}  // namespace internal

/// One line of a Function's logs.
struct LogEntry {
  /// When it was printed (UTC).
  std::chrono::system_clock::time_point timestamp{};
  /// "stdout", "stderr" or "system".
  std::string source{};
  /// The text, as printed (a line keeps its newline).
  std::string message{};
  /// The id of what the logs were asked of: the Function ("fu-...") or the call ("fc-...").
  std::string object_id{};
  /// Ids narrowing where it came from, those the server gave: for a Function's logs the
  /// call, the input and the container (or task); for a call's logs the input and the
  /// container.
  std::vector<std::string> context_ids{};
};

/// Options of `FunctionLogs::fetch`.
struct FunctionLogFetchParams {
  /// The end of the time range (exclusive); unset = now.
  std::optional<std::chrono::system_clock::time_point> until{};
  /// "stdout", "stderr", "system", or "" for every source.
  std::string source{};
  /// Only lines containing this text.
  std::string search_text{};
};

/// Options of `FunctionCallLogs::fetch`.
struct FunctionCallLogFetchParams {
  /// The start of the time range; unset = when the call was created.
  std::optional<std::chrono::system_clock::time_point> since{};
  /// The end of the time range (exclusive); unset = now.
  std::optional<std::chrono::system_clock::time_point> until{};
  /// "stdout", "stderr", "system", or "" for every source.
  std::string source{};
  /// Only lines containing this text.
  std::string search_text{};
};

/// Options of `tail`.
struct LogTailParams {
  /// How many of the most recent entries (0..20000; 0 means the default, 100, as the Go
  /// SDK's zero value).
  int entries = 100;
  /// "stdout", "stderr", "system", or "" for every source.
  std::string source{};
};

/// Options of `stream`.
struct LogStreamParams {
  /// How long to wait for the next entry before the stream ends: unset waits as long as
  /// it takes; zero or negative ends it at once.
  std::optional<std::chrono::milliseconds> timeout{};
};

namespace internal {
struct LogScope;
}  // namespace internal

/**
 * The logs of a Function (`Function::logs()`): what its inputs printed.
 *
 * @code
 * for (modal::LogEntry const& e : f.logs().tail({.entries = 20})) std::cout << e.message;
 * @endcode
 *
 * The ranges are lazy: RPCs are made as the loop advances, and errors are thrown from
 * begin() and operator++.
 *
 * @par Thread Safety
 * Immutable: safe to copy and to use from any number of threads at once. Each returned
 * Range must be used by one thread at a time.
 */
class FunctionLogs {
 public:
  /// Entries printed in [since, params.until), in chronological order (`AppCountLogs` to
  /// split the range into intervals of at most 20000 entries, then `AppFetchLogs` per
  /// interval).
  /// @throws InvalidError (at once) for an unknown source or a range over 35 days; from
  ///   the range: InvalidError when the range holds too many entries to fetch (narrow it
  ///   or filter), or the RPC's error.
  Range<LogEntry> fetch(std::chrono::system_clock::time_point since,
                        FunctionLogFetchParams const& params = {}) const;
  /// The most recent `params.entries` entries, in chronological order (`AppFetchLogs`
  /// looking back 1 h, 24 h, 7 days, then 30 days until it finds enough).
  /// @throws InvalidError (at once) for an unknown source or entries out of 0..20000.
  Range<LogEntry> tail(LogTailParams const& params = {}) const;
  /// Entries as they are printed (`AppGetLogs`, reconnected at the last entry id), until
  /// `params.timeout` passes without one or the App stops. The emulator starts with the
  /// oldest entries it keeps.
  Range<LogEntry> stream(LogStreamParams const& params = {}) const;

 private:
  friend class Function;
  explicit FunctionLogs(std::shared_ptr<internal::LogScope const> scope)
      : scope_(std::move(scope)) {}
  std::shared_ptr<internal::LogScope const> scope_;
};

/**
 * The logs of one FunctionCall (`FunctionCall::logs()`).
 *
 * @par Thread Safety
 * Immutable: safe to copy and to use from any number of threads at once. Each returned
 * Range must be used by one thread at a time.
 */
class FunctionCallLogs {
 public:
  /// The call's entries in [params.since, params.until), in chronological order. Without
  /// `since`, the call's creation time (`FunctionCallGetInfo`, retried while the call is
  /// not found yet, 5 times 1 s apart).
  /// @throws InvalidError for an unknown source or a range over 35 days; NotFoundError if
  ///   the call stays unknown; from the range: as `FunctionLogs::fetch`.
  Range<LogEntry> fetch(FunctionCallLogFetchParams const& params = {}) const;
  /// The call's most recent entries. @throws as `FunctionLogs::tail`.
  Range<LogEntry> tail(LogTailParams const& params = {}) const;
  /// The call's entries as they are printed, until the call has finished (checked every
  /// second with `FunctionCallGetInfo`; then what is left is drained), `params.timeout`
  /// passes without an entry, or the App stops.
  Range<LogEntry> stream(LogStreamParams const& params = {}) const;

 private:
  friend class FunctionCall;
  explicit FunctionCallLogs(std::shared_ptr<internal::LogScope const> scope)
      : scope_(std::move(scope)) {}
  std::shared_ptr<internal::LogScope const> scope_;
};

}  // namespace modal

#endif  // MODAL_LOGS_H
