// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "store/logs.h"

#include <algorithm>
#include <map>
#include <utility>

#include "modal_proto/api.pb.h"

namespace modal::emulator {
namespace {

constexpr auto kWaitSlice = std::chrono::milliseconds(100);

/// floor(a / b) for b > 0.
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && (a < 0)) --q;
  return q;
}

}  // namespace

bool LogFilter::matches(StoredLog const& e) const {
  if (!app_id.empty() && e.app_id != app_id) return false;
  if (!function_id.empty() && e.function_id != function_id && e.definition_id != function_id) {
    return false;
  }
  if (!function_call_id.empty() && e.function_call_id != function_call_id) return false;
  if (!input_id.empty() && e.input_id != input_id) return false;
  if (!task_id.empty() && e.task_id != task_id) return false;
  if (file_descriptor != modal::client::FILE_DESCRIPTOR_UNSPECIFIED &&
      e.file_descriptor != file_descriptor) {
    return false;
  }
  if (!search_text.empty() && e.data.find(search_text) == std::string::npos) return false;
  return true;
}

void LogStore::append(StoredLog entry) {
  {
    std::lock_guard lock(mu_);
    entry.seq = next_seq_++;
    entries_.push_back(std::move(entry));
    while (entries_.size() > kMaxLogEntries) entries_.pop_front();
  }
  cv_.notify_all();
}

std::vector<StoredLog> LogStore::fetch(LogFilter const& filter, std::int64_t since_ns,
                                       std::int64_t until_ns, std::size_t limit) const {
  std::lock_guard lock(mu_);
  std::vector<StoredLog> out;
  // Newest first, so that a limit keeps the newest; reversed at the end.
  for (std::size_t i = entries_.size(); i-- > 0;) {
    auto const& e = entries_[i];
    if (limit != 0 && out.size() >= limit) break;
    if (e.timestamp_ns < since_ns || e.timestamp_ns >= until_ns) continue;
    if (filter.matches(e)) out.push_back(e);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::vector<LogBucketCount> LogStore::count(LogFilter const& filter, std::int64_t since_ns,
                                            std::int64_t until_ns, std::int64_t bucket_s) const {
  std::map<std::int64_t, LogBucketCount> buckets;
  {
    std::lock_guard lock(mu_);
    for (auto const& e : entries_) {
      if (e.timestamp_ns < since_ns || e.timestamp_ns >= until_ns || !filter.matches(e)) continue;
      std::int64_t const start =
          floor_div(floor_div(e.timestamp_ns, 1'000'000'000), bucket_s) * bucket_s;
      auto& b = buckets[start];
      b.start_s = start;
      switch (e.file_descriptor) {
        case modal::client::FILE_DESCRIPTOR_STDOUT:
          ++b.stdout_logs;
          break;
        case modal::client::FILE_DESCRIPTOR_STDERR:
          ++b.stderr_logs;
          break;
        default:
          ++b.system_logs;
          break;
      }
    }
  }
  std::vector<LogBucketCount> out;
  out.reserve(buckets.size());
  for (auto& [start, b] : buckets) out.push_back(b);
  return out;
}

LogStore::Tail LogStore::wait_after(LogFilter const& filter, std::uint64_t after_seq,
                                    Clock::time_point deadline,
                                    std::function<bool()> const& cancelled) const {
  std::unique_lock lock(mu_);
  Tail out;
  out.last_seq = after_seq;
  while (true) {
    std::size_t first = 0;  // seqs are consecutive: the entry after last_seq is at
    if (!entries_.empty() && out.last_seq >= entries_.front().seq) {
      first = static_cast<std::size_t>(out.last_seq - entries_.front().seq + 1);
    }
    for (std::size_t i = first; i < entries_.size(); ++i) {
      if (filter.matches(entries_[i])) out.entries.push_back(entries_[i]);
    }
    if (!entries_.empty()) out.last_seq = std::max(out.last_seq, entries_.back().seq);
    if (!out.entries.empty()) return out;
    if (shutting_down_) {
      out.app_done = true;
      return out;
    }
    auto const now = Clock::now();
    if (now >= deadline || (cancelled && cancelled())) return out;
    cv_.wait_until(lock, std::min(deadline, now + kWaitSlice));
  }
}

void LogStore::shutdown() {
  {
    std::lock_guard lock(mu_);
    shutting_down_ = true;
  }
  cv_.notify_all();
}

bool LogStore::shutting_down() const {
  std::lock_guard lock(mu_);
  return shutting_down_;
}

}  // namespace modal::emulator
