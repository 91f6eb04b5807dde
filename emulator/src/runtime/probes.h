// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_RUNTIME_PROBES_H
#define MODAL_EMULATOR_RUNTIME_PROBES_H

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/sandbox.h"
#include "runtime/types.h"

namespace modal::emulator::runtime {

/// TCP readiness probe: whether a connection to 127.0.0.1:`port` succeeds within
/// `timeout` (sandboxes share the host network).
bool tcp_port_open(int port, std::chrono::milliseconds timeout = std::chrono::milliseconds(200));

/// Exec readiness probe: runs `argv` in the sandbox (output discarded) and returns
/// whether it exited 0 before `deadline` (it is killed at the deadline → false).
/// Errors are those of Sandbox::exec (e.g. FAILED_PRECONDITION once finished).
absl::StatusOr<bool> run_exec_probe(Sandbox& sandbox, std::vector<std::string> argv,
                                    Deadline deadline);

}  // namespace modal::emulator::runtime

#endif  // MODAL_EMULATOR_RUNTIME_PROBES_H
