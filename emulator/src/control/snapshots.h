// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_CONTROL_SNAPSHOTS_H
#define MODAL_EMULATOR_SRC_CONTROL_SNAPSHOTS_H

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "control/handlers.h"

namespace modal::emulator {

class Core;
class SandboxRecord;

/**
 * Freezes the file system of a running Sandbox into a new image: a layer holding what it
 * changed (runtime::Sandbox::snapshot_to_layer) on top of its image's layers, with its
 * image's config. What SandboxSnapshotFs and the router's TaskSnapshotFilesystem do.
 * `snapshot_id` makes it idempotent ("" = always a new image). FAILED_PRECONDITION when
 * the Sandbox has finished or is not isolated.
 */
absl::StatusOr<std::string> snapshot_filesystem(Core& core, SandboxRecord const& rec,
                                                std::string const& snapshot_id);

/**
 * Copies the directory `path` of a running Sandbox, as it sees it, into a new image of one
 * layer whose root is that directory (runtime::Sandbox::snapshot_directory_to_layer): what
 * the router's TaskSnapshotDirectory does, for mount_directory() elsewhere. `snapshot_id`
 * as for snapshot_filesystem().
 */
absl::StatusOr<std::string> snapshot_directory(Core& core, SandboxRecord const& rec,
                                               std::string const& path,
                                               std::string const& snapshot_id);

/// The layers of image `image_id` ("" = none: an empty directory) for a mount; NOT_FOUND
/// for an unknown image, FAILED_PRECONDITION for one that has not been built.
absl::StatusOr<std::vector<std::string>> layers_to_mount(Core& core, std::string const& image_id);

/// SandboxSnapshotFs (control plane; what the JS SDK 0.10 calls).
class SnapshotHandlers : public DomainHandlers {
 public:
  using DomainHandlers::DomainHandlers;

  MODAL_EMULATOR_UNARY_RPC(SandboxSnapshotFs);
  /// Memory snapshots (Python's _experimental_snapshot, the Go SDK's V1 path): refused
  /// with FAILED_PRECONDITION and the reason (criu_status()); no snapshot ever exists, so
  /// SandboxSnapshotWait, SandboxSnapshotGet, SandboxRestore and SandboxRestoreV2 answer
  /// NOT_FOUND. (V2 Sandboxes ask the router: TaskSnapshotMemory, router/snapshot.cc.)
  MODAL_EMULATOR_UNARY_RPC(SandboxSnapshot);
  MODAL_EMULATOR_UNARY_RPC(SandboxSnapshotWait);
  MODAL_EMULATOR_UNARY_RPC(SandboxSnapshotGet);
  MODAL_EMULATOR_UNARY_RPC(SandboxRestore);
  MODAL_EMULATOR_UNARY_RPC(SandboxRestoreV2);
};

/// The answer to a memory snapshot of `rec` (SandboxSnapshot, and the router's
/// TaskSnapshotMemory for V2 Sandboxes): FAILED_PRECONDITION, because the Sandbox was not
/// created with enable_snapshot, has finished, or (always, otherwise) the emulator takes
/// none, saying why (criu_status()).
grpc::Status refuse_memory_snapshot(Core& core, SandboxRecord const& rec);

/// Why the emulator takes no memory snapshots on this machine: whether CRIU is installed
/// and what `criu check` says (run once, on first use). A memory snapshot would need it.
std::string criu_status(Core& core);

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_CONTROL_SNAPSHOTS_H
