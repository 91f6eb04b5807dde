// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_CONTROL_PROXIES_H
#define MODAL_EMULATOR_SRC_CONTROL_PROXIES_H

#include "control/handlers.h"

namespace modal::emulator {

/// Proxies (proxies.cc; store: Core::proxies(), seeded from EmulatorOptions::proxies).
class ProxyHandlers : public DomainHandlers {
 public:
  using DomainHandlers::DomainHandlers;

  MODAL_EMULATOR_UNARY_RPC(ProxyGet);
};

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_CONTROL_PROXIES_H
