// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// AppGetOrCreate.
#include "control/control_plane.h"
#include "server/call_scope.h"
#include "server/ids.h"

namespace modal::emulator {

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

  auto existing = state.apps_by_name.find({env->name, req->app_name()});
  Creation what;
  if (auto st = decide_creation(req->object_creation_type(), existing != state.apps_by_name.end(),
                                "App", req->app_name(), "App name", "AppGetOrCreate", &what);
      !st.ok()) {
    return st;
  }
  switch (what) {
    case Creation::kUseExisting:
      resp->set_app_id(existing->second);
      break;
    case Creation::kCreateAnonymous:
      resp->set_app_id(create(/*ephemeral=*/true).id);
      break;
    case Creation::kCreateNamed:
    case Creation::kOverwrite:  // a new App now owns the name
      resp->set_app_id(create(/*ephemeral=*/false).id);
      break;
  }
  return grpc::Status::OK;
}

}  // namespace modal::emulator
