// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// VolumeGetOrCreate, VolumeHeartbeat, VolumeDelete. A Volume's contents are a directory of
// the emulator's state directory (Core::volume_root()/<id>), made with the Volume and bound
// into the Sandboxes that mount it (control/sandbox_create.cc, runtime/volume_tree.h).
#include "control/volumes.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "server/call_scope.h"
#include "server/status.h"

namespace modal::emulator {

grpc::Status VolumeHandlers::VolumeGetOrCreate(grpc::ServerContext* ctx,
                                               modal::client::VolumeGetOrCreateRequest const* req,
                                               modal::client::VolumeGetOrCreateResponse* resp) {
  CallScope scope(core_, ctx, "VolumeGetOrCreate", Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto root = core_.volume_root();
  if (!root.ok()) return to_grpc(root.status());
  int mkdir_error = 0;
  auto volume = core_.volumes().get_or_create(
      req->environment_name(), req->deployment_name(), req->object_creation_type(),
      [&](VolumeRecord& rec) {
        rec.dir = absl::StrCat(*root, "/", rec.id);
        // 0777 whatever the umask: a Sandbox's non-root user may write (the state
        // directory above is the emulator's alone).
        if (::mkdir(rec.dir.c_str(), 0777) != 0 || ::chmod(rec.dir.c_str(), 0777) != 0) {
          mkdir_error = errno;
        }
      });
  if (!volume.ok()) return to_grpc(volume.status());
  if (mkdir_error != 0) {
    (void)core_.volumes().remove(volume->id);
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        absl::StrCat("cannot create the directory of Volume ", volume->id, ": ",
                                     std::strerror(mkdir_error)));
  }
  resp->set_volume_id(volume->id);
  resp->set_version(modal::client::VOLUME_FS_VERSION_V2);
  auto* md = resp->mutable_metadata();
  md->set_version(modal::client::VOLUME_FS_VERSION_V2);
  md->set_name(volume->anonymous ? std::string() : volume->name);
  md->mutable_creation_info()->set_created_at(volume->created_at);
  md->mutable_creation_info()->set_created_by("modal-emulator");
  return grpc::Status::OK;
}

grpc::Status VolumeHandlers::VolumeHeartbeat(grpc::ServerContext* ctx,
                                             modal::client::VolumeHeartbeatRequest const* req,
                                             google::protobuf::Empty* /*resp*/) {
  CallScope scope(core_, ctx, "VolumeHeartbeat", Plane::kControl);
  if (!scope.ok()) return scope.status();
  return to_grpc(core_.volumes().heartbeat(req->volume_id()));
}

grpc::Status VolumeHandlers::VolumeDelete(grpc::ServerContext* ctx,
                                          modal::client::VolumeDeleteRequest const* req,
                                          google::protobuf::Empty* /*resp*/) {
  CallScope scope(core_, ctx, "VolumeDelete", Plane::kControl);
  if (!scope.ok()) return scope.status();
  // The store's removal hook removes the directory (Core's constructor).
  auto st = core_.volumes().remove(req->volume_id());
  if (st.ok()) core_.log(absl::StrCat("Volume ", req->volume_id(), " deleted"));
  return to_grpc(st);
}

}  // namespace modal::emulator
