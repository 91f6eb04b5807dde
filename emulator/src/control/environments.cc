// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// EnvironmentGetOrCreate.
#include "control/environments.h"

#include "server/call_scope.h"
#include "server/status.h"

namespace modal::emulator {

grpc::Status EnvironmentHandlers::EnvironmentGetOrCreate(
    grpc::ServerContext* ctx, modal::client::EnvironmentGetOrCreateRequest const* req,
    modal::client::EnvironmentGetOrCreateResponse* resp) {
  CallScope scope(core_, ctx, "EnvironmentGetOrCreate", Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto env =
      core_.environments().get_or_create(req->deployment_name(), req->object_creation_type());
  if (!env.ok()) return to_grpc(env.status());
  resp->set_environment_id(env->id);
  auto* md = resp->mutable_metadata();
  md->set_name(env->name);
  md->set_environment_type(modal::client::ENVIRONMENT_TYPE_PUBLIC);
  md->mutable_settings()->set_image_builder_version(core_.options().image_builder_version);
  md->mutable_settings()->set_webhook_suffix("modal.run");
  return grpc::Status::OK;
}

}  // namespace modal::emulator
