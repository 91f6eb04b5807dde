// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// The Sandbox lifecycle: SandboxGetTaskId, SandboxWait, SandboxTerminate and
// SandboxStdinWrite, and what the Sandbox handlers share.
#include "control/sandboxes.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "server/call_scope.h"
#include "server/ids.h"
#include "server/status.h"
#include "store/sandbox_registry.h"

namespace modal::emulator {
namespace {

using runtime::Clock;

constexpr auto kMaxLongPoll = std::chrono::seconds(55);
constexpr auto kTerminateWait = std::chrono::seconds(5);
constexpr auto kStdinWriteWait = std::chrono::seconds(20);

}  // namespace

bool exited_on_its_own(SandboxRecord const& rec) {
  auto const result = rec.result();
  return result.has_value() &&
         (result->status() == modal::client::GenericResult::GENERIC_STATUS_SUCCESS ||
          result->status() == modal::client::GenericResult::GENERIC_STATUS_FAILURE);
}

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

SandboxApi sandbox_api(std::string_view sandbox_id) {
  return is_id(sandbox_id, "sb") ? SandboxApi::kV1 : SandboxApi::kV2;
}

absl::StatusOr<std::shared_ptr<SandboxRecord>> SandboxHandlers::get_sandbox(
    std::string_view sandbox_id, SandboxApi api) const {
  if (sandbox_api(sandbox_id) != api) {
    return absl::NotFoundError(absl::StrCat("Sandbox '", std::string(sandbox_id), "' not found"));
  }
  return core_.sandboxes().get(sandbox_id);
}

grpc::Status SandboxHandlers::SandboxGetTaskId(grpc::ServerContext* ctx,
                                               modal::client::SandboxGetTaskIdRequest const* req,
                                               modal::client::SandboxGetTaskIdResponse* resp) {
  return get_task_id("SandboxGetTaskId", SandboxApi::kV1, ctx, *req, resp);
}

grpc::Status SandboxHandlers::SandboxGetTaskIdV2(grpc::ServerContext* ctx,
                                                 modal::client::SandboxGetTaskIdRequest const* req,
                                                 modal::client::SandboxGetTaskIdResponse* resp) {
  return get_task_id("SandboxGetTaskIdV2", SandboxApi::kV2, ctx, *req, resp);
}

grpc::Status SandboxHandlers::get_task_id(std::string_view rpc, SandboxApi api,
                                          grpc::ServerContext* ctx,
                                          modal::client::SandboxGetTaskIdRequest const& req,
                                          modal::client::SandboxGetTaskIdResponse* resp) {
  CallScope scope(core_, ctx, rpc, Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto found = get_sandbox(req.sandbox_id(), api);
  if (!found.ok()) return to_grpc(found.status());
  auto const& rec = *found;
  if (req.wait_until_ready()) {
    auto const deadline = long_poll_deadline(req.has_timeout() ? req.timeout() : 55.0f);
    rec->wait_until_ready(deadline, [ctx] { return ctx->IsCancelled(); });
  }
  // A finished Sandbox's task id comes beside its result: npm modal 0.11 takes the id
  // when there is one and reads a finished V2 Sandbox's output through it (Modal's Go SDK
  // and this SDK's exec see the result first and refuse).
  if (auto r = rec->result()) *resp->mutable_task_result() = *r;
  resp->set_task_id(rec->task_id);
  return grpc::Status::OK;
}

grpc::Status SandboxHandlers::SandboxWait(grpc::ServerContext* ctx,
                                          modal::client::SandboxWaitRequest const* req,
                                          modal::client::SandboxWaitResponse* resp) {
  return wait("SandboxWait", SandboxApi::kV1, ctx, *req, resp);
}

grpc::Status SandboxHandlers::SandboxWaitV2(grpc::ServerContext* ctx,
                                            modal::client::SandboxWaitRequest const* req,
                                            modal::client::SandboxWaitResponse* resp) {
  return wait("SandboxWaitV2", SandboxApi::kV2, ctx, *req, resp);
}

grpc::Status SandboxHandlers::wait(std::string_view rpc, SandboxApi api, grpc::ServerContext* ctx,
                                   modal::client::SandboxWaitRequest const& req,
                                   modal::client::SandboxWaitResponse* resp) {
  CallScope scope(core_, ctx, rpc, Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto found = get_sandbox(req.sandbox_id(), api);
  if (!found.ok()) return to_grpc(found.status());
  auto const& rec = *found;
  auto result = rec->wait(long_poll_deadline(req.timeout()), [ctx] { return ctx->IsCancelled(); });
  if (result.has_value()) *resp->mutable_result() = *result;
  fill_metadata(*rec, resp->mutable_metadata());
  return grpc::Status::OK;
}

grpc::Status SandboxHandlers::SandboxTerminate(grpc::ServerContext* ctx,
                                               modal::client::SandboxTerminateRequest const* req,
                                               modal::client::SandboxTerminateResponse* resp) {
  return terminate("SandboxTerminate", SandboxApi::kV1, ctx, *req, resp);
}

grpc::Status SandboxHandlers::SandboxTerminateV2(grpc::ServerContext* ctx,
                                                 modal::client::SandboxTerminateRequest const* req,
                                                 modal::client::SandboxTerminateResponse* resp) {
  return terminate("SandboxTerminateV2", SandboxApi::kV2, ctx, *req, resp);
}

grpc::Status SandboxHandlers::terminate(std::string_view rpc, SandboxApi api,
                                        grpc::ServerContext* ctx,
                                        modal::client::SandboxTerminateRequest const& req,
                                        modal::client::SandboxTerminateResponse* resp) {
  CallScope scope(core_, ctx, rpc, Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto found = get_sandbox(req.sandbox_id(), api);
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
  auto found = get_sandbox(req->sandbox_id(), SandboxApi::kV1);
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
