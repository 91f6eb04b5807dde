// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// TaskExecStart, TaskExecStdioRead, TaskExecStdinWrite, TaskExecStdinWriteStream,
// TaskExecStdinStatus, TaskExecWait, TaskExecPoll: commands run in a sandbox through the
// task command router.
#include "router/router.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "control/secret_sources.h"
#include "router/exec_registry.h"
#include "runtime/sandbox.h"
#include "server/call_scope.h"
#include "server/status.h"
#include "store/sandbox_registry.h"

namespace modal::emulator {
namespace {

namespace tcr = modal::task_command_router;
using Clock = std::chrono::steady_clock;

/// Largest TaskExecStdioRead payload: large enough for ~GiB/s with few messages, and the
/// whole message stays within gRPC's default 4 MiB receive limit for clients that keep it.
constexpr std::size_t kMaxStdioChunk = (std::size_t{4} << 20) - 1024;
/// Blocking waits are cut into slices this long to notice cancellation and shutdown.
constexpr auto kSlice = std::chrono::milliseconds(100);
/// Bound on bytes an exec's output buffers ahead of what TaskExecStdioRead has sent
/// before the process is paused (back-pressure).
constexpr std::size_t kOutputCapacity = std::size_t{8} << 20;
/// Output sent but not confirmed by the client (a read at a later offset) stays readable
/// this far behind the send position: what may be in flight in socket buffers and HTTP/2
/// windows when a connection drops, so the client can reopen at the offset it really
/// received. Bounded: a client that lost more than this gets OUT_OF_RANGE.
constexpr std::size_t kUnconfirmedWindow = std::size_t{32} << 20;
/// Output nobody has read yet goes to disk (the emulator's state directory) beyond the
/// in-memory bound, up to this much per stream, before the process is paused: Modal's Go
/// and JS SDKs wait for a command's exit before reading its output (the filesystem tool's
/// ReadFile sends up to 5 GiB that way), so a paused process would never exit.
constexpr std::uint64_t kOutputSpillLimit = std::uint64_t{6} << 30;

grpc::Status exec_not_found(std::string const& task_id, std::string const& exec_id) {
  return grpc::Status(grpc::StatusCode::NOT_FOUND,
                      absl::StrCat("Exec '", exec_id, "' not found in task '", task_id, "'"));
}

template <typename Resp>
void set_exit_status(runtime::ExitStatus const& st, Resp* resp) {
  if (st.signal != 0) {
    resp->set_signal(st.signal);
  } else {
    resp->set_code(st.code);
  }
}

}  // namespace

// ---- TaskExecStart ----

namespace {

grpc::Status validate_start(tcr::TaskExecStartRequest const& req) {
  if (req.exec_id().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "exec_id is required");
  }
  if (req.command_args().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "command_args must not be empty");
  }
  return grpc::Status::OK;
}

/// The exec's environment: Secrets in order, then the request's variables, then
/// `secret_sources` in order (what npm modal 0.11.x sends instead of the first two).
absl::StatusOr<std::map<std::string, std::string>> exec_environment(
    Core& core, tcr::TaskExecStartRequest const& req) {
  std::map<std::string, std::string> env;
  for (auto const& id : req.secret_ids()) {
    auto secret = core.secrets().get(id);
    if (!secret.ok()) return secret.status();
    for (auto const& [k, v] : secret->env) env[k] = v;
  }
  for (auto const& [k, v] : req.env()) env[k] = v;
  if (auto status = apply_secret_sources(core, req.secret_sources(), env); !status.ok()) {
    return status;
  }
  return env;
}

runtime::ProcessSpec process_spec(tcr::TaskExecStartRequest const& req,
                                  std::map<std::string, std::string> env) {
  runtime::ProcessSpec spec;
  spec.argv.assign(req.command_args().begin(), req.command_args().end());
  spec.env = std::move(env);
  if (req.has_workdir()) spec.workdir = req.workdir();
  if (req.has_pty_info()) spec.pty = pty_options(req.pty_info());
  spec.stdout_mode = req.stdout_config() == tcr::TASK_EXEC_STDOUT_CONFIG_PIPE
                         ? runtime::StdioMode::kPipe
                         : runtime::StdioMode::kDevNull;
  switch (req.stderr_config()) {
    case tcr::TASK_EXEC_STDERR_CONFIG_PIPE:
      spec.stderr_mode = runtime::StdioMode::kPipe;
      break;
    case tcr::TASK_EXEC_STDERR_CONFIG_STDOUT:
      spec.stderr_mode = runtime::StdioMode::kMergeWithStdout;
      break;
    default:
      spec.stderr_mode = runtime::StdioMode::kDevNull;
      break;
  }
  if (req.has_timeout_secs() && req.timeout_secs() > 0) {
    spec.timeout = std::chrono::seconds(req.timeout_secs());
  }
  spec.output_options.capacity = kOutputCapacity + kUnconfirmedWindow;
  spec.output_options.overflow = runtime::OverflowPolicy::kBackPressure;
  spec.output_options.spill_limit = kOutputSpillLimit;
  return spec;
}

