// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// TaskSnapshotFilesystem and TaskSnapshotDirectory: a Sandbox's file system, or one of its
// directories, frozen into an image (control/snapshots.h); TaskSnapshotMemory (refused).
#include "router/router.h"

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "control/snapshots.h"
#include "server/call_scope.h"
#include "server/status.h"
#include "store/sandbox_registry.h"

namespace modal::emulator {

namespace tcr = modal::task_command_router;

namespace {

/// As upstream: the TTL must be set, -1 (no expiry) or positive.
grpc::Status check_ttl(bool has_ttl, int64_t ttl) {
  if (has_ttl && (ttl > 0 || ttl == -1)) return grpc::Status::OK;
  return grpc::Status(
      grpc::StatusCode::INVALID_ARGUMENT,
      has_ttl ? absl::StrCat("invalid ttl_seconds ", ttl, ": -1 (no expiry) or a positive number")
              : std::string("ttl_seconds must be set"));
}

/// A customer-supplied encryption key, when given, is 16 to 512 bytes (as the SDKs check).
/// The emulator stores images unencrypted and does not keep the key.
grpc::Status check_key(bool has_key, std::string const& key) {
  if (!has_key || (key.size() >= 16 && key.size() <= 512)) return grpc::Status::OK;
  return grpc::Status(
      grpc::StatusCode::INVALID_ARGUMENT,
      absl::StrCat("customer_supplied_encryption_key must be 16 to 512 bytes, got ", key.size()));
}

}  // namespace

grpc::Status Router::TaskSnapshotMemory(grpc::ServerContext* ctx,
                                        tcr::TaskSnapshotMemoryRequest const* req,
                                        tcr::TaskSnapshotMemoryResponse* /*resp*/) {
  CallScope scope(core_, ctx, "TaskSnapshotMemory", Plane::kRouter);
  if (auto st = authorize(scope, ctx, req->task_id()); !st.ok()) return st;
  auto rec = core_.sandboxes().get_by_task(req->task_id());
  if (!rec.ok()) return to_grpc(rec.status());
  return refuse_memory_snapshot(core_, **rec);
}

grpc::Status Router::TaskSnapshotFilesystem(grpc::ServerContext* ctx,
                                            tcr::TaskSnapshotFilesystemRequest const* req,
                                            tcr::TaskSnapshotFilesystemResponse* resp) {
  CallScope scope(core_, ctx, "TaskSnapshotFilesystem", Plane::kRouter);
  if (auto st = authorize(scope, ctx, req->task_id()); !st.ok()) return st;
  if (auto st = check_ttl(req->has_ttl_seconds(), req->ttl_seconds()); !st.ok()) return st;
  if (auto st = check_key(req->has_customer_supplied_encryption_key(),
                          req->customer_supplied_encryption_key());
      !st.ok()) {
    return st;
  }
  auto rec = core_.sandboxes().get_by_task(req->task_id());
  if (!rec.ok()) return to_grpc(rec.status());
  auto image = snapshot_filesystem(core_, **rec, req->snapshot_id());
  if (!image.ok()) return to_grpc(image.status());
  resp->set_image_id(*image);
  return grpc::Status::OK;
}

grpc::Status Router::TaskSnapshotDirectory(grpc::ServerContext* ctx,
                                           tcr::TaskSnapshotDirectoryRequest const* req,
                                           tcr::TaskSnapshotDirectoryResponse* resp) {
  CallScope scope(core_, ctx, "TaskSnapshotDirectory", Plane::kRouter);
  if (auto st = authorize(scope, ctx, req->task_id()); !st.ok()) return st;
  if (auto st = check_ttl(req->has_ttl_seconds(), req->ttl_seconds()); !st.ok()) return st;
  if (auto st = check_key(req->has_customer_supplied_encryption_key(),
                          req->customer_supplied_encryption_key());
      !st.ok()) {
    return st;
  }
  auto rec = core_.sandboxes().get_by_task(req->task_id());
  if (!rec.ok()) return to_grpc(rec.status());
  auto image = snapshot_directory(core_, **rec, req->path(), req->snapshot_id());
  if (!image.ok()) return to_grpc(image.status());
  resp->set_image_id(*image);
  return grpc::Status::OK;
}

grpc::Status Router::TaskMountDirectory(grpc::ServerContext* ctx,
                                        tcr::TaskMountDirectoryRequest const* req,
                                        google::protobuf::Empty* /*resp*/) {
  CallScope scope(core_, ctx, "TaskMountDirectory", Plane::kRouter);
  if (auto st = authorize(scope, ctx, req->task_id()); !st.ok()) return st;
  if (auto st = check_key(req->has_customer_supplied_encryption_key(),
                          req->customer_supplied_encryption_key());
      !st.ok()) {
    return st;
  }
  auto rec = core_.sandboxes().get_by_task(req->task_id());
  if (!rec.ok()) return to_grpc(rec.status());
  auto layers = layers_to_mount(core_, req->image_id());
  if (!layers.ok()) return to_grpc(layers.status());
  auto sandbox = (*rec)->runtime();
  if (sandbox == nullptr || (*rec)->finished()) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        absl::StrCat("Sandbox ", (*rec)->id, " has already terminated"));
  }
  if (auto st = sandbox->mount_layers(req->path(), *layers); !st.ok()) return to_grpc(st);
  core_.log(absl::StrCat("sandbox ", (*rec)->id, ": mounted ",
                         req->image_id().empty() ? std::string("an empty directory")
                                                 : absl::StrCat("image ", req->image_id()),
                         " at ", req->path()));
  return grpc::Status::OK;
}

grpc::Status Router::TaskUnmountDirectory(grpc::ServerContext* ctx,
                                          tcr::TaskUnmountDirectoryRequest const* req,
                                          google::protobuf::Empty* /*resp*/) {
  CallScope scope(core_, ctx, "TaskUnmountDirectory", Plane::kRouter);
  if (auto st = authorize(scope, ctx, req->task_id()); !st.ok()) return st;
  auto rec = core_.sandboxes().get_by_task(req->task_id());
  if (!rec.ok()) return to_grpc(rec.status());
  auto sandbox = (*rec)->runtime();
  if (sandbox == nullptr || (*rec)->finished()) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        absl::StrCat("Sandbox ", (*rec)->id, " has already terminated"));
  }
  if (auto st = sandbox->unmount_layers(req->path()); !st.ok()) return to_grpc(st);
  return grpc::Status::OK;
}

}  // namespace modal::emulator
