// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "modal/container_process.h"

#include <algorithm>
#include <csignal>

#include "internal/client_state.h"
#include "internal/container_process_state.h"
#include "internal/retry.h"
#include "modal/errors.h"

namespace modal {
namespace internal {
namespace {

namespace tcr = modal::task_command_router;
using Clock = std::chrono::steady_clock;

// TaskExecWait is a long poll; each attempt is bounded so a lost connection is noticed.
constexpr auto kWaitAttemptTimeout = std::chrono::seconds(60);
constexpr auto kWaitMaxDelay = std::chrono::seconds(1);
constexpr int kWaitMaxRetries = 10;

std::chrono::system_clock::time_point to_system(Clock::time_point t) {
  return std::chrono::system_clock::now() +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(t - Clock::now());
}

template <typename Resp>
std::optional<int> exit_code_of(Resp const& resp) {
  switch (resp.exit_status_case()) {
    case Resp::kCode:
      return resp.code();
    case Resp::kSignal:
      return 128 + resp.signal();
    default:
      return std::nullopt;
  }
}

}  // namespace

ContainerProcessState::~ContainerProcessState() {
  // Readers may outlive the handle (copies of StreamReader); their pumps stop with them.
}

void ContainerProcessState::drain_unread(std::weak_ptr<ExecOutput> const& a,
                                         std::weak_ptr<ExecOutput> const& b) {
  if (auto o = a.lock()) o->drain();
  if (auto o = b.lock()) o->drain();
}

ContainerProcess ContainerProcessState::make(std::shared_ptr<RouterClient> router,
                                             std::string exec_id, SandboxExecParams const& params,
                                             ExecDeadline deadline) {
  auto s = std::make_shared<ContainerProcessState>();
  s->router = router;
  s->exec_id = exec_id;
  s->deadline = deadline;
  if (params.stdout_behavior == StdioBehavior::kPipe) {
    s->out = std::make_shared<ExecOutput>(router, exec_id,
                                          tcr::TASK_EXEC_STDIO_FILE_DESCRIPTOR_STDOUT, deadline);
  }
  if (params.stderr_behavior == StdioBehavior::kPipe && !params.pty) {
    s->err = std::make_shared<ExecOutput>(router, exec_id,
                                          tcr::TASK_EXEC_STDIO_FILE_DESCRIPTOR_STDERR, deadline);
  }
  std::weak_ptr<ExecOutput> const wout = s->out;
  std::weak_ptr<ExecOutput> const werr = s->err;
  // A reader blocked on one stream lets the other one be fetched meanwhile.
  if (s->out) s->out->set_stall_hook([werr] { drain_unread(werr, {}); });
  if (s->err) s->err->set_stall_hook([wout] { drain_unread(wout, {}); });
  if (deadline) {
    // A stream that ends after the deadline: killed by the timeout, or finished in time?
    std::weak_ptr<ContainerProcessState> const ws = s;
    auto check = [ws] {
      auto state = ws.lock();
      return state == nullptr || state->killed_by_timeout();
    };
    if (s->out) s->out->set_timeout_check(check);
    if (s->err) s->err->set_timeout_check(check);
  }
  s->stdout_reader.emplace(s->out ? std::unique_ptr<ByteSource>(new ExecOutputSource(s->out))
                                  : std::unique_ptr<ByteSource>(new EmptySource()));
  s->stderr_reader.emplace(s->err ? std::unique_ptr<ByteSource>(new ExecOutputSource(s->err))
                                  : std::unique_ptr<ByteSource>(new EmptySource()));
  s->stdin_writer.emplace(
      std::make_unique<ExecStdinSink>(router, exec_id, [wout, werr] { drain_unread(wout, werr); }));
  return ContainerProcess(std::move(s));
}

bool ContainerProcessState::killed_by_timeout() {
  {
    std::lock_guard lock(mu);
    if (exit_code) return *exit_code == 128 + SIGKILL && timed_out;
  }
  try {
    wait();
    return false;
  } catch (ExecTimeoutError const&) {
    return true;
  }
}

int ContainerProcessState::wait() {
  {
    std::lock_guard lock(mu);
    if (exit_code) {
      if (timed_out) {
        throw ExecTimeoutError("exec " + exec_id + " was killed by its timeout",
                               StatusCode::kDeadlineExceeded, "TaskExecWait");
      }
      return *exit_code;
    }
  }
  auto timeout_error = [this] {
    return ExecTimeoutError("deadline exceeded while waiting for exec " + exec_id,
                            StatusCode::kDeadlineExceeded, "TaskExecWait");
  };
  std::weak_ptr<ExecOutput> const wout = out;
  std::weak_ptr<ExecOutput> const werr = err;
  auto const on_stall = [wout, werr] { drain_unread(wout, werr); };

  tcr::TaskExecWaitRequest req;
  req.set_task_id(router->task_id());
  req.set_exec_id(exec_id);
  auto delay = std::chrono::duration<double, std::milli>(10);
  int retries = 0;
  bool auth_retried = false;
  int attempt = 0;
  bool grace_used = false;
  for (;;) {
    auto attempt_deadline = Clock::now() + kWaitAttemptTimeout;
    if (deadline && Clock::now() >= *deadline) {
      // Past the deadline: the server kills the command about now. Ask once more, briefly,
      // to tell a command that finished in time from one the timeout killed.
      if (grace_used) throw timeout_error();
      grace_used = true;
      attempt_deadline = Clock::now() + ExecOutput::kTimeoutGrace;
    } else if (deadline) {
      attempt_deadline = std::min(attempt_deadline, *deadline);
    }
    auto call = router->new_call();
    auto& ctx = call->context();
    ctx.set_deadline(to_system(attempt_deadline));
    tcr::TaskExecWaitResponse resp;
    auto const start = Clock::now();
    auto status = await_unary(
        [&](std::function<void(grpc::Status)> done) {
          router->stub().async()->TaskExecWait(&ctx, &req, &resp, std::move(done));
        },
        on_stall);
    router->observe("TaskExecWait", status, Clock::now() - start, attempt++);
    if (status.ok()) {
      auto code = exit_code_of(resp);
      if (!code)
        throw InvalidError("TaskExecWait returned no exit status", StatusCode::kInternal,
                           "TaskExecWait");
      // Killed by the exec timeout: the server kills no earlier than our deadline.
      bool const killed = deadline && Clock::now() >= *deadline &&
                          resp.exit_status_case() == tcr::TaskExecWaitResponse::kSignal &&
                          resp.signal() == SIGKILL;
      {
        std::lock_guard lock(mu);
        exit_code = *code;
        timed_out = killed;
      }
      if (killed) throw timeout_error();
      return *code;
    }
    auto const err_code = status.error_code();
    if (err_code == grpc::StatusCode::UNAUTHENTICATED && !auth_retried) {
      router->refresh_after(call->generation());
      auth_retried = true;
      continue;
    }
    auth_retried = false;
    if (router->closed() && err_code == grpc::StatusCode::CANCELLED) {
      router->throw_error(status, "TaskExecWait");
    }
    router->client().throw_if_closed();
    if (err_code == grpc::StatusCode::DEADLINE_EXCEEDED && Clock::now() >= attempt_deadline) {
      continue;  // the long poll ran its course (or the exec deadline came): ask again
    }
    if (deadline && Clock::now() >= *deadline && grace_used) throw timeout_error();
    if (!is_retryable(err_code) || retries >= kWaitMaxRetries) {
      router->throw_error(status, "TaskExecWait");
    }
    auto sleep = std::min<Clock::duration>(std::chrono::duration_cast<Clock::duration>(delay),
                                           kWaitMaxDelay);
    if (deadline) sleep = std::min<Clock::duration>(sleep, *deadline - Clock::now());
    if (sleep.count() > 0 && !router->sleep_for(sleep)) {
      throw ClientClosedError("Unable to perform operation on a detached sandbox");
    }
    delay *= 2;
    ++retries;
  }
}

std::optional<int> ContainerProcessState::poll() {
  {
    std::lock_guard lock(mu);
    if (exit_code) return exit_code;
  }
  tcr::TaskExecPollRequest req;
  req.set_task_id(router->task_id());
  req.set_exec_id(exec_id);
  auto resp = router->call("TaskExecPoll", &RouterStub::TaskExecPoll, req);
  auto code = exit_code_of(resp);
  if (code) {
    std::lock_guard lock(mu);
    exit_code = *code;
    timed_out = deadline && Clock::now() >= *deadline &&
                resp.exit_status_case() == tcr::TaskExecPollResponse::kSignal &&
                resp.signal() == SIGKILL;
  }
  return code;
}

}  // namespace internal

StreamReader ContainerProcess::stdout_stream() const { return *state_->stdout_reader; }

StreamReader ContainerProcess::stderr_stream() const { return *state_->stderr_reader; }

StreamWriter ContainerProcess::stdin_stream() const { return *state_->stdin_writer; }

int ContainerProcess::wait() const { return state_->wait(); }

std::optional<int> ContainerProcess::poll() const { return state_->poll(); }

std::string const& ContainerProcess::exec_id() const { return state_->exec_id; }

}  // namespace modal