/// Where an exec runs: the main container's process tree or a sidecar's (container_id),
/// nullptr when it has finished; `what` names it in errors.
struct ExecTarget {
  std::shared_ptr<runtime::Sandbox> sandbox;
  std::string what;
};

/// The exec's container: "" (or the task id, the main container's id) is the Sandbox's
/// main container, anything else a sidecar of the task (NOT_FOUND when it has none).
absl::StatusOr<ExecTarget> exec_target(SandboxRecord const& rec,
                                       ContainerRegistry const& containers,
                                       std::string const& container_id) {
  if (container_id.empty() || container_id == rec.task_id) {
    auto sb = rec.runtime();
    if (rec.finished()) sb = nullptr;
    return ExecTarget{std::move(sb), absl::StrCat("Sandbox '", rec.id, "'")};
  }
  auto sidecar = containers.find(rec.task_id, container_id);
  if (sidecar == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("Container '", container_id, "' not found in task '", rec.task_id, "'"));
  }
  return ExecTarget{sidecar->runtime(),
                    absl::StrCat("Sidecar container '", sidecar->name, "' (", sidecar->id, ")")};
}

/// Runs `spec` in the target container. As in a container, a command that cannot run is a
/// failed process (exit code 127), not an RPC error.
absl::StatusOr<std::shared_ptr<ExecRecord>> start_exec(std::string const& task_id,
                                                       ExecTarget const& target,
                                                       std::string const& exec_id,
                                                       runtime::ProcessSpec spec) {
  auto const& sb = target.sandbox;
  if (sb == nullptr || sb->finished()) {
    return absl::FailedPreconditionError(
        absl::StrCat(target.what, " has finished; cannot exec in it"));
  }
  std::string const program = spec.argv.front();
  auto process = sb->exec(std::move(spec));
  if (process.ok()) return std::make_shared<ExecRecord>(task_id, exec_id, *std::move(process));
  if (process.status().code() == absl::StatusCode::kNotFound) {
    return std::make_shared<ExecRecord>(
        task_id, exec_id, 127,
        absl::StrCat("exec: \"", program, "\": executable file not found in $PATH\n"));
  }
  return process.status();
}

}  // namespace

grpc::Status Router::TaskExecStart(grpc::ServerContext* ctx, tcr::TaskExecStartRequest const* req,
                                   tcr::TaskExecStartResponse* /*resp*/) {
  CallScope scope(core_, ctx, "TaskExecStart", Plane::kRouter);
  if (auto st = authorize(scope, ctx, req->task_id()); !st.ok()) return st;
  if (auto st = validate_start(*req); !st.ok()) return st;
  auto rec = core_.sandboxes().get_by_task(req->task_id());
  if (!rec.ok()) return to_grpc(rec.status());
  auto target = exec_target(**rec, containers_, req->container_id());
  if (!target.ok()) return to_grpc(target.status());
  auto env = exec_environment(core_, *req);
  if (!env.ok()) return to_grpc(env.status());

  auto started = execs_.get_or_start(req->task_id(), req->exec_id(), [&] {
    return start_exec(req->task_id(), *target, req->exec_id(), process_spec(*req, *std::move(env)));
  });
  if (!started.ok()) return to_grpc(started.status());
  core_.log(absl::StrCat("TaskExecStart: exec ", req->exec_id(), " (", req->command_args(0),
                         ") in task ", req->task_id(),
                         req->container_id().empty() ? "" : " container ", req->container_id()));
  return grpc::Status::OK;
}

// ---- TaskExecStdioRead ----

