// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "internal/logs.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <utility>

#include "modal/errors.h"

namespace modal::internal::logs {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

constexpr std::array<Seconds, 24> kBucketSizes = {
    Seconds(2),  Seconds(4),  Seconds(6),  Seconds(12), Seconds(20), Seconds(30),
    minutes(1),  minutes(2),  minutes(3),  minutes(4),  minutes(5),  minutes(6),
    minutes(10), minutes(12), minutes(15), minutes(20), minutes(30), hours(1),
    hours(2),    hours(3),    hours(4),    hours(8),    hours(12),   hours(24)};

TimePoint from_proto(google::protobuf::Timestamp const& t) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(
      std::chrono::seconds(t.seconds()) + std::chrono::nanoseconds(t.nanos())));
}

std::string const& first_non_empty(std::string const& a, std::string const& b) {
  return a.empty() ? b : a;
}

}  // namespace

std::span<Seconds const> bucket_sizes() { return kBucketSizes; }

Seconds pick_bucket_size(TimePoint since, TimePoint until) {
  auto const duration = until - since;
  for (auto const size : kBucketSizes) {
    if (duration <= kApproximateInitialBuckets * size) return size;
  }
  return kBucketSizes.back();
}

std::optional<Seconds> next_smaller_bucket_size(std::chrono::nanoseconds current) {
  for (std::size_t i = kBucketSizes.size(); i-- > 0;) {
    if (kBucketSizes[i] < current) return kBucketSizes[i];
  }
  return std::nullopt;
}

modal::client::FileDescriptor source_descriptor(std::string const& source) {
  if (source.empty()) return modal::client::FILE_DESCRIPTOR_UNSPECIFIED;
  if (source == "stdout") return modal::client::FILE_DESCRIPTOR_STDOUT;
  if (source == "stderr") return modal::client::FILE_DESCRIPTOR_STDERR;
  if (source == "system") return modal::client::FILE_DESCRIPTOR_INFO;
  throw InvalidError(R"(source must be one of "stdout", "stderr", "system", or empty (got ")" +
                     source + "\")");
}

std::string source_name(modal::client::FileDescriptor fd) {
  switch (fd) {
    case modal::client::FILE_DESCRIPTOR_STDOUT:
      return "stdout";
    case modal::client::FILE_DESCRIPTOR_STDERR:
      return "stderr";
    default:
      return "system";
  }
}

TimePoint entry_time(modal::client::TaskLogs const& item) {
  if (item.timestamp_ns() != 0) {
    return TimePoint(std::chrono::duration_cast<TimePoint::duration>(
        std::chrono::nanoseconds(static_cast<std::int64_t>(item.timestamp_ns()))));
  }
  double const t = item.timestamp();
  if (!std::isfinite(t)) return TimePoint{};
  double const whole = std::floor(t);
  auto const secs = std::chrono::seconds(static_cast<std::int64_t>(whole));
  auto const nanos =
      std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround((t - whole) * 1e9)));
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(secs + nanos));
}

LogEntry to_entry(modal::client::TaskLogs const& item, modal::client::TaskLogsBatch const& batch,
                  std::string const& object_id) {
  LogEntry e;
  e.timestamp = entry_time(item);
  e.source = source_name(item.file_descriptor());
  e.message = item.data();
  e.object_id = object_id;
  std::vector<std::string> ids;
  if (object_id.starts_with("fu-")) {
    ids = {item.function_call_id(), first_non_empty(item.input_id(), batch.input_id()),
           first_non_empty(item.container_id(), batch.task_id())};
  } else if (object_id.starts_with("fc-")) {
    ids = {first_non_empty(item.input_id(), batch.input_id()),
           first_non_empty(item.container_id(), batch.task_id())};
  }
  for (auto& id : ids) {
    if (!id.empty()) e.context_ids.push_back(std::move(id));
  }
  return e;
}

void check_fetch_range(TimePoint since, TimePoint until) {
  if (until - since > kMaxFetchRange) {
    throw InvalidError("time range must not exceed 35 days");
  }
}

