// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_SERVER_CALL_LOG_H
#define MODAL_EMULATOR_SRC_SERVER_CALL_LOG_H

#include <memory>

#include <grpcpp/support/server_interceptor.h>

#include "server/core.h"

namespace modal::emulator {

/// Server interceptor factory that records every call (short method name, client
/// metadata without binary headers, final status code) in Core's call log, and logs it
/// when verbose. Applies to every service and method, implemented or not.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> make_call_log_factory(
    Core& core);

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_SERVER_CALL_LOG_H
