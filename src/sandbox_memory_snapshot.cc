// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Memory snapshots: Sandbox::experimental_snapshot (V1: SandboxSnapshot, then
// SandboxSnapshotWait; V2: the router's TaskSnapshotMemory) and
// SandboxService::experimental_from_snapshot (SandboxSnapshotGet for the backend, then V1:
// SandboxRestore and SandboxGetTaskId until the restored Sandbox is ready; V2:
// SandboxRestoreV2, whose reply seeds the handle).
#include <chrono>
#include <string>
#include <utility>

#include "internal/client_state.h"
#include "internal/router_client.h"
#include "internal/rpc.h"
#include "internal/sandbox_state.h"
#include "internal/uuid.h"
#include "internal/validation.h"
#include "modal/errors.h"
#include "modal/sandbox.h"

namespace modal {
namespace {

constexpr float kWaitSecs = 55;
constexpr auto kV2SnapshotDeadline = std::chrono::seconds(55);

bool succeeded(modal::client::GenericResult const& result) {
  return result.status() == modal::client::GenericResult::GENERIC_STATUS_SUCCESS;
}

}  // namespace

SandboxSnapshot Sandbox::experimental_snapshot() const {
  auto& s = *state_;
  s.ensure_usable();
  if (s.v2) {
    // V2: the task's router takes it (an idempotency key makes retries safe).
    auto router = s.router_client();
    internal::tcr::TaskSnapshotMemoryRequest req;
    req.set_task_id(router->task_id());
    req.set_idempotency_key(internal::uuid4());
    auto resp = router->call(internal::rpc::TaskSnapshotMemory, req,
                             {.deadline = internal::Clock::now() + kV2SnapshotDeadline});
    if (resp.snapshot_id().empty()) {
      throw ExecutionError("Sandbox snapshot response missing snapshot ID", StatusCode::kUnknown,
                           std::string(internal::rpc::TaskSnapshotMemory.name));
    }
    return SandboxSnapshot{.snapshot_id = resp.snapshot_id()};
  }
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
  std::string const not_found = "Sandbox snapshot '" + snapshot.snapshot_id + "' not found";
  // The backend the snapshot was taken on restores it (SandboxSnapshotGet says which).
  modal::client::SandboxSnapshotGetRequest get;
  get.set_snapshot_id(snapshot.snapshot_id);
  auto meta = state_->call(internal::rpc::SandboxSnapshotGet, get, {.not_found = not_found});
  if (meta.handle_metadata().is_v2()) {
    modal::client::SandboxRestoreV2Request v2;
    v2.set_snapshot_id(req.snapshot_id());
    v2.set_sandbox_name_override(req.sandbox_name_override());
    v2.set_sandbox_name_override_type(req.sandbox_name_override_type());
    auto restored = state_->call(internal::rpc::SandboxRestoreV2, v2, {.not_found = not_found});
    internal::SandboxSeed seed;
    seed.task_id = restored.task_id();
    if (restored.has_command_router_access()) {
      seed.router_url = restored.command_router_access().url();
      seed.router_jwt = restored.command_router_access().jwt();
    }
    return internal::SandboxState::make(state_, restored.sandbox_id(), std::move(seed));
  }
  auto resp = state_->call(internal::rpc::SandboxRestore, req, {.not_found = not_found});
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
