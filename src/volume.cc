// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "modal/volume.h"

#include "internal/client_state.h"
#include "modal/errors.h"

namespace modal {

Volume VolumeService::from_name(std::string const& name, VolumeFromNameParams const& params) const {
  if (name.empty()) throw InvalidError("Volume name must not be empty");
  modal::client::VolumeGetOrCreateRequest req;
  req.set_deployment_name(name);
  req.set_environment_name(params.environment.empty() ? state_->config().environment
                                                      : params.environment);
  req.set_object_creation_type(params.create_if_missing
                                   ? modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING
                                   : modal::client::OBJECT_CREATION_TYPE_UNSPECIFIED);
  modal::client::VolumeGetOrCreateResponse resp;
  auto status =
      state_->try_call("VolumeGetOrCreate", &internal::ModalStub::VolumeGetOrCreate, req, &resp);
  if (!status.ok()) {
    if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
      internal::throw_rpc_error(status, "VolumeGetOrCreate", "Volume '" + name + "' not found");
    }
    internal::throw_rpc_error(status, "VolumeGetOrCreate");
  }
  state_->logger().debug("volume '{}': {}", name, resp.volume_id());
  return Volume(resp.volume_id(), name);
}

}  // namespace modal
