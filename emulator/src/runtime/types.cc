// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "runtime/types.h"

#include <sys/wait.h>

namespace modal::emulator::runtime {

Deadline deadline_after(std::chrono::nanoseconds timeout) {
  Deadline const now = Clock::now();
  if (timeout <= std::chrono::nanoseconds::zero()) return now;
  if (timeout >= kNoDeadline - now) return kNoDeadline;
  return now + std::chrono::duration_cast<Clock::duration>(timeout);
}

ExitStatus exit_status_from_wait_status(int wait_status) {
  ExitStatus status;
  if (WIFEXITED(wait_status)) {
    status.code = WEXITSTATUS(wait_status);
  } else if (WIFSIGNALED(wait_status)) {
    status.signal = WTERMSIG(wait_status);
  } else {
    status.code = -1;
  }
  return status;
}

}  // namespace modal::emulator::runtime
