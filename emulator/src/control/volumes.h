// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_CONTROL_VOLUMES_H
#define MODAL_EMULATOR_SRC_CONTROL_VOLUMES_H

#include "control/handlers.h"

namespace modal::emulator {

/// Volumes (volumes.cc; store: Core::volumes()): each a directory of the emulator's state
/// directory (Core::volume_root()), bound into the Sandboxes that mount it
/// (control/sandbox_create.cc).
class VolumeHandlers : public DomainHandlers {
 public:
  using DomainHandlers::DomainHandlers;

  /// Creates the Volume's directory with a new Volume.
  MODAL_EMULATOR_UNARY_RPC(VolumeGetOrCreate);
  /// NOT_FOUND for an unknown id; else removes the record and the directory (running
  /// Sandboxes keep their mount of the now deleted directory).
  grpc::Status VolumeDelete(grpc::ServerContext* ctx, modal::client::VolumeDeleteRequest const* req,
                            google::protobuf::Empty* resp) override;
  /// Keeps an ephemeral Volume alive (EmulatorOptions::ephemeral_timeout).
  grpc::Status VolumeHeartbeat(grpc::ServerContext* ctx,
                               modal::client::VolumeHeartbeatRequest const* req,
                               google::protobuf::Empty* resp) override;
};

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_CONTROL_VOLUMES_H
