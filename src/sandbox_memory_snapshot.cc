// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Memory snapshots (V1 Sandboxes): Sandbox::experimental_snapshot (SandboxSnapshot, then
// SandboxSnapshotWait) and SandboxService::experimental_from_snapshot (SandboxRestore,
// then SandboxGetTaskId until the restored Sandbox is ready).
#include <string>

#include "internal/client_state.h"
#include "internal/rpc.h"
#include "internal/sandbox_state.h"
#include "internal/validation.h"
#include "modal/errors.h"
#include "modal/sandbox.h"

namespace modal {
namespace {

constexpr float kWaitSecs = 55;

bool succeeded(modal::client::GenericResult const& result) {
  return result.status() == modal::client::GenericResult::GENERIC_STATUS_SUCCESS;
}

}  // namespace

SandboxSnapshot Sandbox::experimental_snapshot() const {
  auto& s = *state_;
  s.ensure_usable();
  s.get_task_id();  // a Sandbox that has finished cannot be snapshotted (ConflictError)
  modal::client::SandboxSnapshotRequest req;
  req.set_sandbox_id(s.sandbox_id);
  auto resp = s.client->call(internal::rpc::SandboxSnapshot, req);
  if (resp.snapshot_id().empty()) {
    throw ExecutionError("Sandbox snapshot response missing snapshot ID", StatusCode::kUnknown,
                         std::string(internal::rpc::SandboxSnapshot.name));
  }
  // The snapshot may take a while: a second, idempotent call waits for it.
  modal::client::SandboxSnapshotWaitRequest wait;
  wait.set_snapshot_id(resp.snapshot_id());
  wait.set_timeout(kWaitSecs);
  auto done = s.client->call(internal::rpc::SandboxSnapshotWait, wait);
  if (!succeeded(done.result())) {
    throw ExecutionError(
        done.result().exception().empty() ? "Sandbox snapshot " + resp.snapshot_id() + " failed"
                                          : done.result().exception(),
        StatusCode::kUnknown, std::string(internal::rpc::SandboxSnapshotWait.name));
  }
  return SandboxSnapshot{.snapshot_id = resp.snapshot_id()};
}

Sandbox SandboxService::experimental_from_snapshot(SandboxSnapshot const& snapshot,
                                                   SandboxFromSnapshotParams const& params) const {
  state_->throw_if_closed();
  if (snapshot.snapshot_id.empty()) throw InvalidError("Sandbox snapshot id must not be empty");
  modal::client::SandboxRestoreRequest req;
  req.set_snapshot_id(snapshot.snapshot_id);
  using Override = modal::client::SandboxRestoreRequest;
  req.set_sandbox_name_override_type(Override::SANDBOX_NAME_OVERRIDE_TYPE_UNSPECIFIED);
  if (params.name) {
    if (params.name->empty()) {
      req.set_sandbox_name_override_type(Override::SANDBOX_NAME_OVERRIDE_TYPE_NONE);
    } else {
      internal::check_object_name(*params.name, "Sandbox");
      req.set_sandbox_name_override_type(Override::SANDBOX_NAME_OVERRIDE_TYPE_STRING);
      req.set_sandbox_name_override(*params.name);
    }
  }
  auto resp =
      state_->call(internal::rpc::SandboxRestore, req,
                   {.not_found = "Sandbox snapshot '" + snapshot.snapshot_id + "' not found"});
  modal::client::SandboxGetTaskIdRequest task;
  task.set_sandbox_id(resp.sandbox_id());
  task.set_wait_until_ready(true);
  task.set_timeout(kWaitSecs);
  auto ready = state_->call(internal::rpc::SandboxGetTaskId, task);
  if (ready.has_task_result() &&
      ready.task_result().status() != modal::client::GenericResult::GENERIC_STATUS_UNSPECIFIED &&
      !succeeded(ready.task_result())) {
    throw ExecutionError(ready.task_result().exception().empty()
                             ? "restored Sandbox " + resp.sandbox_id() + " failed to start"
                             : ready.task_result().exception(),
                         StatusCode::kUnknown, std::string(internal::rpc::SandboxGetTaskId.name));
  }
  return internal::SandboxState::make(state_, resp.sandbox_id());
}

}  // namespace modal
