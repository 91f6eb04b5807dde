// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// VolumeGetOrCreate. Volumes are records only: sandboxes that mount them see the request
// recorded in their definition, and nothing is mounted yet.
#include "control/control_plane.h"
#include "server/call_scope.h"
#include "server/ids.h"
#include "server/jwt.h"

namespace modal::emulator {

grpc::Status ControlPlane::VolumeGetOrCreate(grpc::ServerContext* ctx,
                                             modal::client::VolumeGetOrCreateRequest const* req,
                                             modal::client::VolumeGetOrCreateResponse* resp) {
  CallScope scope(core_, ctx, "VolumeGetOrCreate", Plane::kControl);
  if (!scope.ok()) return scope.status();

  State& state = scope.state();
  std::lock_guard<std::mutex> lock(state.mu);
  auto const* env = state.find_environment(req->environment_name());
  if (env == nullptr) {
    return environment_not_found(req->environment_name());
  }
  std::string const& name = req->deployment_name();
  auto const create = [&](bool anonymous) -> VolumeRecord& {
    VolumeRecord rec;
    rec.id = new_id("vo");
    rec.name = anonymous ? std::string() : name;
    rec.environment = env->name;
    rec.created_at = unix_now();
    if (!anonymous) state.volumes_by_name[{env->name, name}] = rec.id;
    std::string const id = rec.id;
    return state.volumes[id] = std::move(rec);
  };

  auto existing = state.volumes_by_name.find({env->name, name});
  Creation what;
  if (auto st =
          decide_creation(req->object_creation_type(), existing != state.volumes_by_name.end(),
                          "Volume", name, "Volume deployment_name", "VolumeGetOrCreate", &what);
      !st.ok()) {
    return st;
  }
  VolumeRecord* rec = nullptr;
  switch (what) {
    case Creation::kUseExisting:
      rec = &state.volumes.at(existing->second);
      break;
    case Creation::kCreateAnonymous:
      rec = &create(/*anonymous=*/true);
      break;
    case Creation::kCreateNamed:
    case Creation::kOverwrite:  // a new Volume now owns the name
      rec = &create(/*anonymous=*/false);
      break;
  }
  resp->set_volume_id(rec->id);
  resp->set_version(modal::client::VOLUME_FS_VERSION_V2);
  auto* md = resp->mutable_metadata();
  md->set_version(modal::client::VOLUME_FS_VERSION_V2);
  md->set_name(rec->name);
  md->mutable_creation_info()->set_created_at(rec->created_at);
  md->mutable_creation_info()->set_created_by("modal-emulator");
  return grpc::Status::OK;
}

}  // namespace modal::emulator
