// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// EnvironmentGetOrCreate.
#include "absl/strings/str_cat.h"
#include "control/control_plane.h"
#include "server/call_scope.h"

namespace modal::emulator {

grpc::Status ControlPlane::EnvironmentGetOrCreate(
    grpc::ServerContext* ctx, modal::client::EnvironmentGetOrCreateRequest const* req,
    modal::client::EnvironmentGetOrCreateResponse* resp) {
  CallScope scope(core_, ctx, "EnvironmentGetOrCreate", Plane::kControl);
  if (!scope.ok()) return scope.status();

  State& state = scope.state();
  std::lock_guard<std::mutex> lock(state.mu);
  std::string const name = State::environment_name(req->deployment_name());
  auto const type = req->object_creation_type();
  EnvironmentRecord const* env = state.find_environment(name);
  switch (type) {
    case modal::client::OBJECT_CREATION_TYPE_UNSPECIFIED:
      if (env == nullptr) {
        return environment_not_found(name);
      }
      break;
    case modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING:
    case modal::client::OBJECT_CREATION_TYPE_CREATE_OVERWRITE_IF_EXISTS:
      if (env == nullptr) env = &state.add_environment(name);
      break;
    case modal::client::OBJECT_CREATION_TYPE_CREATE_FAIL_IF_EXISTS:
      if (env != nullptr) {
        return grpc::Status(grpc::StatusCode::ALREADY_EXISTS,
                            absl::StrCat("Environment '", name, "' already exists"));
      }
      env = &state.add_environment(name);
      break;
    default:
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          absl::StrCat("Unsupported object_creation_type ", static_cast<int>(type),
                                       " for EnvironmentGetOrCreate"));
  }
  resp->set_environment_id(env->id);
  auto* md = resp->mutable_metadata();
  md->set_name(env->name);
  md->set_environment_type(modal::client::ENVIRONMENT_TYPE_PUBLIC);
  md->mutable_settings()->set_image_builder_version(core_.options().image_builder_version);
  md->mutable_settings()->set_webhook_suffix("modal.run");
  return grpc::Status::OK;
}

}  // namespace modal::emulator
