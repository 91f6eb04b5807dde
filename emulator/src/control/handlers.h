// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_CONTROL_HANDLERS_H
#define MODAL_EMULATOR_SRC_CONTROL_HANDLERS_H

// What every domain's handler class (apps.h, secrets.h, sandboxes.h, ...) starts from.
// See control_plane.h for how they are combined and how to add one.

#include <grpcpp/grpcpp.h>

#include "modal_proto/api.grpc.pb.h"
#include "server/core.h"

namespace modal::emulator {

/// The generated modal.client.ModalClient service. Each domain's handler class overrides
/// its own RPCs of it; it is a virtual base, so ControlPlane, which derives from all of
/// them, is one service.
using ModalClientService = modal::client::ModalClient::Service;

/// The base of every domain's handler class: the service (virtually) and the Core the
/// handlers work on.
class DomainHandlers : public virtual ModalClientService {
 public:
  explicit DomainHandlers(Core& core) : core_(core) {}

 protected:
  Core& core_;
};

}  // namespace modal::emulator

/// Declares a domain's override of the unary ModalClient RPC `Rpc`, whose messages are
/// modal::client::<Rpc>Request and <Rpc>Response:
///
///     grpc::Status Rpc(grpc::ServerContext* ctx, modal::client::RpcRequest const* req,
///                      modal::client::RpcResponse* resp) override
///
/// RPCs with other messages (google.protobuf.Empty responses, server streams) are declared
/// in full.
#define MODAL_EMULATOR_UNARY_RPC(Rpc)                                                  \
  grpc::Status Rpc(grpc::ServerContext* ctx, ::modal::client::Rpc##Request const* req, \
                   ::modal::client::Rpc##Response* resp) override

#endif  // MODAL_EMULATOR_SRC_CONTROL_HANDLERS_H
