// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_CONTROL_VOLUMES_H
#define MODAL_EMULATOR_SRC_CONTROL_VOLUMES_H

#include "control/handlers.h"

namespace modal::emulator {

/// Volumes (volumes.cc; store: Core::volumes()). Mounts are recorded, not performed.
class VolumeHandlers : public DomainHandlers {
 public:
  using DomainHandlers::DomainHandlers;

  MODAL_EMULATOR_UNARY_RPC(VolumeGetOrCreate);
  /// Keeps an ephemeral Volume alive (EmulatorOptions::ephemeral_timeout).
  grpc::Status VolumeHeartbeat(grpc::ServerContext* ctx,
                               modal::client::VolumeHeartbeatRequest const* req,
                               google::protobuf::Empty* resp) override;
  /// Deletes a Volume (NOT_FOUND for an unknown id).
  grpc::Status VolumeDelete(grpc::ServerContext* ctx, modal::client::VolumeDeleteRequest const* req,
                            google::protobuf::Empty* resp) override;
};

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_CONTROL_VOLUMES_H
