// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_QUEUE_H
#define MODAL_QUEUE_H

#include <chrono>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "modal/range.h"
#include "modal/value.h"

namespace modal {
namespace internal {
class ClientState;
struct QueueState;
}  // namespace internal

/// Options of `QueueService::from_name`.
struct QueueFromNameParams {
  /// Environment name; empty uses the client's.
  std::string environment{};
  /// Create the Queue if it does not exist.
  bool create_if_missing = false;
};

/// Options of `QueueService::ephemeral`.
struct QueueEphemeralParams {
  /// Environment name; empty uses the client's.
  std::string environment{};
};

/// Options of `QueueService::remove`.
struct QueueDeleteParams {
  /// Environment name; empty uses the client's.
  std::string environment{};
  /// Succeed when the Queue does not exist.
  bool allow_missing = false;
};

/// Options of `Queue::put` and `Queue::put_many`.
struct QueuePutParams {
  /// How long to wait for room while the partition is full; unset waits as long as it
  /// takes. Past it: QueueFullError.
  std::optional<std::chrono::milliseconds> timeout{};
  /// The partition: "" is the default one, otherwise 1 to 64 bytes.
  std::string partition{};
  /// The partition expires this long after its last put (Modal's default: 24 hours).
  std::chrono::seconds partition_ttl = std::chrono::hours(24);
  /// Requesting a stop ends the wait for room with CancelledError.
  std::stop_token stop{};
};
/// Options of `Queue::put_many` (the same as `put`'s).
using QueuePutManyParams = QueuePutParams;

/// Options of `Queue::get` and `Queue::get_many`.
struct QueueGetParams {
  /// How long to wait for a value; unset waits as long as it takes, zero checks once.
  /// Past it: QueueEmptyError.
  std::optional<std::chrono::milliseconds> timeout{};
  /// The partition: "" is the default one, otherwise 1 to 64 bytes.
  std::string partition{};
  /// Requesting a stop ends the wait with CancelledError.
  std::stop_token stop{};
};
/// Options of `Queue::get_many` (the same as `get`'s).
using QueueGetManyParams = QueueGetParams;

/// Options of `Queue::len`.
struct QueueLenParams {
  /// The partition counted: "" is the default one.
  std::string partition{};
  /// Count every partition (then `partition` must be empty).
  bool total = false;
};

/// Options of `Queue::clear`.
struct QueueClearParams {
  /// The partition cleared: "" is the default one.
  std::string partition{};
  /// Clear every partition (then `partition` must be empty).
  bool all = false;
};

/// Options of `Queue::iterate`.
struct QueueIterateParams {
  /// How long to wait for more items once none are left; zero ends at the first empty
  /// answer. The wait starts again after every item.
  std::chrono::milliseconds item_poll_timeout{0};
  /// The partition: "" is the default one, otherwise 1 to 64 bytes.
  std::string partition{};
};

/**
 * A distributed FIFO queue of `modal::Value`s, shared with Modal Functions and Sandboxes
 * (values travel as Python pickles, protocol 2). Obtain one with `QueueService`.
 *
 * Blocking methods map one to one onto Modal's Queue RPCs. A Queue from
 * `QueueService::ephemeral` is anonymous: the Client sends a `QueueHeartbeat` for it every
 * `ClientOptions::heartbeat_interval` (300 s) on a background thread until the last copy
 * of the handle goes or `close_ephemeral()` is called; the server then deletes it.
 *
 * @par Thread Safety
 * Safe to copy and to use from any number of threads at once; copies share one state.
 */
class Queue {
 public:
  /// The Queue's id ("qu-...").
  std::string const& queue_id() const;
  /// The name it was looked up by; "" for an ephemeral Queue.
  std::string const& name() const;
  /// Whether it came from `QueueService::ephemeral`.
  bool is_ephemeral() const;

  /// Appends `value` to the partition, waiting for room while it is full (backing off from
  /// 100 ms, doubling, up to 30 s between tries).
  /// @throws InvalidError for a bad partition, TTL or timeout, or a value that cannot be
  ///   pickled; QueueFullError if there was no room within `params.timeout`.
  void put(Value const& value, QueuePutParams const& params = {}) const;
  /// Appends all `values`, in order, in one request: all or none of them.
  /// @throws as put().
  void put_many(std::vector<Value> const& values, QueuePutManyParams const& params = {}) const;

  /// Removes and returns the first value of the partition, waiting for one in long polls
  /// of at most 50 s.
  /// @throws QueueEmptyError if none came within `params.timeout`; InvalidError for a bad
  ///   partition or timeout, or a value that is not a pickle this SDK reads.
  Value get(QueueGetParams const& params = {}) const;
  /// Removes and returns between 1 and `n` values, as soon as there is at least one.
  /// @throws as get(); InvalidError if `n` < 1.
  std::vector<Value> get_many(int n, QueueGetManyParams const& params = {}) const;

  /// The number of values in the partition, or in all of them with `params.total`.
  int len(QueueLenParams const& params = {}) const;
  /// Removes every value of the partition, or of all partitions with `params.all`.
  void clear(QueueClearParams const& params = {}) const;

  /// The values of the partition in order, without removing them, fetched lazily as the
  /// loop advances (nothing is sent before the first element is asked for).
  Range<Value> iterate(QueueIterateParams const& params = {}) const;

  /// Stops the heartbeat of an ephemeral Queue (the server then deletes it); no beat is
  /// sent once this returns. The handle stays usable until the server deletes the Queue.
  /// Idempotent.
  /// @throws InvalidError if the Queue is not ephemeral.
  void close_ephemeral() const;

 private:
  friend class QueueService;
  explicit Queue(std::shared_ptr<internal::QueueState> state) : state_(std::move(state)) {}
  std::shared_ptr<internal::QueueState> state_;
};

/// Looks up, creates and deletes Queues. Obtain it with `Client::queues()`.
/// Thread-safe, cheap to copy.
class QueueService {
 public:
  /// Finds the Queue named `name`, creating it when `params.create_if_missing`.
  /// @throws NotFoundError if there is none and it was not to be created.
  Queue from_name(std::string const& name, QueueFromNameParams const& params = {}) const;
  /// Creates an anonymous Queue that lives as long as its handle (see Queue).
  Queue ephemeral(QueueEphemeralParams const& params = {}) const;
  /// Deletes the Queue named `name` and its contents (C++ reserves `delete`).
  /// @throws NotFoundError if it does not exist, unless `params.allow_missing`.
  void remove(std::string const& name, QueueDeleteParams const& params = {}) const;

 private:
  friend class Client;
  explicit QueueService(std::shared_ptr<internal::ClientState> state) : state_(std::move(state)) {}
  std::shared_ptr<internal::ClientState> state_;
};

}  // namespace modal

#endif  // MODAL_QUEUE_H
