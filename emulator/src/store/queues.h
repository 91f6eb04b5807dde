// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_STORE_QUEUES_H
#define MODAL_EMULATOR_SRC_STORE_QUEUES_H

// The items of Queues (their names and ids are a NamedStore, store/objects.h: QueueStore).
// Per queue: partitions by key ("" = the default partition), each a FIFO of entries
// {entry id, value bytes} with its own TTL (it expires `ttl` after its last put: expired
// partitions are empty and are dropped). Values are opaque (pickles).
//
// Entry ids are Modal's (Redis stream ids): "<unix milliseconds>-<sequence>", strictly
// increasing within a queue (so within each partition): an entry put in the same millisecond as the
// one before it (or while the system clock is behind it) takes that millisecond and the next
// sequence number. QueueNextItems pages with them (after `last_entry_id`).
//
// Blocking reads (get, next_items) wait on their queue's condition variable, woken by puts,
// by drop() and by shutdown(); they wake every kWaitSlice to notice a cancelled client.
// Every item is handed to exactly one get. Operations cost O(log n) in the partition's
// length (a get of k values O(k)); len(total) and sweep_expired() visit the partitions.
//
// Persistence (set_change_log(), store/journal.h): puts, gets and clears are journaled under
// the lock and synced before they return, as {"t": "qput", "q": id, "p": partition, "exp":
// unix ms the partition expires at, "e": [[ms, seq, value bytes], ...]}, {"t": "qget", "q",
// "p", "n": values taken} and {"t": "qclr", "q", "p", "all"}; apply() replays them and
// snapshot() writes the live items as qput changes (plus {"t": "qlast"}, the last entry id).
// Queues themselves come and go with their QueueStore records (create(), drop()).
//
// Thread-safe: one lock for the store, taken only inside its methods.

#include <chrono>
#include <compare>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "store/journal.h"

namespace modal::emulator {

/// Modal's documented Queue limits (py/modal/queue.py: "A single Queue can contain up to
/// 100,000 partitions, each with up to 5,000 items. Each item can be up to 1 MiB.
/// Partition keys must be non-empty and must not exceed 64 bytes.").
struct QueueLimits {
  /// A put that would make a partition longer fails with RESOURCE_EXHAUSTED
  /// (EmulatorOptions::queue_max_partition_items).
  std::size_t max_partition_items = 5000;
  /// A put of a longer value fails with INVALID_ARGUMENT.
  std::size_t max_value_bytes = std::size_t{1} << 20;
  /// A put to a new partition beyond this many fails with RESOURCE_EXHAUSTED.
  std::size_t max_partitions = 100000;
  /// Partition keys longer than this fail with INVALID_ARGUMENT.
  std::size_t max_partition_key_bytes = 64;
};

/// A partition's TTL when a put gives none (partition_ttl_seconds = 0): 24 hours.
inline constexpr std::chrono::seconds kDefaultPartitionTtl{24 * 3600};

/// "<ms>-<seq>", ordered as Redis stream ids.
struct QueueEntryId {
  std::uint64_t ms = 0;
  std::uint64_t seq = 0;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads a defaulted <=>.
  auto operator<=>(QueueEntryId const&) const = default;
  std::string str() const;
  /// Parses "<ms>-<seq>" (INVALID_ARGUMENT otherwise).
  static absl::StatusOr<QueueEntryId> parse(std::string_view s);
};

/// One entry as QueueNextItems answers it.
struct QueueItemCopy {
  std::string entry_id;
  std::string value;
};

class QueueItemStore {
 public:
  using Clock = std::chrono::steady_clock;
  /// Answers whether the waiting client has gone (ServerContext::IsCancelled).
  using Cancelled = std::function<bool()>;

  /// `now`: the clock of partition TTLs (tests replace it); entry ids use the system clock.
  explicit QueueItemStore(QueueLimits limits = {}, std::function<Clock::time_point()> now = {});
  QueueItemStore(QueueItemStore const&) = delete;
  QueueItemStore& operator=(QueueItemStore const&) = delete;

  QueueLimits const& limits() const { return limits_; }

  /// Makes an empty queue `id` (QueueGetOrCreate); nothing if it exists or was dropped.
  void create(std::string const& id);
  /// Drops the queue and its items (QueueDelete, ephemeral expiry): its waiters return
  /// NOT_FOUND, and create() will not bring it back.
  void drop(std::string_view id);
  bool contains(std::string_view id) const;

