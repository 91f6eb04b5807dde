// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "internal/exec_wait.h"

#include <algorithm>
#include <csignal>

#include "internal/rpc.h"
#include "internal/status.h"
#include "modal/errors.h"

namespace modal::internal {
namespace {

constexpr auto kWaitMaxDelay = std::chrono::seconds(1);

template <typename Resp>
std::optional<ExecExit> exit_of(Resp const& resp, ExecDeadline deadline, Clock::time_point now) {
  switch (resp.exit_status_case()) {
    case Resp::kCode:
      return ExecExit{resp.code(), false};
    case Resp::kSignal:
      // The server kills no earlier than our deadline, so a SIGKILL at or after it is
      // the exec timeout's.
      return ExecExit{128 + static_cast<int>(resp.signal()),
                      deadline && now >= *deadline && resp.signal() == SIGKILL};
    default:
      return std::nullopt;
  }
}

ExecTimeoutError wait_timeout(std::string const& exec_id) {
  return ExecTimeoutError("exec " + exec_id + " exceeded its timeout: no exit status within " +
                              std::to_string(ExecOutput::kTimeoutGrace.count()) + " s after it",
                          StatusCode::kDeadlineExceeded, std::string(rpc::TaskExecWait.name));
}

}  // namespace

std::optional<ExecExit> wait_for_exit(ExecChannel& channel, std::string const& exec_id,
                                      ExecDeadline deadline, StallHook const& on_stall,
                                      CallControl const& control) {
  tcr::TaskExecWaitRequest req;
  req.set_task_id(channel.task_id());
  req.set_exec_id(exec_id);
  auto policy = RetryPolicy::router();
  policy.max_delay = kWaitMaxDelay;
  auto& timer = channel.timer();
  bool grace_used = false;
  tcr::TaskExecWaitResponse resp;
  auto status = run_call(channel, rpc::TaskExecWait.name, policy, control, [&](Attempt& attempt) {
    auto const now = timer.now();
    auto attempt_deadline = now + kExecWaitAttemptTimeout;
    if (deadline && now >= *deadline) {
      // Past the deadline the server kills the command about now: ask once more, briefly.
      if (grace_used) throw wait_timeout(exec_id);
      grace_used = true;
      attempt_deadline = now + ExecOutput::kTimeoutGrace;
    } else if (deadline) {
      attempt_deadline = std::min(attempt_deadline, *deadline);
    }
    if (control.deadline) attempt_deadline = std::min(attempt_deadline, *control.deadline);
    auto& ctx = attempt.context();
    ctx.set_deadline(to_system_time(attempt_deadline));
    resp.Clear();
    auto s = channel.exec_wait(ctx, req, &resp, on_stall);
    if (s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED && timer.now() >= attempt_deadline) {
      attempt.again();  // the long poll ran its course (or the exec deadline came): ask again
    }
    return s;
  });
  if (!status.ok()) {
    if (deadline && timer.now() >= *deadline) throw wait_timeout(exec_id);
    if (control.expired(timer.now())) return std::nullopt;
    throw_rpc_error(status, rpc::TaskExecWait.name);
  }
  auto exit = exit_of(resp, deadline, timer.now());
  if (!exit) {
    throw InvalidError("TaskExecWait returned no exit status", StatusCode::kInternal,
                       std::string(rpc::TaskExecWait.name));
  }
  return *exit;
}

std::optional<ExecExit> poll_exit(ExecChannel& channel, std::string const& exec_id,
                                  ExecDeadline deadline) {
  tcr::TaskExecPollRequest req;
  req.set_task_id(channel.task_id());
  req.set_exec_id(exec_id);
  tcr::TaskExecPollResponse resp;
  auto status =
      run_call(channel, rpc::TaskExecPoll.name, RetryPolicy::router(), {}, [&](Attempt& attempt) {
        resp.Clear();
        return channel.exec_poll(attempt.context(), req, &resp);
      });
  if (!status.ok()) throw_rpc_error(status, rpc::TaskExecPoll.name);
  return exit_of(resp, deadline, channel.timer().now());
}

}  // namespace modal::internal
