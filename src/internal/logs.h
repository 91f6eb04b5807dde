// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_LOGS_H
#define MODAL_INTERNAL_LOGS_H

// Function and FunctionCall logs (src/logs.cc), as the Go SDK's logs.go: the pure parts
// (source names, timestamps, entries, bucket sizes, ranges, refinement, intervals), which
// the unit tests drive directly, and the scope a manager works on.
//
// Fetch plan: the range [since, until) is counted (AppCountLogs) in the smallest bucket
// size of kBucketSizes that gives at most 100 buckets; leading and trailing empty buckets
// are dropped; a bucket with more than 20000 entries is counted again with the next
// smaller size (at most 3 rounds, and only while the plan stays within 500 ranges); then
// consecutive buckets are merged into intervals, cut at an empty bucket, once an interval
// reaches 2000 entries, or before it would pass 20000. Each interval is clamped to
// [since, until) and fetched with AppFetchLogs{limit=20000}. A bucket still over 20000
// entries, or over 500 intervals, is InvalidError("too many logs to fetch in time range;
// narrow the range or add filters").

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "modal/logs.h"
#include "modal_proto/api.pb.h"

namespace modal::internal {

class ClientState;

/// What a FunctionLogs / FunctionCallLogs is about.
struct LogScope {
  std::shared_ptr<ClientState> client{};
  std::string app_id{};
  std::string function_id{};
  std::string function_call_id{};  // "" for a Function's logs
  /// The id entries report as object_id (the Function's or the call's).
  std::string const& object_id() const {
    return function_call_id.empty() ? function_id : function_call_id;
  }
};

namespace logs {

using TimePoint = std::chrono::system_clock::time_point;
using Seconds = std::chrono::seconds;

inline constexpr int kDefaultTailEntries = 100;
inline constexpr int kMaxFetchEntries = 20'000;
inline constexpr std::uint64_t kIntervalEntryThreshold = 2'000;
inline constexpr std::size_t kMaxFetches = 500;
inline constexpr auto kMaxFetchRange = std::chrono::hours(35 * 24);
inline constexpr int kMaxRefinementIterations = 3;
inline constexpr int kApproximateInitialBuckets = 100;
inline constexpr char kTooManyLogs[] =
    "too many logs to fetch in time range; narrow the range or add filters";

/// The bucket sizes AppCountLogs is asked for, smallest first (2 s ... 24 h).
std::span<Seconds const> bucket_sizes();
/// The smallest size giving at most 100 buckets over [since, until) (else 24 h).
Seconds pick_bucket_size(TimePoint since, TimePoint until);
/// The largest size smaller than `current`, if any.
std::optional<Seconds> next_smaller_bucket_size(std::chrono::nanoseconds current);

/// "" / "stdout" / "stderr" / "system" -> UNSPECIFIED / STDOUT / STDERR / INFO.
/// @throws InvalidError for anything else.
modal::client::FileDescriptor source_descriptor(std::string const& source);
/// STDOUT / STDERR -> "stdout" / "stderr"; anything else "system".
std::string source_name(modal::client::FileDescriptor fd);
/// timestamp_ns when set, else the float timestamp.
TimePoint entry_time(modal::client::TaskLogs const& item);
/// The LogEntry of one item of a batch, as seen by `object_id` ("fu-..." or "fc-...").
LogEntry to_entry(modal::client::TaskLogs const& item, modal::client::TaskLogsBatch const& batch,
                  std::string const& object_id);

/// @throws InvalidError("time range must not exceed 35 days").
void check_fetch_range(TimePoint since, TimePoint until);
/// The entries of a tail: 0 -> 100. @throws InvalidError out of 0..20000.
int tail_entries(int entries);

struct LogRange {
  TimePoint start{};
  TimePoint end{};
  std::uint64_t count = 0;
  bool operator==(LogRange const&) const = default;
};
struct LogInterval {
  TimePoint since{};
  TimePoint until{};
  bool operator==(LogInterval const&) const = default;
};

/// The buckets of an AppCountLogs answer as ranges of `bucket` length.
std::vector<LogRange> buckets_to_ranges(modal::client::AppCountLogsResponse const& resp,
                                        Seconds bucket);
/// Counts [start, end) in buckets of `bucket` (one AppCountLogs).
using CountFn =
    std::function<std::vector<LogRange>(TimePoint start, TimePoint end, Seconds bucket)>;
/// Ranges over 20000 entries counted again in smaller buckets (see the top of the file).
std::vector<LogRange> refine_dense_ranges(std::vector<LogRange> ranges, CountFn const& count,
                                          std::size_t max_ranges = kMaxFetches,
                                          int max_iterations = kMaxRefinementIterations);
/// Consecutive ranges merged into fetch intervals (see the top of the file).
std::vector<LogInterval> build_intervals(std::vector<LogRange> const& ranges);
/// The intervals to fetch for [since, until): count, refine, merge, clamp.
/// @throws InvalidError(kTooManyLogs); what `count` throws.
std::vector<LogInterval> plan_fetch(TimePoint since, TimePoint until, CountFn const& count);

}  // namespace logs
}  // namespace modal::internal

#endif  // MODAL_INTERNAL_LOGS_H
