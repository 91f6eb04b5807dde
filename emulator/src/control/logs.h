// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_CONTROL_LOGS_H
#define MODAL_EMULATOR_SRC_CONTROL_LOGS_H

#include "control/handlers.h"

namespace modal::emulator {

/// An App's logs: what its Functions printed (logs.cc; store: Core::logs(), store/logs.h).
/// AppCountLogs counts them in time buckets, AppFetchLogs returns a time range, AppGetLogs
/// streams them from an entry id. (Sandboxes' logs are SandboxGetLogs, sandbox_logs.cc.)
class LogHandlers : public DomainHandlers {
 public:
  using DomainHandlers::DomainHandlers;

  MODAL_EMULATOR_UNARY_RPC(AppCountLogs);
  MODAL_EMULATOR_UNARY_RPC(AppFetchLogs);
  grpc::Status AppGetLogs(grpc::ServerContext* ctx, modal::client::AppGetLogsRequest const* req,
                          grpc::ServerWriter<modal::client::TaskLogsBatch>* writer) override;
};

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_CONTROL_LOGS_H
