// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_CONTROL_APPS_H
#define MODAL_EMULATOR_SRC_CONTROL_APPS_H

#include "control/handlers.h"

namespace modal::emulator {

/// Apps (apps.cc): get-or-create by name, per environment (store: Core::apps()).
class AppHandlers : public DomainHandlers {
 public:
  using DomainHandlers::DomainHandlers;

  MODAL_EMULATOR_UNARY_RPC(AppGetOrCreate);
};

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_CONTROL_APPS_H