int tail_entries(int entries) {
  if (entries == 0) return kDefaultTailEntries;
  if (entries < 0) throw InvalidError("entries must not be negative");
  if (entries > kMaxFetchEntries) {
    throw InvalidError("entries must not exceed " + std::to_string(kMaxFetchEntries));
  }
  return entries;
}

std::vector<LogRange> buckets_to_ranges(modal::client::AppCountLogsResponse const& resp,
                                        Seconds bucket) {
  std::vector<LogRange> out;
  out.reserve(static_cast<std::size_t>(resp.buckets_size()));
  for (auto const& b : resp.buckets()) {
    auto const start = from_proto(b.bucket_start_at());
    out.push_back({start, start + bucket, b.stdout_logs() + b.stderr_logs() + b.system_logs()});
  }
  return out;
}

std::vector<LogRange> refine_dense_ranges(std::vector<LogRange> ranges, CountFn const& count,
                                          std::size_t max_ranges, int max_iterations) {
  for (int round = 0; round < max_iterations; ++round) {
    std::map<std::size_t, Seconds> refinements;  // index -> smaller bucket size
    for (std::size_t i = 0; i < ranges.size(); ++i) {
      if (ranges[i].count <= static_cast<std::uint64_t>(kMaxFetchEntries)) continue;
      if (auto size = next_smaller_bucket_size(ranges[i].end - ranges[i].start)) {
        refinements.emplace(i, *size);
      }
    }
    if (refinements.empty()) break;
    std::size_t estimated = ranges.size();
    for (auto const& [i, size] : refinements) {
      auto const duration = ranges[i].end - ranges[i].start;
      auto const parts =
          static_cast<std::size_t>((duration + size - std::chrono::nanoseconds(1)) / size);
      estimated += parts - 1;
    }
    if (estimated > max_ranges) break;
    std::vector<LogRange> next;
    next.reserve(estimated);
    for (std::size_t i = 0; i < ranges.size(); ++i) {
      auto it = refinements.find(i);
      if (it == refinements.end()) {
        next.push_back(ranges[i]);
        continue;
      }
      auto const& parent = ranges[i];
      auto sub = count(parent.start, parent.end, it->second);
      if (!sub.empty()) {
        sub.front().start = std::max(sub.front().start, parent.start);
        sub.back().end = std::min(sub.back().end, parent.end);
      }
      next.insert(next.end(), sub.begin(), sub.end());
    }
    ranges = std::move(next);
  }
  return ranges;
}

std::vector<LogInterval> build_intervals(std::vector<LogRange> const& ranges) {
  std::vector<LogInterval> out;
  std::optional<TimePoint> start;
  TimePoint end{};
  std::uint64_t count = 0;
  auto const close = [&] {
    out.push_back({*start, end});
    start.reset();
    count = 0;
  };
  for (auto const& r : ranges) {
    if (r.count == 0) {
      if (start) close();
      continue;
    }
    if (start && count + r.count > static_cast<std::uint64_t>(kMaxFetchEntries)) close();
    if (!start) {
      start = r.start;
      count = r.count;
    } else {
      count += r.count;
    }
    end = r.end;
    if (count >= kIntervalEntryThreshold) close();
  }
  if (start) close();
  return out;
}

std::vector<LogInterval> plan_fetch(TimePoint since, TimePoint until, CountFn const& count) {
  auto ranges = count(since, until, pick_bucket_size(since, until));
  std::uint64_t total = 0;
  for (auto const& r : ranges) total += r.count;
  if (total == 0) return {};
  while (!ranges.empty() && ranges.front().count == 0) ranges.erase(ranges.begin());
  while (!ranges.empty() && ranges.back().count == 0) ranges.pop_back();
  ranges = refine_dense_ranges(std::move(ranges), count);
  for (auto const& r : ranges) {
    if (r.count > static_cast<std::uint64_t>(kMaxFetchEntries)) throw InvalidError(kTooManyLogs);
  }
  std::vector<LogInterval> out;
  for (auto interval : build_intervals(ranges)) {
    interval.since = std::max(interval.since, since);
    interval.until = std::min(interval.until, until);
    if (interval.since < interval.until) out.push_back(interval);
  }
  if (out.size() > kMaxFetches) throw InvalidError(kTooManyLogs);
  return out;
}

}  // namespace modal::internal::logs
