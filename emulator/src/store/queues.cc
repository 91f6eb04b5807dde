// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "store/queues.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "store/named_store.h"

namespace modal::emulator {
namespace {

/// How often a blocked reader looks at its client's cancellation.
constexpr auto kWaitSlice = std::chrono::milliseconds(100);

std::uint64_t unix_millis() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

absl::Status queue_not_found(std::string_view id) { return object_not_found("Queue", id); }

/// "its default partition" / "partition 'key'".
std::string partition_name(std::string_view key) {
  return key.empty() ? std::string("its default partition")
                     : "partition '" + std::string(key) + "'";
}

}  // namespace

std::string QueueEntryId::str() const { return absl::StrCat(ms, "-", seq); }

absl::StatusOr<QueueEntryId> QueueEntryId::parse(std::string_view s) {
  auto const digits = [](std::string_view part, std::uint64_t& out) {
    if (part.empty() || part.size() > 20) return false;
    for (char const c : part) {
      if (c < '0' || c > '9') return false;
    }
    return absl::SimpleAtoi(std::string(part), &out);
  };
  auto const dash = s.find('-');
  QueueEntryId id;
  if (dash == std::string_view::npos || !digits(s.substr(0, dash), id.ms) ||
      !digits(s.substr(dash + 1), id.seq)) {
    return absl::InvalidArgumentError(absl::StrCat("Invalid last_entry_id '", std::string(s),
                                                   "': expected <milliseconds>-<sequence>"));
  }
  return id;
}

QueueItemStore::QueueItemStore(QueueLimits limits, std::function<Clock::time_point()> now)
    : limits_(limits), now_(std::move(now)) {}

void QueueItemStore::create(std::string const& id) {
  std::lock_guard lock(mu_);
  if (dropped_.count(id) != 0 || queues_.count(id) != 0) return;
  queues_.emplace(id, std::make_shared<Queue>());
}

void QueueItemStore::drop(std::string_view id) {
  std::lock_guard lock(mu_);
  dropped_.emplace(id);
  auto it = queues_.find(id);
  if (it == queues_.end()) return;
  it->second->dropped = true;
  it->second->partitions.clear();
  it->second->cv.notify_all();
  queues_.erase(it);
}

bool QueueItemStore::contains(std::string_view id) const {
  std::lock_guard lock(mu_);
  return queues_.find(id) != queues_.end();
}

std::shared_ptr<QueueItemStore::Queue> QueueItemStore::find_locked(std::string_view id) const {
  auto it = queues_.find(id);
  return it == queues_.end() ? nullptr : it->second;
}

QueueItemStore::Partition* QueueItemStore::live_partition_locked(Queue& q, std::string_view key) {
  auto it = q.partitions.find(key);
  if (it == q.partitions.end()) return nullptr;
  if (it->second.expires_at <= now()) {
    q.partitions.erase(it);
    return nullptr;
  }
  return &it->second;
}

absl::Status QueueItemStore::put(std::string_view id, std::string_view partition,
                                 std::vector<std::string> values, std::chrono::seconds ttl) {
  if (partition.size() > limits_.max_partition_key_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("Queue partition key must be between 1 and ",
                                                   limits_.max_partition_key_bytes,
                                                   " characters, got ", partition.size()));
  }
  if (ttl.count() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("partition_ttl_seconds must not be negative, got ", ttl.count()));
  }
  if (ttl.count() == 0) ttl = kDefaultPartitionTtl;
  for (auto const& v : values) {
    if (v.size() > limits_.max_value_bytes) {
      return absl::InvalidArgumentError(absl::StrCat("Queue item of ", v.size(),
                                                     " bytes exceeds the limit of ",
                                                     limits_.max_value_bytes, " bytes"));
    }
  }
  PendingChange pending;
  absl::Status st = [&] {
    std::lock_guard lock(mu_);
    auto q = find_locked(id);
    if (q == nullptr) return queue_not_found(id);
    if (values.empty()) return absl::OkStatus();
    Partition* p = live_partition_locked(*q, partition);
    std::size_t const held = p == nullptr ? 0 : p->entries.size();
    if (held + values.size() > limits_.max_partition_items) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "Queue '", std::string(id), "' is full: ", partition_name(partition), " holds ", held,
          " items and may hold at most ", limits_.max_partition_items));
    }
    if (p == nullptr) {
      if (q->partitions.size() >= limits_.max_partitions) {
        return absl::ResourceExhaustedError(absl::StrCat("Queue '", std::string(id), "' has ",
                                                         q->partitions.size(),
                                                         " partitions, the most it may have"));
      }
      p = &q->partitions[std::string(partition)];
    }
    std::uint64_t const ms = unix_millis();
    for (auto& v : values) {
      QueueEntryId const next =
          ms > q->last.ms ? QueueEntryId{ms, 0} : QueueEntryId{q->last.ms, q->last.seq + 1};
      q->last = next;
      p->entries.push_back(Entry{next, std::move(v)});
    }
    p->expires_at = now() + ttl;
    if (log_ != nullptr) {
      pending = PendingChange(
          log_, put_change(id, partition, *p, values.size(), expiry_unix_ms(p->expires_at)));
    }
    q->cv.notify_all();
    return absl::OkStatus();
  }();
  if (!st.ok()) return st;
  return pending.wait();
}

