// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_RUNTIME_TYPES_H
#define MODAL_EMULATOR_RUNTIME_TYPES_H

#include <chrono>

/// Process runtime of modal-emulator: sandboxes and execs as real local processes.
/// gRPC-free; the sandbox and exec services are built on top of it. Linux only.
namespace modal::emulator::runtime {

using Clock = std::chrono::steady_clock;
/// Absolute point in time on the steady clock; kNoDeadline waits forever.
using Deadline = Clock::time_point;
inline constexpr Deadline kNoDeadline = Deadline::max();

/// now + `timeout`, saturating at kNoDeadline.
Deadline deadline_after(std::chrono::nanoseconds timeout);

/// How a process ended.
struct ExitStatus {
  /// Exit code when the process exited normally (signal == 0). -1 when the status is
  /// unknown (the child was reaped by someone else's waitpid(-1)).
  int code = 0;
  /// Terminating signal number, 0 when the process exited normally.
  int signal = 0;
  /// The runtime killed the process because its timeout expired (signal is then 9).
  bool timed_out = false;

  /// Shell convention (what clients see): `code`, or 128 + `signal`.
  int exit_code() const { return signal != 0 ? 128 + signal : code; }
  bool success() const { return signal == 0 && code == 0; }
};

/// Converts a waitpid() status word.
ExitStatus exit_status_from_wait_status(int wait_status);

}  // namespace modal::emulator::runtime

#endif  // MODAL_EMULATOR_RUNTIME_TYPES_H
