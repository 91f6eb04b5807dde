// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// The Sandbox lifecycle: SandboxGetTaskId, SandboxWait, SandboxTerminate and
// SandboxStdinWrite, and what the Sandbox handlers share.
#include "control/sandboxes.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "server/call_scope.h"
#include "server/status.h"
#include "store/sandbox_registry.h"

namespace modal::emulator {
namespace {

using runtime::Clock;

constexpr auto kMaxLongPoll = std::chrono::seconds(55);
constexpr auto kTerminateWait = std::chrono::seconds(5);
constexpr auto kStdinWriteWait = std::chrono::seconds(20);

/// Whether the Sandbox finished because its entrypoint exited (with any code), not because
/// it was terminated or timed out.
bool exited_on_its_own(SandboxRecord const& rec) {
  auto const result = rec.result();
  return result.has_value() &&
         (result->status() == modal::client::GenericResult::GENERIC_STATUS_SUCCESS ||
          result->status() == modal::client::GenericResult::GENERIC_STATUS_FAILURE);
}

}  // namespace

runtime::Deadline long_poll_deadline(float secs) {
  auto d = std::chrono::duration<double>(std::max(0.0f, secs));
  auto capped = std::min<std::chrono::nanoseconds>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(d), kMaxLongPoll);
  return Clock::now() + capped;
}

grpc::Status already_finished(SandboxRecord const& rec) {
  return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                      absl::StrCat("Sandbox '", rec.id, "' has already finished"));
}

void fill_metadata(SandboxRecord const& rec, modal::client::SandboxHandleMetadata* md) {
  md->set_app_id(rec.app_id);
  if (auto r = rec.result()) *md->mutable_result() = *r;
}

grpc::Status SandboxHandlers::SandboxGetTaskId(grpc::ServerContext* ctx,
                                               modal::client::SandboxGetTaskIdRequest const* req,
                                               modal::client::SandboxGetTaskIdResponse* resp) {
  CallScope scope(core_, ctx, "SandboxGetTaskId", Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto found = core_.sandboxes().get(req->sandbox_id());
  if (!found.ok()) return to_grpc(found.status());
  auto const& rec = *found;
  if (req->wait_until_ready()) {
    auto const deadline = long_poll_deadline(req->has_timeout() ? req->timeout() : 55.0f);
    rec->wait_until_ready(deadline, [ctx] { return ctx->IsCancelled(); });
  }
  if (auto r = rec->result()) {
    *resp->mutable_task_result() = *r;
  } else {
    resp->set_task_id(rec->task_id);
  }
  return grpc::Status::OK;
}

grpc::Status SandboxHandlers::SandboxWait(grpc::ServerContext* ctx,
                                          modal::client::SandboxWaitRequest const* req,
                                          modal::client::SandboxWaitResponse* resp) {
  CallScope scope(core_, ctx, "SandboxWait", Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto found = core_.sandboxes().get(req->sandbox_id());
  if (!found.ok()) return to_grpc(found.status());
  auto const& rec = *found;
  auto result = rec->wait(long_poll_deadline(req->timeout()), [ctx] { return ctx->IsCancelled(); });
  if (result.has_value()) *resp->mutable_result() = *result;
  fill_metadata(*rec, resp->mutable_metadata());
  return grpc::Status::OK;
}

grpc::Status SandboxHandlers::SandboxTerminate(grpc::ServerContext* ctx,
                                               modal::client::SandboxTerminateRequest const* req,
                                               modal::client::SandboxTerminateResponse* resp) {
  CallScope scope(core_, ctx, "SandboxTerminate", Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto found = core_.sandboxes().get(req->sandbox_id());
  if (!found.ok()) return to_grpc(found.status());
  auto const& rec = *found;
  if (auto r = rec->result()) {
    *resp->mutable_existing_result() = *r;
    return grpc::Status::OK;
  }
  if (auto sb = rec->runtime()) sb->terminate();  // SIGKILL to every process → 137
  // Answer once it is gone, so that a poll right after sees the result.
  rec->wait(Clock::now() + kTerminateWait, [ctx] { return ctx->IsCancelled(); });
  core_.log(absl::StrCat("sandbox ", rec->id, " terminated"));
  return grpc::Status::OK;
}

grpc::Status SandboxHandlers::SandboxStdinWrite(
    grpc::ServerContext* ctx, modal::client::SandboxStdinWriteRequest const* req,
    modal::client::SandboxStdinWriteResponse* /*resp*/) {
  CallScope scope(core_, ctx, "SandboxStdinWrite", Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto found = core_.sandboxes().get(req->sandbox_id());
  if (!found.ok()) return to_grpc(found.status());
  auto const& rec = *found;
  if (req->index() == 0) return invalid_argument("stdin index must start at 1");
  auto sb = rec->runtime();
  if (rec->finished() || sb == nullptr) {
    // Terminated (SandboxTerminate, its timeout, the emulator): refused, as Modal's own
    // test server does. Exited on its own: the stdin of a process that is gone is a pipe
    // without a reader, and what arrives is discarded, so that a client that writes,
    // closes and waits never races the entrypoint's exit.
    if (!exited_on_its_own(*rec)) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "Sandbox has already terminated");
    }
    return grpc::Status::OK;
  }
  auto st = sb->write_stdin(req->index(), req->input(), req->eof(),
                            runtime::deadline_after(kStdinWriteWait));
  // The entrypoint exited while the write was under way: the same pipe without a reader.
  if (!st.ok() && rec->finished() && exited_on_its_own(*rec)) return grpc::Status::OK;
  return to_grpc(st);
}

}  // namespace modal::emulator
