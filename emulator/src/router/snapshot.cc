// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// TaskSnapshotFilesystem: a Sandbox's file system frozen into an image
// (control/snapshots.h).
#include "router/router.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "control/snapshots.h"
#include "server/call_scope.h"
#include "server/status.h"
#include "store/sandbox_registry.h"

namespace modal::emulator {

namespace tcr = modal::task_command_router;

grpc::Status Router::TaskSnapshotFilesystem(grpc::ServerContext* ctx,
                                            tcr::TaskSnapshotFilesystemRequest const* req,
                                            tcr::TaskSnapshotFilesystemResponse* resp) {
  CallScope scope(core_, ctx, "TaskSnapshotFilesystem", Plane::kRouter);
  if (auto st = authorize(scope, ctx, req->task_id()); !st.ok()) return st;
  // As upstream: the TTL must be set, -1 (no expiry) or positive.
  if (!req->has_ttl_seconds() || (req->ttl_seconds() <= 0 && req->ttl_seconds() != -1)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        req->has_ttl_seconds()
                            ? absl::StrCat("invalid ttl_seconds ", req->ttl_seconds(),
                                           ": -1 (no expiry) or a positive number")
                            : std::string("ttl_seconds must be set"));
  }
  auto rec = core_.sandboxes().get_by_task(req->task_id());
  if (!rec.ok()) return to_grpc(rec.status());
  auto image = snapshot_filesystem(core_, **rec, req->snapshot_id());
  if (!image.ok()) return to_grpc(image.status());
  resp->set_image_id(*image);
  return grpc::Status::OK;
}

}  // namespace modal::emulator
