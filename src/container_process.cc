// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "modal/container_process.h"

#include <algorithm>
#include <csignal>

#include "internal/container_process_state.h"
#include "internal/exec_wait.h"
#include "modal/errors.h"

namespace modal {
namespace internal {

ContainerProcessState::~ContainerProcessState() {
  // Readers may outlive the handle (copies of StreamReader); their pumps stop with them.
}

void ContainerProcessState::drain_unread(std::weak_ptr<ExecOutput> const& a,
                                         std::weak_ptr<ExecOutput> const& b) {
  if (auto o = a.lock()) o->drain();
  if (auto o = b.lock()) o->drain();
}

ContainerProcess ContainerProcessState::make(std::shared_ptr<ExecChannel> channel,
                                             std::string exec_id, SandboxExecParams const& params,
                                             ExecDeadline deadline) {
  auto s = std::make_shared<ContainerProcessState>();
  s->channel = channel;
  s->exec_id = exec_id;
  s->deadline = deadline;
  if (params.timeout) {
    s->timeout = std::chrono::duration_cast<std::chrono::seconds>(*params.timeout);
  }
  if (params.stdout_behavior == StdioBehavior::kPipe) {
    s->out = std::make_shared<ExecOutput>(
        channel, exec_id, tcr::TASK_EXEC_STDIO_FILE_DESCRIPTOR_STDOUT, deadline, s->timeout);
  }
  if (params.stderr_behavior == StdioBehavior::kPipe && !params.pty) {
    s->err = std::make_shared<ExecOutput>(
        channel, exec_id, tcr::TASK_EXEC_STDIO_FILE_DESCRIPTOR_STDERR, deadline, s->timeout);
  }
  std::weak_ptr<ExecOutput> const wout = s->out;
  std::weak_ptr<ExecOutput> const werr = s->err;
  // A reader blocked on one stream lets the other one be fetched meanwhile.
  if (s->out) s->out->set_stall_hook([werr] { drain_unread(werr, {}); });
  if (s->err) s->err->set_stall_hook([wout] { drain_unread(wout, {}); });
  s->stdout_reader.emplace(s->out ? std::unique_ptr<ByteSource>(new ExecOutputSource(s->out))
                                  : std::unique_ptr<ByteSource>(new EmptySource()));
  s->stderr_reader.emplace(s->err ? std::unique_ptr<ByteSource>(new ExecOutputSource(s->err))
                                  : std::unique_ptr<ByteSource>(new EmptySource()));
  s->stdin_writer.emplace(std::make_unique<ExecStdinSink>(
      channel, exec_id, [wout, werr] { drain_unread(wout, werr); }));
  return ContainerProcess(std::move(s));
}

ExecTimeoutError ContainerProcessState::timeout_error() const {
  return ExecTimeoutError("exec " + exec_id + " exceeded its " + std::to_string(timeout.count()) +
                              " s timeout and was killed",
                          StatusCode::kDeadlineExceeded, "TaskExecWait");
}

std::optional<int> ContainerProcessState::known_exit() {
  std::lock_guard lock(mu);
  if (exit_code && timed_out) throw timeout_error();
  return exit_code;
}

int ContainerProcessState::record(ExecExit const& exit) {
  {
    std::lock_guard lock(mu);
    exit_code = exit.code;
    timed_out = exit.killed_by_timeout;
  }
  if (exit.killed_by_timeout) throw timeout_error();
  return exit.code;
}

std::optional<int> ContainerProcessState::wait(std::optional<Clock::duration> timeout) {
  if (auto code = known_exit()) return code;
  CallControl control;
  if (timeout) control.deadline = channel->timer().now() + *timeout;
  std::weak_ptr<ExecOutput> const wout = out;
  std::weak_ptr<ExecOutput> const werr = err;
  auto const exit = wait_for_exit(
      *channel, exec_id, deadline, [wout, werr] { drain_unread(wout, werr); }, control);
  if (!exit) return std::nullopt;  // `timeout` expired first
  return record(*exit);
}

std::optional<int> ContainerProcessState::poll() {
  {
    std::lock_guard lock(mu);
    if (exit_code) return exit_code;
  }
  auto const exit = poll_exit(*channel, exec_id, deadline);
  if (!exit) return std::nullopt;
  std::lock_guard lock(mu);
  exit_code = exit->code;
  timed_out = exit->killed_by_timeout;
  return exit_code;
}

}  // namespace internal

StreamReader ContainerProcess::stdout_stream() const { return *state_->stdout_reader; }

StreamReader ContainerProcess::stderr_stream() const { return *state_->stderr_reader; }

StreamWriter ContainerProcess::stdin_stream() const { return *state_->stdin_writer; }

int ContainerProcess::wait() const { return *state_->wait(std::nullopt); }

std::optional<int> ContainerProcess::wait_for(std::chrono::milliseconds timeout) const {
  if (timeout.count() < 0) {
    throw InvalidError("wait_for timeout must not be negative, got " +
                       std::to_string(timeout.count()) + " ms");
  }
  return state_->wait(timeout);
}

std::optional<int> ContainerProcess::poll() const { return state_->poll(); }

std::string const& ContainerProcess::exec_id() const { return state_->exec_id; }

}  // namespace modal
