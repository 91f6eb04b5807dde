// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_ROUTER_CONTAINER_REGISTRY_H
#define MODAL_EMULATOR_SRC_ROUTER_CONTAINER_REGISTRY_H

// Sidecar containers (TaskContainerCreate and friends, router/containers.cc). A sidecar is
// a second process tree of a Sandbox's task: a runtime::Sandbox of its own (its own image
// root file system, mount, PID, IPC and UTS namespaces, workdir, environment and exit
// status) that shares the main container's network (its network namespace when the
// Sandbox has one, else the host's network as the main container does). It is killed
// when the Sandbox finishes. The main container is listed as "main" with the task id as
// its container id.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "modal_proto/api.pb.h"
#include "runtime/sandbox.h"
#include "runtime/types.h"

namespace modal::emulator {

/// Reserved name of a Sandbox's main container.
inline constexpr std::string_view kMainContainerName = "main";

/// One sidecar. The const members never change; the rest is thread-safe.
class SidecarRecord {
 public:
  std::string const id;  // ctr-...
  std::string const name;
  std::string const task_id;
  std::string const image_id;

  /// A started sidecar.
  SidecarRecord(std::string id, std::string name, std::string task_id, std::string image_id,
                std::shared_ptr<runtime::Sandbox> sandbox);
  /// One whose command could not start: finished from the start with `failed`.
  SidecarRecord(std::string id, std::string name, std::string task_id, std::string image_id,
                modal::client::GenericResult failed);

  /// The process tree; nullptr when it never started.
  std::shared_ptr<runtime::Sandbox> const& runtime() const { return sandbox_; }
  /// Its result once finished: SUCCESS / FAILURE with the exit code, TERMINATED (137) when
  /// it was terminated or its Sandbox finished.
  std::optional<modal::client::GenericResult> result() const;
  bool finished() const { return result().has_value(); }
  /// result(), waiting until `deadline`.
  std::optional<modal::client::GenericResult> wait(runtime::Deadline deadline) const;
  /// Kills it (a no-op once finished).
  void terminate() const;

 private:
  std::shared_ptr<runtime::Sandbox> const sandbox_;
  std::optional<modal::client::GenericResult> const failed_;
};

/**
 * The sidecars of every task, in creation order. A name belongs to at most one running
 * sidecar of a task; a finished sidecar's name can be reused, and the finished ones stay
 * listed (include_terminated) until the emulator stops. Thread-safe.
 */
class ContainerRegistry {
 public:
  using Starter = std::function<absl::StatusOr<std::shared_ptr<SidecarRecord>>(std::string id)>;

  /// Reserves `name` in `task_id` (ALREADY_EXISTS while a running sidecar has it), then
  /// starts the sidecar with `start(new container id)` and records it. Creations are
  /// serialized.
  absl::StatusOr<std::shared_ptr<SidecarRecord>> create(std::string const& task_id,
                                                        std::string const& name,
                                                        Starter const& start);
  /// By container id, or nullptr.
  std::shared_ptr<SidecarRecord> find(std::string_view task_id, std::string_view id) const;
  /// The running sidecar named `name`, else (include_terminated) the newest finished one,
  /// else nullptr.
  std::shared_ptr<SidecarRecord> find_by_name(std::string_view task_id, std::string_view name,
                                              bool include_terminated) const;
  /// The task's sidecars in creation order, finished ones only with include_terminated.
  std::vector<std::shared_ptr<SidecarRecord>> list(std::string_view task_id,
                                                   bool include_terminated) const;

 private:
  std::mutex create_mu_;
  mutable std::mutex mu_;
  std::map<std::string, std::vector<std::shared_ptr<SidecarRecord>>, std::less<>> by_task_;
};

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_ROUTER_CONTAINER_REGISTRY_H