grpc::Status Router::TaskExecStdioRead(grpc::ServerContext* ctx,
                                       tcr::TaskExecStdioReadRequest const* req,
                                       grpc::ServerWriter<tcr::TaskExecStdioReadResponse>* writer) {
  CallScope scope(core_, ctx, "TaskExecStdioRead", Plane::kRouter);
  if (auto st = authorize(scope, ctx, req->task_id()); !st.ok()) return st;
  auto exec = execs_.find(req->task_id(), req->exec_id());
  if (exec == nullptr) return exec_not_found(req->task_id(), req->exec_id());
  bool const err_stream = req->file_descriptor() == tcr::TASK_EXEC_STDIO_FILE_DESCRIPTOR_STDERR;
  runtime::OutputBuffer& buffer = exec->output(err_stream);

  std::uint64_t offset = req->offset();
  // The client has everything before the offset it asked for; what this stream sent after
  // that is acknowledged only once it is kUnconfirmedWindow behind the send position.
  std::uint64_t const confirmed = offset;
  std::uint64_t const break_every = stdio_break_every();
  std::uint64_t sent = 0;
  tcr::TaskExecStdioReadResponse msg;
  std::string* data = msg.mutable_data();
  data->reserve(kMaxStdioChunk);
  for (;;) {
    if (auto st = stream_interrupted(ctx); !st.ok()) return st;
    std::size_t max = kMaxStdioChunk;
    if (break_every > 0) {
      if (sent >= break_every) {
        return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                            absl::StrCat("injected stdio stream break after ", sent, " bytes"));
      }
      max = static_cast<std::size_t>(std::min<std::uint64_t>(max, break_every - sent));
    }
    data->clear();
    std::uint64_t const keep_from =
        std::max(confirmed, offset > kUnconfirmedWindow ? offset - kUnconfirmedWindow : 0);
    auto r = buffer.read_into_keeping(offset, keep_from, max, data, runtime::Clock::now() + kSlice);
    if (!r.ok()) return to_grpc(r.status());
    if (r->size > 0) {
      offset = r->offset + r->size;
      sent += r->size;
      if (!writer->Write(msg)) return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
    }
    if (r->eof) {
      // The end was sent: the window shrinks to about one message (finished execs stay in
      // the registry, so a full window would be held per stream for good). A drop after
      // this point with more than that in flight still ends in OUT_OF_RANGE on reopen.
      if (offset > confirmed + kMaxStdioChunk) buffer.acknowledge(offset - kMaxStdioChunk);
      return grpc::Status::OK;
    }
  }
}

// ---- stdin ----

namespace {

/// Delivers `data` at `offset` (and EOF) to the exec's stdin, waiting in slices while the
/// process does not read. A retry at the same offset continues where a timed-out attempt
/// stopped; bytes before what was accepted are skipped.
grpc::Status write_stdin(Core& core, grpc::ServerContext const* ctx, ExecRecord const& exec,
                         std::uint64_t offset, std::string_view data, bool eof) {
  for (;;) {
    auto r = exec.input().write(offset, data, eof, runtime::Clock::now() + kSlice);
    if (r.ok()) return grpc::Status::OK;
    if (r.status().code() != absl::StatusCode::kDeadlineExceeded) return to_grpc(r.status());
    if (ctx->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
    if (core.shutting_down()) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the emulator is shutting down");
    }
  }
}

}  // namespace

grpc::Status Router::TaskExecStdinWrite(grpc::ServerContext* ctx,
                                        tcr::TaskExecStdinWriteRequest const* req,
                                        tcr::TaskExecStdinWriteResponse* /*resp*/) {
  CallScope scope(core_, ctx, "TaskExecStdinWrite", Plane::kRouter);
  if (auto st = authorize(scope, ctx, req->task_id()); !st.ok()) return st;
  auto exec = execs_.find(req->task_id(), req->exec_id());
  if (exec == nullptr) return exec_not_found(req->task_id(), req->exec_id());
  return write_stdin(core_, ctx, *exec, req->offset(), req->data(), req->eof());
}

