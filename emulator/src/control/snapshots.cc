// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "control/snapshots.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "runtime/runtime.h"
#include "server/call_scope.h"
#include "server/ids.h"
#include "server/status.h"
#include "store/sandbox_registry.h"

namespace modal::emulator {

absl::StatusOr<std::string> snapshot_filesystem(Core& core, SandboxRecord const& rec,
                                                std::string const& snapshot_id) {
  return core.images().get_or_snapshot(
      snapshot_id, [&](std::string id) -> absl::StatusOr<ImageRecord> {
        auto sandbox = rec.runtime();
        runtime::Runtime* rt = core.sandboxes().runtime();
        if (sandbox == nullptr || rec.finished()) {
          return absl::FailedPreconditionError(
              absl::StrCat("Sandbox ", rec.id, " has already terminated"));
        }
        if (rt == nullptr) return absl::UnavailableError("the emulator is shutting down");
        auto const dir = rt->layer_store();
        if (!dir.ok()) return dir.status();
        std::string const layer = absl::StrCat(*dir, "/", id);
        runtime::TreeCopyStats stats;
        if (auto st = sandbox->snapshot_to_layer(layer, &stats); !st.ok()) return st;
        ImageRecord image;
        image.id = std::move(id);
        image.created_at = unix_now();
        image.status = modal::client::GenericResult::GENERIC_STATUS_SUCCESS;
        image.layers = rec.image_layers();
        image.layers.insert(image.layers.begin(), layer);
        image.config = rec.image_config();
        image.build_log.push_back(absl::StrCat("Snapshot of the file system of Sandbox ", rec.id,
                                               ": ", stats.files, " files, ", stats.directories,
                                               " directories, ", stats.bytes, " bytes"));
        core.log(absl::StrCat("image ", image.id, ": ", image.build_log.back()));
        return image;
      });
}

grpc::Status SnapshotHandlers::SandboxSnapshotFs(grpc::ServerContext* ctx,
                                                 modal::client::SandboxSnapshotFsRequest const* req,
                                                 modal::client::SandboxSnapshotFsResponse* resp) {
  CallScope scope(core_, ctx, "SandboxSnapshotFs", Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto rec = core_.sandboxes().get(req->sandbox_id());
  if (!rec.ok()) return to_grpc(rec.status());
  auto image = snapshot_filesystem(core_, **rec, "");
  if (!image.ok()) return to_grpc(image.status());
  resp->set_image_id(*image);
  resp->mutable_result()->set_status(modal::client::GenericResult::GENERIC_STATUS_SUCCESS);
  return grpc::Status::OK;
}

}  // namespace modal::emulator
