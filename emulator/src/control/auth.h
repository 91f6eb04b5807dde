// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_CONTROL_AUTH_H
#define MODAL_EMULATOR_SRC_CONTROL_AUTH_H

#include "control/handlers.h"

namespace modal::emulator {

/// Auth tokens (auth.cc): the short-lived JWTs clients attach as x-modal-auth-token.
class AuthHandlers : public DomainHandlers {
 public:
  using DomainHandlers::DomainHandlers;

  MODAL_EMULATOR_UNARY_RPC(AuthTokenGet);
};

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_CONTROL_AUTH_H
