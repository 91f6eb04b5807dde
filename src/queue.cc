// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "modal/queue.h"

#include <algorithm>
#include <climits>
#include <deque>
#include <mutex>

#include "internal/client_state.h"
#include "internal/named_objects.h"
#include "internal/pickle.h"
#include "internal/status.h"
#include "internal/validation.h"
#include "modal/errors.h"

namespace modal {

namespace rpc = internal::rpc;
using internal::Clock;

namespace internal {

/// What copies of a Queue handle share.
struct QueueState {
  std::shared_ptr<ClientState> client;
  std::string id;
  std::string name;
  bool ephemeral = false;
  std::mutex mu;
  /// The ephemeral heartbeat; resetting it stops the beats.
  std::shared_ptr<void> heartbeat;  // guarded by mu
};

}  // namespace internal

namespace {

/// Longest QueueGet long poll (Modal's server caps it, as the Go SDK does).
constexpr auto kMaxGetPoll = std::chrono::seconds(50);
/// Longest QueueNextItems long poll.
constexpr auto kMaxIteratePoll = std::chrono::seconds(30);
/// Margin on top of a server-side long poll for the per-attempt deadline.
constexpr auto kLongPollMargin = std::chrono::seconds(15);
/// Backoff while a partition is full: doubled before each wait, up to the cap.
constexpr auto kInitialPutBackoff = std::chrono::milliseconds(100);
constexpr auto kMaxPutBackoff = std::chrono::seconds(30);
constexpr std::size_t kMaxPartitionKeyBytes = 64;

/// The partition key as sent: "" for the default partition, else 1..64 bytes.
std::string const& partition_key(std::string const& partition) {
  if (partition.size() > kMaxPartitionKeyBytes) {
    throw InvalidError("Queue partition key must be 1–64 bytes long, got " +
                       std::to_string(partition.size()) + " bytes");
  }
  return partition;
}

void check_timeout(std::optional<std::chrono::milliseconds> const& timeout) {
  if (timeout && timeout->count() < 0) {
    throw InvalidError("Queue timeout must not be negative, got " +
                       std::to_string(timeout->count()) + " ms");
  }
}

float to_seconds(Clock::duration d) {
  return std::chrono::duration<float>(std::max(d, Clock::duration::zero())).count();
}

std::string describe(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + " s";
  return std::to_string(d.count()) + " ms";
}

/// A CallOptions for a long poll of `poll` on the server.
internal::CallOptions long_poll_options(Clock::duration poll, std::stop_token const& stop) {
  internal::CallOptions opts;
  opts.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(poll) + kLongPollMargin;
  opts.control.stop = stop;
  return opts;
}

Value decode(std::string const& data, std::string const& queue_id) {
  try {
    return internal::pickle_decode(data);
  } catch (InvalidError const& e) {
    throw InvalidError("a value of Queue " + queue_id +
                       " is not a pickle this SDK reads: " + e.what());
  }
}

std::vector<Value> get_values(internal::QueueState& s, int n, QueueGetParams const& p) {
  if (n < 1) throw InvalidError("Queue get_many needs n >= 1, got " + std::to_string(n));
  auto const& key = partition_key(p.partition);
  check_timeout(p.timeout);
  auto& timer = s.client->timer();
  auto const start = timer.now();
  Clock::duration poll = kMaxGetPoll;
  if (p.timeout) poll = std::min<Clock::duration>(poll, *p.timeout);
  modal::client::QueueGetRequest req;
  req.set_queue_id(s.id);
  req.set_partition_key(key);
  req.set_n_values(n);
  while (true) {
    req.set_timeout(to_seconds(poll));
    auto resp = s.client->call(rpc::QueueGet, req, long_poll_options(poll, p.stop));
    if (resp.values_size() > 0) {
      std::vector<Value> out;
      out.reserve(resp.values_size());
      for (auto const& raw : resp.values()) out.push_back(decode(raw, s.id));
      return out;
    }
    if (p.timeout) {
      auto const remaining = start + *p.timeout - timer.now();
      if (remaining <= Clock::duration::zero()) {
        throw QueueEmptyError("Queue " + s.id + " did not return values within " +
                              describe(*p.timeout));
      }
      poll = std::min(poll, remaining);
    }
    if (p.stop.stop_requested()) throw CancelledError("Queue get was cancelled");
  }
}

void put_values(internal::QueueState& s, std::vector<Value> const& values,
                QueuePutParams const& p) {
  auto const& key = partition_key(p.partition);
  check_timeout(p.timeout);
  if (p.partition_ttl.count() <= 0 || p.partition_ttl.count() > INT32_MAX) {
    throw InvalidError("Queue partition_ttl must be between 1 s and " + std::to_string(INT32_MAX) +
                       " s, got " + std::to_string(p.partition_ttl.count()) + " s");
  }
  if (values.empty()) return;
  modal::client::QueuePutRequest req;
  req.set_queue_id(s.id);
  req.set_partition_key(key);
  req.set_partition_ttl_seconds(static_cast<std::int32_t>(p.partition_ttl.count()));
  for (auto const& v : values) req.add_values(internal::pickle_encode(v));

  auto& timer = s.client->timer();
  std::optional<Clock::time_point> deadline;
  if (p.timeout) deadline = timer.now() + *p.timeout;
  internal::CallOptions opts;
  opts.control.stop = p.stop;
  Clock::duration delay = kInitialPutBackoff;
  google::protobuf::Empty resp;
  while (true) {
    auto status = s.client->try_call(rpc::QueuePut, req, &resp, opts);
    if (status.ok()) return;
    if (status.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED) {
      internal::throw_call_error(status, rpc::QueuePut.name, opts);
    }
    // The partition is full: wait for room (a poll, not a transport retry).
    delay = std::min<Clock::duration>(delay * 2, kMaxPutBackoff);
    auto const now = timer.now();
    if (deadline) {
      if (now >= *deadline) {
        throw QueueFullError("Put failed on " + s.id + ": the queue stayed full for " +
                                 describe(*p.timeout) + " (" + status.error_message() + ")",
                             StatusCode::kResourceExhausted, std::string(rpc::QueuePut.name));
      }
      delay = std::min(delay, *deadline - now);
    }
    auto const wake = timer.sleep_until(now + delay, s.client->scope(), p.stop);
    if (wake == internal::Wake::kCancelled) s.client->throw_if_closed();
    if (wake == internal::Wake::kStopped) throw CancelledError("Queue put was cancelled");
  }
}

/// The lazy state of one iterate() range.
struct Iteration {
  std::shared_ptr<internal::QueueState> queue;
  std::string key;
  std::chrono::milliseconds item_poll{};
  std::string last_entry_id;
  std::deque<Value> ready;
  std::optional<Clock::time_point> deadline;

