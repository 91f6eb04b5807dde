// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_CONTROL_ENVIRONMENTS_H
#define MODAL_EMULATOR_SRC_CONTROL_ENVIRONMENTS_H

#include "control/handlers.h"

namespace modal::emulator {

/// Environments (environments.cc; store: Core::environments()).
class EnvironmentHandlers : public DomainHandlers {
 public:
  using DomainHandlers::DomainHandlers;

  MODAL_EMULATOR_UNARY_RPC(EnvironmentGetOrCreate);
};

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_CONTROL_ENVIRONMENTS_H
