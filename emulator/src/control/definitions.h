// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_CONTROL_DEFINITIONS_H
#define MODAL_EMULATOR_SRC_CONTROL_DEFINITIONS_H

// What a Sandbox's definition (control/sandbox_create.cc) and a sidecar's
// (router/containers.cc) are checked and resolved with alike: object names, mount paths
// and Volume mounts.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "modal_proto/api.pb.h"
#include "runtime/sandbox.h"

namespace modal::emulator {

class Core;

/// A Modal object name: 1 to 64 characters of [A-Za-z0-9._-] (Sandbox and sidecar names).
bool valid_object_name(std::string_view name);

/// A mount path as the key of a mount: lexically normal, no trailing '/'.
std::string mount_key(std::string const& path);

/// A Volume mount, resolved: a bind mount of the Volume's directory (or of its sub_path,
/// resolved inside it) at mount_key(mount_path). NOT_FOUND for an unknown Volume,
/// INVALID_ARGUMENT "Volume <id>: ..." when the sub_path leads out of it.
absl::StatusOr<runtime::VolumeMount> resolve_volume_mount(Core& core,
                                                          modal::client::VolumeMount const& m);

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_CONTROL_DEFINITIONS_H
