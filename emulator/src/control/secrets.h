// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_CONTROL_SECRETS_H
#define MODAL_EMULATOR_SRC_CONTROL_SECRETS_H

#include "control/handlers.h"

namespace modal::emulator {

/// Secrets (secrets.cc; store: Core::secrets()).
class SecretHandlers : public DomainHandlers {
 public:
  using DomainHandlers::DomainHandlers;

  MODAL_EMULATOR_UNARY_RPC(SecretGetOrCreate);
  grpc::Status SecretDelete(grpc::ServerContext* ctx, modal::client::SecretDeleteRequest const* req,
                            google::protobuf::Empty* resp) override;
};

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_CONTROL_SECRETS_H
