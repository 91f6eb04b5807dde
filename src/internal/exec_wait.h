// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_EXEC_WAIT_H
#define MODAL_INTERNAL_EXEC_WAIT_H

#include <chrono>
#include <optional>
#include <string>

#include "internal/exec_channel.h"
#include "internal/exec_stdio.h"

namespace modal::internal {

/// How an exec ended.
struct ExecExit {
  /// The exit code, or 128 + the signal number.
  int code = 0;
  /// Killed (SIGKILL) at or after its deadline: by the exec timeout.
  bool killed_by_timeout = false;
};

/// Each TaskExecWait long poll is bounded so that a lost connection is noticed.
inline constexpr auto kExecWaitAttemptTimeout = std::chrono::seconds(60);

/**
 * Waits for exec `exec_id` to end: TaskExecWait long polls (≤ kExecWaitAttemptTimeout
 * each, reissued when they run their course) under the router policy with the backoff
 * capped at 1 s. Past `deadline`, one more short poll (ExecOutput::kTimeoutGrace) tells
 * a command that finished in time from one its timeout killed. With
 * `control.deadline`, gives up then and returns nullopt.
 *
 * @throws ExecTimeoutError if the exec deadline passed without an answer,
 *   ClientClosedError / CancelledError as run_call(), modal::Error for other failures.
 */
std::optional<ExecExit> wait_for_exit(ExecChannel& channel, std::string const& exec_id,
                                      ExecDeadline deadline, StallHook const& on_stall,
                                      CallControl const& control = {});

/// One TaskExecPoll: how the exec ended, or nullopt while it runs. @throws modal::Error.
std::optional<ExecExit> poll_exit(ExecChannel& channel, std::string const& exec_id,
                                  ExecDeadline deadline);

}  // namespace modal::internal

#endif  // MODAL_INTERNAL_EXEC_WAIT_H