  std::optional<Value> next() {
    auto& timer = queue->client->timer();
    while (ready.empty()) {
      if (!deadline) deadline = timer.now() + item_poll;
      auto const poll = std::min<Clock::duration>(kMaxIteratePoll, *deadline - timer.now());
      modal::client::QueueNextItemsRequest req;
      req.set_queue_id(queue->id);
      req.set_partition_key(key);
      req.set_last_entry_id(last_entry_id);
      req.set_item_poll_timeout(to_seconds(poll));
      auto resp = queue->client->call(rpc::QueueNextItems, req,
                                      long_poll_options(std::max(poll, Clock::duration{}), {}));
      if (resp.items_size() > 0) {
        for (auto const& item : resp.items()) {
          ready.push_back(decode(item.value(), queue->id));
          last_entry_id = item.entry_id();
        }
        deadline = timer.now() + item_poll;
      } else if (timer.now() >= *deadline) {
        return std::nullopt;  // idle for item_poll: the end
      }
    }
    Value v = std::move(ready.front());
    ready.pop_front();
    return v;
  }
};

}  // namespace

std::string const& Queue::queue_id() const { return state_->id; }
std::string const& Queue::name() const { return state_->name; }
bool Queue::is_ephemeral() const { return state_->ephemeral; }

void Queue::put(Value const& value, QueuePutParams const& params) const {
  put_values(*state_, {value}, params);
}

void Queue::put_many(std::vector<Value> const& values, QueuePutManyParams const& params) const {
  put_values(*state_, values, params);
}

Value Queue::get(QueueGetParams const& params) const {
  return std::move(get_values(*state_, 1, params).front());
}

std::vector<Value> Queue::get_many(int n, QueueGetManyParams const& params) const {
  return get_values(*state_, n, params);
}

int Queue::len(QueueLenParams const& params) const {
  if (!params.partition.empty() && params.total) {
    throw InvalidError("Queue len: partition must be empty when counting the total length");
  }
  modal::client::QueueLenRequest req;
  req.set_queue_id(state_->id);
  req.set_partition_key(partition_key(params.partition));
  req.set_total(params.total);
  return state_->client->call(rpc::QueueLen, req).len();
}

void Queue::clear(QueueClearParams const& params) const {
  if (!params.partition.empty() && params.all) {
    throw InvalidError("Queue clear: partition must be empty when clearing all partitions");
  }
  modal::client::QueueClearRequest req;
  req.set_queue_id(state_->id);
  req.set_partition_key(partition_key(params.partition));
  req.set_all_partitions(params.all);
  state_->client->call(rpc::QueueClear, req);
}

Range<Value> Queue::iterate(QueueIterateParams const& params) const {
  if (params.item_poll_timeout.count() < 0) {
    throw InvalidError("Queue iterate: item_poll_timeout must not be negative");
  }
  auto it = std::make_shared<Iteration>();
  it->queue = state_;
  it->key = partition_key(params.partition);
  it->item_poll = params.item_poll_timeout;
  return Range<Value>([it] { return it->next(); });
}

void Queue::close_ephemeral() const {
  if (!state_->ephemeral) {
    throw InvalidError("Queue " + state_->id + " is not ephemeral");
  }
  std::shared_ptr<void> heartbeat;
  {
    std::lock_guard lock(state_->mu);
    heartbeat.swap(state_->heartbeat);
  }
  // `heartbeat` ends here, outside the lock.
}

Queue QueueService::from_name(std::string const& name, QueueFromNameParams const& params) const {
  state_->throw_if_closed();
  if (name.empty()) throw InvalidError("Queue name must not be empty");
  internal::check_object_name(name, "Queue");
  modal::client::QueueGetOrCreateRequest req;
  req.set_deployment_name(name);
  req.set_environment_name(state_->environment(params.environment));
  req.set_object_creation_type(params.create_if_missing
                                   ? modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING
                                   : modal::client::OBJECT_CREATION_TYPE_UNSPECIFIED);
  auto resp =
      state_->call(rpc::QueueGetOrCreate, req, {.not_found = "Queue '" + name + "' not found"});
  if (resp.queue_id().empty()) {
    throw Error("QueueGetOrCreate returned no queue id", StatusCode::kInternal, "QueueGetOrCreate");
  }
  state_->logger().debug("queue '{}': {}", name, resp.queue_id());
  auto state = std::make_shared<internal::QueueState>();
  state->client = state_;
  state->id = resp.queue_id();
  state->name = name;
  return Queue(std::move(state));
}

Queue QueueService::ephemeral(QueueEphemeralParams const& params) const {
  state_->throw_if_closed();
  modal::client::QueueGetOrCreateRequest req;
  req.set_environment_name(state_->environment(params.environment));
  req.set_object_creation_type(modal::client::OBJECT_CREATION_TYPE_EPHEMERAL);
  auto resp = state_->call(rpc::QueueGetOrCreate, req);
  if (resp.queue_id().empty()) {
    throw Error("QueueGetOrCreate returned no queue id", StatusCode::kInternal, "QueueGetOrCreate");
  }
  state_->logger().debug("ephemeral queue {}", resp.queue_id());
  auto state = std::make_shared<internal::QueueState>();
  state->client = state_;
  state->id = resp.queue_id();
  state->ephemeral = true;
  modal::client::QueueHeartbeatRequest hb;
  hb.set_queue_id(state->id);
  state->heartbeat =
      internal::start_heartbeat(*state_, "Queue " + state->id, rpc::QueueHeartbeat, std::move(hb));
  return Queue(std::move(state));
}

void QueueService::remove(std::string const& name, QueueDeleteParams const& params) const {
  internal::delete_named<modal::client::QueueDeleteRequest>(
      *state_, rpc::QueueDelete, "Queue '" + name + "' not found", params.allow_missing,
      [&] {
        return from_name(name, {.environment = params.environment, .create_if_missing = false})
            .queue_id();
      },
      [](std::string const& id) {
        modal::client::QueueDeleteRequest req;
        req.set_queue_id(id);
        return req;
      });
}

}  // namespace modal
