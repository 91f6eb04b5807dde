// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// SandboxWaitUntilReady: waits for the sandbox's readiness probe (sandbox_registry.h).
// As Modal's guide says, waiting on a Sandbox configured without a readiness probe is an
// error (FAILED_PRECONDITION, "has no readiness probe"), and so is waiting on one that has
// already finished; a ready Sandbox answers at once.
#include "router/router.h"

#include <chrono>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "server/call_scope.h"
#include "server/status.h"
#include "store/sandbox_registry.h"

namespace modal::emulator {

namespace tcr = modal::task_command_router;

grpc::Status Router::SandboxWaitUntilReady(grpc::ServerContext* ctx,
                                           tcr::SandboxWaitUntilReadyTcrRequest const* req,
                                           tcr::SandboxWaitUntilReadyTcrResponse* resp) {
  CallScope scope(core_, ctx, "SandboxWaitUntilReady", Plane::kRouter);
  if (auto st = authorize(scope, ctx, req->task_id()); !st.ok()) return st;
  double const timeout = std::isfinite(req->timeout()) ? req->timeout() : 0.0;
  if (timeout <= 0) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "timeout must be positive");
  }
  auto found = core_.sandboxes().get_by_task(req->task_id());
  if (!found.ok()) return to_grpc(found.status());
  auto const& rec = *found;
  if (!rec->definition.has_readiness_probe()) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        absl::StrCat("Sandbox ", rec->id,
                                     " has no readiness probe (give it one when creating "
                                     "it to wait until it is ready)"));
  }
  if (rec->finished()) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        absl::StrCat("Sandbox ", rec->id, " has already terminated"));
  }
  auto const deadline =
      runtime::Clock::now() + std::chrono::duration_cast<runtime::Clock::duration>(
                                  std::chrono::duration<double>(std::min(timeout, 86400.0)));
  switch (rec->wait_until_ready(deadline, [ctx] { return ctx->IsCancelled(); })) {
    case SandboxRecord::ReadyWait::kReady:
      resp->set_ready_at(rec->ready_at().value_or(rec->started_at()));
      return grpc::Status::OK;
    case SandboxRecord::ReadyWait::kFinished:
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          absl::StrCat("Sandbox ", rec->id, " finished before becoming ready"));
    case SandboxRecord::ReadyWait::kTimeout:
      return grpc::Status(
          grpc::StatusCode::DEADLINE_EXCEEDED,
          absl::StrCat("Sandbox ", rec->id, " was not ready within ", timeout, " s"));
    case SandboxRecord::ReadyWait::kCancelled:
      break;
  }
  if (core_.shutting_down()) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the emulator is shutting down");
  }
  return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
}

}  // namespace modal::emulator
