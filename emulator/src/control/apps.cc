// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// AppGetOrCreate.
#include "control/apps.h"

#include "server/call_scope.h"
#include "server/status.h"

namespace modal::emulator {

grpc::Status AppHandlers::AppGetOrCreate(grpc::ServerContext* ctx,
                                         modal::client::AppGetOrCreateRequest const* req,
                                         modal::client::AppGetOrCreateResponse* resp) {
  CallScope scope(core_, ctx, "AppGetOrCreate", Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto app = core_.apps().get_or_create(req->environment_name(), req->app_name(),
                                        req->object_creation_type());
  if (!app.ok()) return to_grpc(app.status());
  resp->set_app_id(app->id);
  return grpc::Status::OK;
}

}  // namespace modal::emulator
