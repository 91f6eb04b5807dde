// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_CONTROL_FUNCTIONS_H
#define MODAL_EMULATOR_SRC_CONTROL_FUNCTIONS_H

#include "control/handlers.h"

namespace modal::emulator {

/// Functions, classes, Function calls, the input plane and blobs (functions.cc; stores:
/// Core::functions(), store/functions.h, and Core::blobs(), store/blobs.h; inputs run on
/// Core::function_runner(), control/function_runner.h).
class FunctionHandlers : public DomainHandlers {
 public:
  using DomainHandlers::DomainHandlers;

  MODAL_EMULATOR_UNARY_RPC(FunctionGet);
  MODAL_EMULATOR_UNARY_RPC(FunctionBindParams);
  MODAL_EMULATOR_UNARY_RPC(FunctionMap);
  MODAL_EMULATOR_UNARY_RPC(FunctionGetOutputs);
  MODAL_EMULATOR_UNARY_RPC(FunctionRetryInputs);
  MODAL_EMULATOR_UNARY_RPC(FunctionCallFromId);
  MODAL_EMULATOR_UNARY_RPC(FunctionCallGetInfo);
  MODAL_EMULATOR_UNARY_RPC(FunctionUpdateSchedulingParams);
  grpc::Status FunctionCallCancel(grpc::ServerContext* ctx,
                                  modal::client::FunctionCallCancelRequest const* req,
                                  google::protobuf::Empty* resp) override;
  grpc::Status FunctionGetCurrentStats(grpc::ServerContext* ctx,
                                       modal::client::FunctionGetCurrentStatsRequest const* req,
                                       modal::client::FunctionStats* resp) override;
  MODAL_EMULATOR_UNARY_RPC(AttemptStart);
  MODAL_EMULATOR_UNARY_RPC(AttemptAwait);
  MODAL_EMULATOR_UNARY_RPC(AttemptRetry);
  MODAL_EMULATOR_UNARY_RPC(BlobCreate);
  MODAL_EMULATOR_UNARY_RPC(BlobGet);
};

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_CONTROL_FUNCTIONS_H
