// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// VolumeGetOrCreate. Volumes are records only: sandboxes that mount them see the request
// recorded in their definition, and nothing is mounted yet.
#include "absl/strings/str_cat.h"
#include "call_scope.h"
#include "control_plane.h"
#include "ids.h"
#include "jwt.h"

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

  VolumeRecord* rec = nullptr;
  auto const type = req->object_creation_type();
  NameKey const key{env->name, name};
  auto existing = state.volumes_by_name.find(key);
  switch (type) {
    case modal::client::OBJECT_CREATION_TYPE_EPHEMERAL:
    case modal::client::OBJECT_CREATION_TYPE_ANONYMOUS_OWNED_BY_APP:
      rec = &create(/*anonymous=*/true);
      break;
    case modal::client::OBJECT_CREATION_TYPE_UNSPECIFIED:
      if (existing == state.volumes_by_name.end()) {
        return grpc::Status(grpc::StatusCode::NOT_FOUND,
                            absl::StrCat("Volume '", name, "' not found"));
      }
      rec = &state.volumes.at(existing->second);
      break;
    case modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING:
    case modal::client::OBJECT_CREATION_TYPE_CREATE_FAIL_IF_EXISTS:
    case modal::client::OBJECT_CREATION_TYPE_CREATE_OVERWRITE_IF_EXISTS:
      if (name.empty()) {
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                            "Volume deployment_name must not be empty");
      }
      if (existing == state.volumes_by_name.end() ||
          type == modal::client::OBJECT_CREATION_TYPE_CREATE_OVERWRITE_IF_EXISTS) {
        rec = &create(/*anonymous=*/false);
      } else if (type == modal::client::OBJECT_CREATION_TYPE_CREATE_FAIL_IF_EXISTS) {
        return grpc::Status(grpc::StatusCode::ALREADY_EXISTS,
                            absl::StrCat("Volume '", name, "' already exists"));
      } else {
        rec = &state.volumes.at(existing->second);
      }
      break;
    default:
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          absl::StrCat("Unsupported object_creation_type ", static_cast<int>(type),
                                       " for VolumeGetOrCreate"));
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