template <typename Ready>
absl::StatusOr<bool> QueueItemStore::wait_locked(std::unique_lock<std::mutex>& lock, Queue& q,
                                                 std::string_view id, Clock::time_point deadline,
                                                 Cancelled const& cancelled, Ready ready) {
  while (true) {
    if (q.dropped) return queue_not_found(id);
    if (ready()) return true;
    if (shutting_down_ || (cancelled && cancelled())) return false;
    auto const now = Clock::now();
    if (now >= deadline) return false;
    q.cv.wait_until(lock, std::min(deadline, now + kWaitSlice));
  }
}

absl::StatusOr<std::vector<std::string>> QueueItemStore::get(std::string_view id,
                                                             std::string_view partition,
                                                             std::size_t n_values,
                                                             Clock::time_point deadline,
                                                             Cancelled const& cancelled) {
  std::unique_lock lock(mu_);
  auto q = find_locked(id);
  if (q == nullptr) return queue_not_found(id);
  Partition* p = nullptr;
  auto ready = wait_locked(lock, *q, id, deadline, cancelled, [&] {
    p = live_partition_locked(*q, partition);
    return p != nullptr && !p->entries.empty();
  });
  if (!ready.ok()) return ready.status();
  std::vector<std::string> out;
  if (!*ready || (cancelled && cancelled())) return out;  // a gone client takes nothing
  std::size_t const n = std::min(std::max<std::size_t>(n_values, 1), p->entries.size());
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(std::move(p->entries.front().value));
    p->entries.pop_front();
  }
  PendingChange pending;
  if (log_ != nullptr) {
    pending = PendingChange(log_, {{"t", "qget"}, {"q", id}, {"p", partition}, {"n", n}});
  }
  lock.unlock();
  if (auto st = pending.wait(); !st.ok()) return st;
  return out;
}

absl::StatusOr<std::vector<QueueItemCopy>> QueueItemStore::next_items(
    std::string_view id, std::string_view partition, std::string_view last_entry_id,
    std::size_t max_items, Clock::time_point deadline, Cancelled const& cancelled) {
  std::optional<QueueEntryId> after;
  if (!last_entry_id.empty()) {
    auto parsed = QueueEntryId::parse(last_entry_id);
    if (!parsed.ok()) return parsed.status();
    after = *parsed;
  }
  std::unique_lock lock(mu_);
  auto q = find_locked(id);
  if (q == nullptr) return queue_not_found(id);
  Partition* p = nullptr;
  std::deque<Entry>::const_iterator first;
  auto ready = wait_locked(lock, *q, id, deadline, cancelled, [&] {
    p = live_partition_locked(*q, partition);
    if (p == nullptr) return false;
    first = !after
                ? p->entries.cbegin()
                : std::upper_bound(p->entries.cbegin(), p->entries.cend(), *after,
                                   [](QueueEntryId const& a, Entry const& e) { return a < e.id; });
    return first != p->entries.cend();
  });
  if (!ready.ok()) return ready.status();
  std::vector<QueueItemCopy> out;
  if (!*ready) return out;
  for (auto it = first; it != p->entries.cend() && out.size() < std::max<std::size_t>(max_items, 1);
       ++it) {
    out.push_back(QueueItemCopy{it->id.str(), it->value});
  }
  return out;
}

absl::StatusOr<std::size_t> QueueItemStore::len(std::string_view id, std::string_view partition,
                                                bool total) {
  std::lock_guard lock(mu_);
  auto q = find_locked(id);
  if (q == nullptr) return queue_not_found(id);
  if (!total) {
    Partition const* p = live_partition_locked(*q, partition);
    return p == nullptr ? 0 : p->entries.size();
  }
  std::size_t n = 0;
  auto const t = now();
  for (auto it = q->partitions.begin(); it != q->partitions.end();) {
    if (it->second.expires_at <= t) {
      it = q->partitions.erase(it);
    } else {
      n += it++->second.entries.size();
    }
  }
  return n;
}

absl::Status QueueItemStore::clear(std::string_view id, std::string_view partition, bool all) {
  PendingChange pending;
  {
    std::lock_guard lock(mu_);
    auto q = find_locked(id);
    if (q == nullptr) return queue_not_found(id);
    if (all) {
      q->partitions.clear();
    } else if (auto it = q->partitions.find(partition); it != q->partitions.end()) {
      q->partitions.erase(it);
    }
    if (log_ != nullptr) {
      pending = PendingChange(log_, {{"t", "qclr"}, {"q", id}, {"p", partition}, {"all", all}});
    }
  }
  return pending.wait();
}

