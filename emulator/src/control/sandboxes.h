// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_CONTROL_SANDBOXES_H
#define MODAL_EMULATOR_SRC_CONTROL_SANDBOXES_H

#include "control/handlers.h"
#include "runtime/types.h"

namespace modal::emulator {

/// The Sandbox control plane. The processes and their lifecycle live in
/// store/sandbox_registry.h (Core::sandboxes()) and the runtime; exec goes through the
/// router (router/router.h).
class SandboxHandlers : public DomainHandlers {
 public:
  using DomainHandlers::DomainHandlers;

  // sandbox_create.cc
  MODAL_EMULATOR_UNARY_RPC(SandboxCreate);

  // sandboxes.cc: lifecycle
  MODAL_EMULATOR_UNARY_RPC(SandboxGetTaskId);
  MODAL_EMULATOR_UNARY_RPC(SandboxWait);
  MODAL_EMULATOR_UNARY_RPC(SandboxTerminate);
  MODAL_EMULATOR_UNARY_RPC(SandboxStdinWrite);

  // sandbox_lookup.cc: finding Sandboxes, tags, networking
  MODAL_EMULATOR_UNARY_RPC(SandboxGetFromName);
  MODAL_EMULATOR_UNARY_RPC(SandboxList);
  MODAL_EMULATOR_UNARY_RPC(SandboxTagsGet);
  grpc::Status SandboxTagsSet(grpc::ServerContext* ctx,
                              modal::client::SandboxTagsSetRequest const* req,
                              google::protobuf::Empty* resp) override;
  MODAL_EMULATOR_UNARY_RPC(SandboxGetTunnels);
  MODAL_EMULATOR_UNARY_RPC(SandboxCreateConnectToken);

  // sandbox_logs.cc
  grpc::Status SandboxGetLogs(grpc::ServerContext* ctx,
                              modal::client::SandboxGetLogsRequest const* req,
                              grpc::ServerWriter<modal::client::TaskLogsBatch>* writer) override;
};

/// now + `secs` seconds, clamped to [0, 55 s]: the bound of every Sandbox long poll.
runtime::Deadline long_poll_deadline(float secs);

class SandboxRecord;
/// The handle metadata of SandboxCreate, SandboxWait, SandboxGetFromName, SandboxList.
void fill_metadata(SandboxRecord const& rec, modal::client::SandboxHandleMetadata* md);
/// FAILED_PRECONDITION "Sandbox '<id>' has already finished".
grpc::Status already_finished(SandboxRecord const& rec);

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_CONTROL_SANDBOXES_H