  /// Appends `values` to the partition, all or nothing, and sets the partition to expire
  /// `ttl` after now (0 = kDefaultPartitionTtl). NOT_FOUND (no such queue),
  /// INVALID_ARGUMENT (a key or value over the limits, a negative ttl), RESOURCE_EXHAUSTED
  /// (the partition would hold more than max_partition_items, or too many partitions).
  absl::Status put(std::string_view id, std::string_view partition, std::vector<std::string> values,
                   std::chrono::seconds ttl);

  /// Removes and answers up to `n_values` values from the front of the partition, waiting
  /// until `deadline` for at least one. Empty when none arrived in time, or the client went
  /// away (nothing is taken then), or at shutdown. NOT_FOUND when the queue is (or gets)
  /// dropped.
  absl::StatusOr<std::vector<std::string>> get(std::string_view id, std::string_view partition,
                                               std::size_t n_values, Clock::time_point deadline,
                                               Cancelled const& cancelled = {});

  /// Up to `max_items` entries after `last_entry_id` ("" = from the start), without removing
  /// them, waiting until `deadline` for at least one. INVALID_ARGUMENT for a malformed id.
  absl::StatusOr<std::vector<QueueItemCopy>> next_items(
      std::string_view id, std::string_view partition, std::string_view last_entry_id,
      std::size_t max_items, Clock::time_point deadline, Cancelled const& cancelled = {});

  /// Items in the partition, or in every partition (`total`).
  absl::StatusOr<std::size_t> len(std::string_view id, std::string_view partition, bool total);

  /// Empties the partition, or every partition (`all`).
  absl::Status clear(std::string_view id, std::string_view partition, bool all);

  /// Drops every expired partition (Core's sweeper); answers how many.
  std::size_t sweep_expired();

  /// Wakes every waiter, which returns what it has (nothing); later waits do not wait.
  void shutdown();

  /// From now on puts, gets and clears are journaled to `log`. Set it after the replay,
  /// before the store is shared.
  void set_change_log(ChangeLog* log);
  /// Replays a qput, qget, qclr or qlast change; changes of a queue that does not exist are
  /// ignored. INVALID_ARGUMENT for a malformed change.
  absl::Status apply(nlohmann::json const& change);
  /// Appends the changes that recreate every live partition to `out`.
  void snapshot(std::vector<nlohmann::json>& out);

 private:
  struct Entry {
    QueueEntryId id;
    std::string value;
  };
  struct Partition {
    std::deque<Entry> entries;
    Clock::time_point expires_at{};
  };
  struct Queue {
    std::map<std::string, Partition, std::less<>> partitions;
    std::condition_variable cv;  // notified by puts, drop() and shutdown()
    bool dropped = false;
    /// The last id handed out, in any partition: ids keep increasing across clears and
    /// expiries, so an iteration's last_entry_id never skips a newer entry.
    QueueEntryId last{};
  };

  Clock::time_point now() const { return now_ ? now_() : Clock::now(); }
  std::shared_ptr<Queue> find_locked(std::string_view id) const;
  /// The partition if it exists and has not expired (an expired one is dropped).
  Partition* live_partition_locked(Queue& q, std::string_view key);
  /// Waits on q.cv until ready(), the deadline, cancellation or shutdown; NOT_FOUND once
  /// the queue is dropped. Answers whether ready() holds.
  template <typename Ready>
  absl::StatusOr<bool> wait_locked(std::unique_lock<std::mutex>& lock, Queue& q,
                                   std::string_view id, Clock::time_point deadline,
                                   Cancelled const& cancelled, Ready ready);

  QueueLimits const limits_;
  std::function<Clock::time_point()> const now_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Queue>, std::less<>> queues_;
  std::set<std::string, std::less<>> dropped_;  // ids never come back
  bool shutting_down_ = false;
  ChangeLog* log_ = nullptr;

  /// Unix milliseconds at which a partition expiring at `expires_at` expires.
  std::int64_t expiry_unix_ms(Clock::time_point expires_at) const;
  /// qput of `count` entries at the end of `p`.
  static nlohmann::json put_change(std::string_view id, std::string_view partition,
                                   Partition const& p, std::size_t count, std::int64_t exp);
};

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_STORE_QUEUES_H
