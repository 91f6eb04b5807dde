// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "modal/volume.h"

#include "internal/client_state.h"
#include "internal/validation.h"
#include "modal/errors.h"

namespace modal {

Volume VolumeService::from_name(std::string const& name, VolumeFromNameParams const& params) const {
  if (name.empty()) throw InvalidError("Volume name must not be empty");
  internal::check_object_name(name, "Volume");
  modal::client::VolumeGetOrCreateRequest req;
  req.set_deployment_name(name);
  req.set_environment_name(state_->environment(params.environment));
  req.set_object_creation_type(params.create_if_missing
                                   ? modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING
                                   : modal::client::OBJECT_CREATION_TYPE_UNSPECIFIED);
  auto resp = state_->call(internal::rpc::VolumeGetOrCreate, req,
                           {.not_found = "Volume '" + name + "' not found"});
  state_->logger().debug("volume '{}': {}", name, resp.volume_id());
  return Volume(resp.volume_id(), name);
}

}  // namespace modal
