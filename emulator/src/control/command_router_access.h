// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_CONTROL_COMMAND_ROUTER_ACCESS_H
#define MODAL_EMULATOR_SRC_CONTROL_COMMAND_ROUTER_ACCESS_H

#include "control/handlers.h"

namespace modal::emulator {

/// Where a task's command router is (command_router_access.cc): the router shares the
/// emulator's port (router/router.h).
class RouterAccessHandlers : public DomainHandlers {
 public:
  using DomainHandlers::DomainHandlers;

  MODAL_EMULATOR_UNARY_RPC(TaskGetCommandRouterAccess);
};

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_CONTROL_COMMAND_ROUTER_ACCESS_H
