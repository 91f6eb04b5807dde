// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_EXEC_CHANNEL_H
#define MODAL_INTERNAL_EXEC_CHANNEL_H

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/sync_stream.h>

#include <functional>
#include <memory>
#include <string>

#include "internal/retry.h"
#include "modal_proto/task_command_router.pb.h"

namespace modal::internal {

namespace tcr = modal::task_command_router;

/// Called when a caller has been blocked on an exec for a while: lets the outputs
/// nobody reads be fetched meanwhile (see ExecOutput).
using StallHook = std::function<void()>;

/// How often a blocked exec call calls its StallHook.
inline constexpr auto kStallAfter = std::chrono::milliseconds(50);

/**
 * The task command router RPCs of an exec, one attempt each; retries, credentials and
 * cancellation come from the CallTarget side (run_call). RouterClient implements it over
 * gRPC; unit tests substitute a fake to drive ExecOutput and wait_for_exit. Thread-safe.
 */
class ExecChannel : public CallTarget {
 public:
  virtual std::string const& task_id() const = 0;
  virtual std::unique_ptr<grpc::ClientReaderInterface<tcr::TaskExecStdioReadResponse>> stdio_read(
      grpc::ClientContext& ctx, tcr::TaskExecStdioReadRequest const& req) = 0;
  /// Blocks until the RPC completes, calling `on_stall` every kStallAfter meanwhile.
  virtual grpc::Status exec_wait(grpc::ClientContext& ctx, tcr::TaskExecWaitRequest const& req,
                                 tcr::TaskExecWaitResponse* resp, StallHook const& on_stall) = 0;
  virtual grpc::Status exec_poll(grpc::ClientContext& ctx, tcr::TaskExecPollRequest const& req,
                                 tcr::TaskExecPollResponse* resp) = 0;
  /// Blocks until the RPC completes, calling `on_stall` every kStallAfter meanwhile.
  virtual grpc::Status stdin_write(grpc::ClientContext& ctx,
                                   tcr::TaskExecStdinWriteRequest const& req,
                                   tcr::TaskExecStdinWriteResponse* resp,
                                   StallHook const& on_stall) = 0;
};

}  // namespace modal::internal

#endif  // MODAL_INTERNAL_EXEC_CHANNEL_H
