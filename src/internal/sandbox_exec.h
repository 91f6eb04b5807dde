// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_SANDBOX_EXEC_H
#define MODAL_INTERNAL_SANDBOX_EXEC_H

#include <string>
#include <vector>

#include "modal/container_process.h"
#include "modal_proto/api.pb.h"

namespace modal::internal {

struct SandboxState;

/// Sandbox::exec in one of the Sandbox's containers: "" is the main container, anything
/// else a sidecar's id (TaskExecStartRequest.container_id). Implemented in
/// src/sandbox_exec.cc. @throws InvalidError for bad arguments, before anything is sent.
ContainerProcess exec_in_container(SandboxState& s, std::vector<std::string> argv,
                                   SandboxExecParams const& params,
                                   std::string const& container_id);
/// @throws InvalidError if the arguments total more than 65536 bytes.
void validate_command_bytes(std::vector<std::string> const& argv);
/// The PTY settings of `pty = true` (execs, Sandboxes, sidecars).
modal::client::PTYInfo default_pty_info();

}  // namespace modal::internal

#endif  // MODAL_INTERNAL_SANDBOX_EXEC_H
