// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "modal/app.h"

#include "internal/client_state.h"
#include "internal/validation.h"
#include "modal/errors.h"

namespace modal {

App AppService::from_name(std::string const& name, AppFromNameParams const& params) const {
  if (name.empty()) throw InvalidError("App name must not be empty");
  internal::check_object_name(name, "App");
  modal::client::AppGetOrCreateRequest req;
  req.set_app_name(name);
  auto const& env = state_->environment(params.environment);
  req.set_environment_name(env);
  req.set_object_creation_type(params.create_if_missing
                                   ? modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING
                                   : modal::client::OBJECT_CREATION_TYPE_UNSPECIFIED);
  auto resp = state_->call(internal::rpc::AppGetOrCreate, req,
                           {.not_found = "App '" + name + "' not found"});
  return App{.app_id = resp.app_id(), .name = name, .environment = env};
}

}  // namespace modal
