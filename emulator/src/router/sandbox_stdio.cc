// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// SandboxStdioReadV2 and SandboxStdinWriteV2: a V2 Sandbox's entrypoint stdio, which V2
// clients reach through the task command router instead of the control plane
// (SandboxGetLogs / SandboxStdinWrite).
//
// Reads address the entrypoint's output by byte offset in the same retained buffers as
// SandboxGetLogs (the newest 16 MiB of each stream): reading consumes nothing, and a read
// at an offset that fell out of the window starts at the oldest retained byte, which the
// message's starting_offset says (clients report the dropped bytes). Writes address stdin
// by byte offset: a retried write skips what was accepted, a gap is OUT_OF_RANGE.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "control/sandboxes.h"
#include "router/router.h"
#include "runtime/sandbox.h"
#include "server/call_scope.h"
#include "server/status.h"
#include "store/sandbox_registry.h"

namespace modal::emulator {
namespace {

namespace tcr = modal::task_command_router;

/// Largest SandboxStdioReadV2 payload.
constexpr std::size_t kMaxChunk = std::size_t{1} << 20;
/// Blocking waits are cut into slices this long to notice cancellation and shutdown.
constexpr auto kSlice = std::chrono::milliseconds(100);
/// How long one SandboxStdinWriteV2 waits for an entrypoint that does not read.
constexpr auto kStdinWriteWait = std::chrono::seconds(20);

grpc::Status task_not_found(std::string const& task_id) {
  return grpc::Status(grpc::StatusCode::NOT_FOUND, absl::StrCat("Task '", task_id, "' not found"));
}

}  // namespace

grpc::Status Router::SandboxStdioReadV2(
    grpc::ServerContext* ctx, tcr::SandboxStdioReadV2Request const* req,
    grpc::ServerWriter<tcr::SandboxStdioReadV2Response>* writer) {
  CallScope scope(core_, ctx, "SandboxStdioReadV2", Plane::kRouter);
  if (auto st = authorize(scope, ctx, req->task_id()); !st.ok()) return st;
  auto const fd = req->file_descriptor();
  if (fd != tcr::SANDBOX_STDIO_FILE_DESCRIPTOR_STDOUT &&
      fd != tcr::SANDBOX_STDIO_FILE_DESCRIPTOR_STDERR) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("unsupported file_descriptor ", static_cast<int>(fd)));
  }
  auto rec = core_.sandboxes().find_by_task(req->task_id());
  if (rec == nullptr) return task_not_found(req->task_id());
  auto const buffer = rec->log_buffer(fd == tcr::SANDBOX_STDIO_FILE_DESCRIPTOR_STDERR);

  std::uint64_t offset = req->offset();
  tcr::SandboxStdioReadV2Response msg;
  std::string* data = msg.mutable_data();
  for (;;) {
    if (auto st = stream_interrupted(ctx); !st.ok()) return st;
    data->clear();
    auto r = buffer->read_into(offset, kMaxChunk, data, runtime::Clock::now() + kSlice);
    if (!r.ok()) return to_grpc(r.status());
    if (r->size > 0) {
      msg.set_starting_offset(r->offset);
      offset = r->offset + r->size;
      if (!writer->Write(msg)) return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
    }
    if (r->eof) return grpc::Status::OK;
  }
}

grpc::Status Router::SandboxStdinWriteV2(grpc::ServerContext* ctx,
                                         tcr::SandboxStdinWriteV2Request const* req,
                                         tcr::SandboxStdinWriteV2Response* /*resp*/) {
  CallScope scope(core_, ctx, "SandboxStdinWriteV2", Plane::kRouter);
  if (auto st = authorize(scope, ctx, req->task_id()); !st.ok()) return st;
  auto rec = core_.sandboxes().find_by_task(req->task_id());
  if (rec == nullptr) return task_not_found(req->task_id());
  auto sb = rec->runtime();
  // As SandboxStdinWrite: refused once terminated; discarded once the entrypoint exited on
  // its own (a pipe whose reader has gone), so write-close-wait never races the exit.
  auto const gone = [&] {
    return exited_on_its_own(*rec) ? grpc::Status::OK
                                   : grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                                                  "Sandbox has already terminated");
  };
  if (rec->finished() || sb == nullptr) return gone();
  auto const deadline = runtime::Clock::now() + kStdinWriteWait;
  for (;;) {
    auto st = sb->write_stdin_at(req->offset(), req->data(), req->eof(),
                                 std::min(deadline, runtime::Clock::now() + kSlice));
    if (st.ok()) return grpc::Status::OK;
    if (rec->finished()) return gone();
    if (st.code() != absl::StatusCode::kDeadlineExceeded || runtime::Clock::now() >= deadline) {
      return to_grpc(st);
    }
    if (ctx->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
    if (core_.shutting_down()) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the emulator is shutting down");
    }
  }
}

}  // namespace modal::emulator
