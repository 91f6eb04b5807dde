// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// VolumeGetOrCreate. Volumes are records only: sandboxes that mount them see the request
// recorded in their definition, and nothing is mounted yet.
#include "control/volumes.h"

#include "server/call_scope.h"
#include "server/status.h"

namespace modal::emulator {

grpc::Status VolumeHandlers::VolumeGetOrCreate(grpc::ServerContext* ctx,
                                               modal::client::VolumeGetOrCreateRequest const* req,
                                               modal::client::VolumeGetOrCreateResponse* resp) {
  CallScope scope(core_, ctx, "VolumeGetOrCreate", Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto volume = core_.volumes().get_or_create(req->environment_name(), req->deployment_name(),
                                              req->object_creation_type());
  if (!volume.ok()) return to_grpc(volume.status());
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
  return to_grpc(core_.volumes().remove(req->volume_id()));
}

}  // namespace modal::emulator