// The stream's bytes go through the same InputSink as TaskExecStdinWrite's, so a resumed
// stream (start.offset = TaskExecStdinStatus.num_bytes_written) continues exactly where
// the broken one stopped, and a start below that offset skips what was already accepted
// (an offset beyond it is a gap: OUT_OF_RANGE). Only `end` closes stdin: a stream that
// breaks or is cancelled leaves it open for the resume. Bytes for a process that has
// exited are accepted and discarded, so a client learns the outcome from TaskExecWait
// (and never sees FAILED_PRECONDITION for a live process).
grpc::Status Router::TaskExecStdinWriteStream(
    grpc::ServerContext* ctx, grpc::ServerReader<tcr::TaskExecStdinWriteStreamRequest>* reader,
    tcr::TaskExecStdinWriteStreamResponse* /*resp*/) {
  CallScope scope(core_, ctx, "TaskExecStdinWriteStream", Plane::kRouter);
  if (!scope.ok()) return scope.status();
  tcr::TaskExecStdinWriteStreamRequest msg;
  if (!reader->Read(&msg)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "the stream carried no start message");
  }
  if (!msg.has_start()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "the first message of a stdin write stream must be `start`");
  }
  auto const start = msg.start();
  if (auto st = authorize(scope, ctx, start.task_id()); !st.ok()) return st;
  auto exec = execs_.find(start.task_id(), start.exec_id());
  if (exec == nullptr) return exec_not_found(start.task_id(), start.exec_id());
  std::uint64_t const generation = exec->evict_stdin_streams();
  std::uint64_t offset = start.offset();
  if (offset > exec->input().status().accepted) {
    return grpc::Status(
        grpc::StatusCode::OUT_OF_RANGE,
        absl::StrCat("stdin offset mismatch: the stream starts at ", offset, " but only ",
                     exec->input().status().accepted, " bytes were written"));
  }
  std::uint64_t const break_every = stdin_stream_break_every();
  std::uint64_t delivered = 0;
  while (reader->Read(&msg)) {
    if (!exec->stdin_stream_current(generation)) {
      return grpc::Status(grpc::StatusCode::CANCELLED,
                          "a newer stdin stream or TaskExecStdinStatus call took over this exec");
    }
    if (!token_still_valid(ctx)) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "Router JWT has expired");
    }
    switch (msg.payload_case()) {
      case tcr::TaskExecStdinWriteStreamRequest::kData: {
        std::string_view data = msg.data();
        bool broken = false;
        if (break_every > 0 && delivered + data.size() >= break_every) {
          data = data.substr(0, static_cast<std::size_t>(break_every - delivered));
          broken = true;
        }
        if (auto st = write_stdin(core_, ctx, *exec, offset, data, false); !st.ok()) return st;
        offset += data.size();
        delivered += data.size();
        if (broken) {
          return grpc::Status(
              grpc::StatusCode::UNAVAILABLE,
              absl::StrCat("injected stdin stream break after ", delivered, " bytes"));
        }
        break;
      }
      case tcr::TaskExecStdinWriteStreamRequest::kEnd:
        if (auto st = write_stdin(core_, ctx, *exec, offset, {}, true); !st.ok()) return st;
        break;
      case tcr::TaskExecStdinWriteStreamRequest::kStart:
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                            "a stdin write stream carries one `start`, as its first message");
      default:
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                            "a stdin write stream message carried no payload");
    }
  }
  if (ctx->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
  return grpc::Status::OK;
}

grpc::Status Router::TaskExecStdinStatus(grpc::ServerContext* ctx,
                                         tcr::TaskExecStdinStatusRequest const* req,
                                         tcr::TaskExecStdinStatusResponse* resp) {
  CallScope scope(core_, ctx, "TaskExecStdinStatus", Plane::kRouter);
  if (auto st = authorize(scope, ctx, req->task_id()); !st.ok()) return st;
  auto exec = execs_.find(req->task_id(), req->exec_id());
  if (exec == nullptr) return exec_not_found(req->task_id(), req->exec_id());
  exec->evict_stdin_streams();  // as upstream: the caller is about to resume
  auto const st = exec->input().status();
  resp->set_num_bytes_written(st.accepted);
  resp->set_closed(st.eof);
  return grpc::Status::OK;
}

// ---- exit status ----

grpc::Status Router::TaskExecWait(grpc::ServerContext* ctx, tcr::TaskExecWaitRequest const* req,
                                  tcr::TaskExecWaitResponse* resp) {
  CallScope scope(core_, ctx, "TaskExecWait", Plane::kRouter);
  if (auto st = authorize(scope, ctx, req->task_id()); !st.ok()) return st;
  auto exec = execs_.find(req->task_id(), req->exec_id());
  if (exec == nullptr) return exec_not_found(req->task_id(), req->exec_id());
  for (;;) {
    if (auto st = exec->wait(runtime::Clock::now() + kSlice)) {
      set_exit_status(*st, resp);
      return grpc::Status::OK;
    }
    if (ctx->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
    if (core_.shutting_down()) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the emulator is shutting down");
    }
  }
}

grpc::Status Router::TaskExecPoll(grpc::ServerContext* ctx, tcr::TaskExecPollRequest const* req,
                                  tcr::TaskExecPollResponse* resp) {
  CallScope scope(core_, ctx, "TaskExecPoll", Plane::kRouter);
  if (auto st = authorize(scope, ctx, req->task_id()); !st.ok()) return st;
  auto exec = execs_.find(req->task_id(), req->exec_id());
  if (exec == nullptr) return exec_not_found(req->task_id(), req->exec_id());
  if (auto st = exec->poll()) set_exit_status(*st, resp);
  return grpc::Status::OK;
}

}  // namespace modal::emulator
