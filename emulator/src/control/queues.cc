// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// QueueGetOrCreate, QueueHeartbeat, QueueDelete, QueuePut, QueueGet, QueueLen, QueueClear
// and QueueNextItems. The items and their waiting live in QueueItemStore (store/queues.h).
#include "control/queues.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/call_scope.h"
#include "server/status.h"

namespace modal::emulator {
namespace {

using Clock = QueueItemStore::Clock;

/// The longest QueueGet / QueueNextItems wait (clients ask for at most 50 s and 30 s).
constexpr auto kMaxLongPoll = std::chrono::seconds(60);
/// Entries per QueueNextItems answer.
constexpr std::size_t kNextItemsPage = 100;

Clock::time_point poll_deadline(float secs) {
  auto const wait = std::chrono::duration<double>(std::max(0.0f, secs));
  return Clock::now() +
         std::min<Clock::duration>(std::chrono::duration_cast<Clock::duration>(wait), kMaxLongPoll);
}

grpc::Status invalid(std::string const& message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message);
}

/// Partition keys are at most 64 bytes ("" = the default partition).
grpc::Status check_partition_key(Core& core, std::string const& key) {
  auto const max = core.queue_items().limits().max_partition_key_bytes;
  if (key.size() > max) {
    return invalid(absl::StrCat("Queue partition key must be between 1 and ", max,
                                " characters, got ", key.size()));
  }
  return grpc::Status::OK;
}

}  // namespace

grpc::Status QueueHandlers::QueueGetOrCreate(grpc::ServerContext* ctx,
                                             modal::client::QueueGetOrCreateRequest const* req,
                                             modal::client::QueueGetOrCreateResponse* resp) {
  CallScope scope(core_, ctx, "QueueGetOrCreate", Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto queue = core_.queues().get_or_create(req->environment_name(), req->deployment_name(),
                                            req->object_creation_type());
  if (!queue.ok()) return to_grpc(queue.status());
  core_.queue_items().create(queue->id);
  resp->set_queue_id(queue->id);
  auto* md = resp->mutable_metadata();
  md->set_name(queue->anonymous ? std::string() : queue->name);
  md->mutable_creation_info()->set_created_at(queue->created_at);
  md->mutable_creation_info()->set_created_by("modal-emulator");
  return grpc::Status::OK;
}

grpc::Status QueueHandlers::QueueHeartbeat(grpc::ServerContext* ctx,
                                           modal::client::QueueHeartbeatRequest const* req,
                                           google::protobuf::Empty* /*resp*/) {
  CallScope scope(core_, ctx, "QueueHeartbeat", Plane::kControl);
  if (!scope.ok()) return scope.status();
  return to_grpc(core_.queues().heartbeat(req->queue_id()));
}

grpc::Status QueueHandlers::QueueDelete(grpc::ServerContext* ctx,
                                        modal::client::QueueDeleteRequest const* req,
                                        google::protobuf::Empty* /*resp*/) {
  CallScope scope(core_, ctx, "QueueDelete", Plane::kControl);
  if (!scope.ok()) return scope.status();
  // The store's removal hook drops the items (Core's constructor).
  return to_grpc(core_.queues().remove(req->queue_id()));
}

grpc::Status QueueHandlers::QueuePut(grpc::ServerContext* ctx,
                                     modal::client::QueuePutRequest const* req,
                                     google::protobuf::Empty* /*resp*/) {
  CallScope scope(core_, ctx, "QueuePut", Plane::kControl);
  if (!scope.ok()) return scope.status();
  if (auto st = check_partition_key(core_, req->partition_key()); !st.ok()) return st;
  if (req->partition_ttl_seconds() < 0) {
    return invalid(absl::StrCat("partition_ttl_seconds must not be negative, got ",
                                req->partition_ttl_seconds()));
  }
  std::vector<std::string> values(req->values().begin(), req->values().end());
  return to_grpc(core_.queue_items().put(req->queue_id(), req->partition_key(), std::move(values),
                                         std::chrono::seconds(req->partition_ttl_seconds())));
}

grpc::Status QueueHandlers::QueueGet(grpc::ServerContext* ctx,
                                     modal::client::QueueGetRequest const* req,
                                     modal::client::QueueGetResponse* resp) {
  CallScope scope(core_, ctx, "QueueGet", Plane::kControl);
  if (!scope.ok()) return scope.status();
  if (auto st = check_partition_key(core_, req->partition_key()); !st.ok()) return st;
  if (req->n_values() < 0) {
    return invalid(absl::StrCat("n_values must not be negative, got ", req->n_values()));
  }
  auto values = core_.queue_items().get(
      req->queue_id(), req->partition_key(), static_cast<std::size_t>(std::max(1, req->n_values())),
      poll_deadline(req->timeout()), [ctx] { return ctx->IsCancelled(); });
  if (!values.ok()) return to_grpc(values.status());
  if (ctx->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
  for (auto& v : *values) resp->add_values(std::move(v));
  return grpc::Status::OK;
}

grpc::Status QueueHandlers::QueueLen(grpc::ServerContext* ctx,
                                     modal::client::QueueLenRequest const* req,
                                     modal::client::QueueLenResponse* resp) {
  CallScope scope(core_, ctx, "QueueLen", Plane::kControl);
  if (!scope.ok()) return scope.status();
  if (auto st = check_partition_key(core_, req->partition_key()); !st.ok()) return st;
  if (!req->partition_key().empty() && req->total()) {
    return invalid("Partition must be null when requesting total length.");
  }
  auto n = core_.queue_items().len(req->queue_id(), req->partition_key(), req->total());
  if (!n.ok()) return to_grpc(n.status());
  resp->set_len(static_cast<std::int32_t>(
      std::min<std::size_t>(*n, std::numeric_limits<std::int32_t>::max())));
  return grpc::Status::OK;
}

grpc::Status QueueHandlers::QueueClear(grpc::ServerContext* ctx,
                                       modal::client::QueueClearRequest const* req,
                                       google::protobuf::Empty* /*resp*/) {
  CallScope scope(core_, ctx, "QueueClear", Plane::kControl);
  if (!scope.ok()) return scope.status();
  if (auto st = check_partition_key(core_, req->partition_key()); !st.ok()) return st;
  if (!req->partition_key().empty() && req->all_partitions()) {
    return invalid("Partition must be null when requesting to clear all.");
  }
  return to_grpc(
      core_.queue_items().clear(req->queue_id(), req->partition_key(), req->all_partitions()));
}

grpc::Status QueueHandlers::QueueNextItems(grpc::ServerContext* ctx,
                                           modal::client::QueueNextItemsRequest const* req,
                                           modal::client::QueueNextItemsResponse* resp) {
  CallScope scope(core_, ctx, "QueueNextItems", Plane::kControl);
  if (!scope.ok()) return scope.status();
  if (auto st = check_partition_key(core_, req->partition_key()); !st.ok()) return st;
  auto items = core_.queue_items().next_items(
      req->queue_id(), req->partition_key(), req->last_entry_id(), kNextItemsPage,
      poll_deadline(req->item_poll_timeout()), [ctx] { return ctx->IsCancelled(); });
  if (!items.ok()) return to_grpc(items.status());
  for (auto& item : *items) {
    auto* out = resp->add_items();
    out->set_entry_id(std::move(item.entry_id));
    out->set_value(std::move(item.value));
  }
  return grpc::Status::OK;
}

}  // namespace modal::emulator
