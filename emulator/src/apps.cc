// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// AppGetOrCreate.
#include "absl/strings/str_cat.h"
#include "call_scope.h"
#include "control_plane.h"
#include "ids.h"

namespace modal::emulator {

using modal::client::ObjectCreationType;

grpc::Status ControlPlane::AppGetOrCreate(grpc::ServerContext* ctx,
                                          modal::client::AppGetOrCreateRequest const* req,
                                          modal::client::AppGetOrCreateResponse* resp) {
  CallScope scope(core_, ctx, "AppGetOrCreate", Plane::kControl);
  if (!scope.ok()) return scope.status();

  State& state = scope.state();
  std::lock_guard<std::mutex> lock(state.mu);
  auto const* env = state.find_environment(req->environment_name());
  if (env == nullptr) {
    return environment_not_found(req->environment_name());
  }
  auto const type = req->object_creation_type();
  auto const create = [&](bool ephemeral) -> AppRecord& {
    AppRecord rec;
    rec.id = new_id("ap");
    rec.name = req->app_name();
    rec.environment = env->name;
    rec.ephemeral = ephemeral;
    rec.created_at = unix_now();
    if (!ephemeral) state.apps_by_name[{env->name, rec.name}] = rec.id;
    std::string const id = rec.id;
    return state.apps[id] = std::move(rec);
  };

  if (type == modal::client::OBJECT_CREATION_TYPE_EPHEMERAL ||
      type == modal::client::OBJECT_CREATION_TYPE_ANONYMOUS_OWNED_BY_APP) {
    resp->set_app_id(create(/*ephemeral=*/true).id);
    return grpc::Status::OK;
  }
  NameKey const key{env->name, req->app_name()};
  auto existing = state.apps_by_name.find(key);
  switch (type) {
    case modal::client::OBJECT_CREATION_TYPE_UNSPECIFIED:
      if (existing == state.apps_by_name.end()) {
        return grpc::Status(grpc::StatusCode::NOT_FOUND,
                            absl::StrCat("App '", req->app_name(), "' not found"));
      }
      resp->set_app_id(existing->second);
      return grpc::Status::OK;
    case modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING:
    case modal::client::OBJECT_CREATION_TYPE_CREATE_FAIL_IF_EXISTS:
    case modal::client::OBJECT_CREATION_TYPE_CREATE_OVERWRITE_IF_EXISTS:
      if (req->app_name().empty()) {
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "App name must not be empty");
      }
      if (existing != state.apps_by_name.end()) {
        if (type == modal::client::OBJECT_CREATION_TYPE_CREATE_FAIL_IF_EXISTS) {
          return grpc::Status(grpc::StatusCode::ALREADY_EXISTS,
                              absl::StrCat("App '", req->app_name(), "' already exists"));
        }
        if (type == modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING) {
          resp->set_app_id(existing->second);
          return grpc::Status::OK;
        }
      }
      // Missing, or overwrite: a new App now owns the name.
      resp->set_app_id(create(/*ephemeral=*/false).id);
      return grpc::Status::OK;
    default:
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          absl::StrCat("Unsupported object_creation_type ",
                                       static_cast<int>(type), " for AppGetOrCreate"));
  }
}

}  // namespace modal::emulator