std::size_t QueueItemStore::sweep_expired() {
  std::lock_guard lock(mu_);
  auto const t = now();
  std::size_t n = 0;
  for (auto& [id, q] : queues_) {
    n += std::erase_if(q->partitions, [t](auto const& kv) { return kv.second.expires_at <= t; });
  }
  return n;
}

std::int64_t QueueItemStore::expiry_unix_ms(Clock::time_point expires_at) const {
  auto const left = std::chrono::duration_cast<std::chrono::milliseconds>(expires_at - now());
  return static_cast<std::int64_t>(unix_millis()) + left.count();
}

nlohmann::json QueueItemStore::put_change(std::string_view id, std::string_view partition,
                                          Partition const& p, std::size_t count, std::int64_t exp) {
  nlohmann::json entries = nlohmann::json::array();
  for (auto it = p.entries.end() - static_cast<std::ptrdiff_t>(count); it != p.entries.end();
       ++it) {
    entries.push_back(
        {it->id.ms, it->id.seq,
         nlohmann::json::binary(std::vector<std::uint8_t>(it->value.begin(), it->value.end()))});
  }
  return {{"t", "qput"}, {"q", id}, {"p", partition}, {"exp", exp}, {"e", std::move(entries)}};
}

void QueueItemStore::set_change_log(ChangeLog* log) {
  std::lock_guard lock(mu_);
  log_ = log;
}

absl::Status QueueItemStore::apply(nlohmann::json const& change) {
  try {
    std::lock_guard lock(mu_);
    auto const& type = change.at("t").get_ref<std::string const&>();
    auto q = find_locked(change.at("q").get<std::string>());
    if (q == nullptr) return absl::OkStatus();
    std::string const partition = change.at("p").get<std::string>();
    if (type == "qput") {
      // Left of the TTL: negative once it expired, at most ten years (no overflow).
      std::int64_t const exp = change.at("exp").get<std::int64_t>();
      auto const now_ms = static_cast<std::int64_t>(unix_millis());
      constexpr std::int64_t kMaxLeft = std::int64_t{10} * 365 * 24 * 3600 * 1000;
      auto const left =
          std::chrono::milliseconds(exp < now_ms ? -1 : std::min(exp - now_ms, kMaxLeft));
      Partition& p = q->partitions[partition];
      for (auto const& e : change.at("e")) {
        QueueEntryId const entry_id{e.at(0).get<std::uint64_t>(), e.at(1).get<std::uint64_t>()};
        auto const& bytes = e.at(2).get_binary();
        p.entries.push_back(Entry{entry_id, std::string(bytes.begin(), bytes.end())});
        q->last = std::max(q->last, entry_id);
      }
      p.expires_at = now() + left;  // in the past when it expired meanwhile: dropped on use
    } else if (type == "qget") {
      auto it = q->partitions.find(partition);
      if (it == q->partitions.end()) return absl::OkStatus();
      auto n = std::min<std::size_t>(change.at("n").get<std::size_t>(), it->second.entries.size());
      it->second.entries.erase(it->second.entries.begin(),
                               it->second.entries.begin() + static_cast<std::ptrdiff_t>(n));
    } else if (type == "qclr") {
      if (change.at("all").get<bool>()) {
        q->partitions.clear();
      } else {
        q->partitions.erase(partition);
      }
    } else if (type == "qlast") {
      q->last = std::max(q->last, QueueEntryId{change.at("ms").get<std::uint64_t>(),
                                               change.at("seq").get<std::uint64_t>()});
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown Queue change '", type, "'"));
    }
  } catch (nlohmann::json::exception const& e) {
    return absl::InvalidArgumentError(absl::StrCat("malformed Queue change: ", e.what()));
  }
  return absl::OkStatus();
}

void QueueItemStore::snapshot(std::vector<nlohmann::json>& out) {
  std::lock_guard lock(mu_);
  for (auto& [id, q] : queues_) {
    out.push_back({{"t", "qlast"}, {"q", id}, {"p", ""}, {"ms", q->last.ms}, {"seq", q->last.seq}});
    for (auto const& [key, p] : q->partitions) {
      if (p.entries.empty() || p.expires_at <= now()) continue;
      out.push_back(put_change(id, key, p, p.entries.size(), expiry_unix_ms(p.expires_at)));
    }
  }
}

void QueueItemStore::shutdown() {
  std::lock_guard lock(mu_);
  shutting_down_ = true;
  for (auto& [id, q] : queues_) q->cv.notify_all();
}

}  // namespace modal::emulator
