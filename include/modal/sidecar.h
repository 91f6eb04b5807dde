// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_SIDECAR_H
#define MODAL_SIDECAR_H

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "modal/container_process.h"
#include "modal/image.h"
#include "modal/sandbox_filesystem.h"
#include "modal/secret.h"

namespace modal {
class Sandbox;
namespace internal {
struct SidecarState;
}  // namespace internal

/// Options of `SidecarService::create`. Initialize by name; fields are only appended.
struct SidecarCreateParams {
  /// The sidecar's command; empty keeps it idle until terminated.
  std::vector<std::string> command{};
  /// Environment variables (they win over `secrets`).
  std::map<std::string, std::string> env{};
  /// Secrets whose variables are set in the sidecar.
  std::vector<Secret> secrets{};
  /// Absolute working directory of the command and of execs; empty uses the Image's.
  std::string workdir{};
  /// Outbound CIDRs the sidecar may reach, independently of the main container; unset
  /// allows all, an empty list blocks external egress (the main container stays reachable).
  std::optional<std::vector<std::string>> outbound_cidr_allowlist{};
  /// Domains the sidecar may reach over TLS (port 443), "*.example.com" wildcards allowed.
  std::optional<std::vector<std::string>> outbound_domain_allowlist{};
  /// Run the command under a pseudo-terminal.
  bool pty = false;
};

/// Options of `SidecarService::get`.
struct SidecarGetParams {
  /// Also find the newest finished sidecar of that name when none is running.
  bool include_terminated = false;
};

/// Options of `SidecarService::list`.
struct SidecarListParams {
  /// Also list finished sidecars.
  bool include_terminated = false;
};

/// Options of `SidecarContainer::exec` (the same as a Sandbox's exec).
using SidecarExecParams = SandboxExecParams;

/// Options of `SidecarContainer::terminate`.
struct SidecarTerminateParams {
  /// Wait for the sidecar to finish and return its exit code.
  bool wait = false;
};

/// Options of `SidecarContainer::reload_volumes`.
struct SidecarReloadVolumesParams {
  /// How long the call may take; 0 = 55 s.
  std::chrono::milliseconds timeout{0};
};

/**
 * Experimental: a sidecar container of a Sandbox: another process tree in the same
 * Sandbox, with an Image of its own (its own root file system), its own environment and
 * exit status, sharing the Sandbox's network (a server in the main container is reachable
 * from it on localhost, and the other way round). It ends when the Sandbox ends.
 *
 * @par Thread Safety
 * Copies share one state (the cached exit status). Every method may be called from any
 * thread. Calls go through the Sandbox's command router: after `Sandbox::detach()` or
 * `Sandbox::terminate()` they throw ClientClosedError.
 */
class SidecarContainer {
 public:
  /// The sidecar's container id. Sends nothing.
  std::string const& container_id() const;
  /// Its name within the Sandbox. Sends nothing.
  std::string const& container_name() const;

  /// Runs `argv` in the sidecar. @throws InvalidError for bad arguments.
  ContainerProcess exec(std::vector<std::string> argv, SidecarExecParams const& params = {}) const;
  /// The sidecar's files (the same operations as `Sandbox::filesystem()`, in the
  /// sidecar's root). Sends nothing by itself.
  SandboxFilesystem filesystem() const;
  /// Blocks until the sidecar finishes; returns its exit code (137 when terminated).
  int wait() const;
  /// The exit code if finished, else nullopt. Does not block.
  std::optional<int> poll() const;
  /// Stops the sidecar; with `wait`, returns its exit code (else nullopt).
  std::optional<int> terminate(SidecarTerminateParams const& params = {}) const;
  /// Reloads the Volumes mounted in the sidecar. @throws InvalidError for a negative
  /// timeout.
  void reload_volumes(SidecarReloadVolumesParams const& params = {}) const;

 private:
  friend struct internal::SidecarState;
  explicit SidecarContainer(std::shared_ptr<internal::SidecarState> state)
      : state_(std::move(state)) {}
  std::shared_ptr<internal::SidecarState> state_;
};

/// Experimental: creates and finds the sidecar containers of one Sandbox. Obtain it with
/// `Sandbox::experimental_sidecars()`. Thread-safe.
class SidecarService {
 public:
  /**
   * Starts a sidecar named `name` running `image`, which must be built already
   * (`Image::build` or `ImageService::from_id`).
   * @throws InvalidError for an empty name, "main" (the main container's), an Image that
   *   is not built, a relative workdir, arguments over 65536 bytes or a bad environment
   *   variable name, before anything is sent; AlreadyExistsError if a running sidecar has
   *   the name.
   */
  SidecarContainer create(std::string const& name, Image const& image,
                          SidecarCreateParams const& params = {}) const;
  /// The running sidecar named `name` (or, with `include_terminated`, the newest finished
  /// one). @throws NotFoundError if there is none; InvalidError for "" or "main".
  SidecarContainer get(std::string const& name, SidecarGetParams const& params = {}) const;
  /// The Sandbox's sidecars in creation order (the main container is not listed).
  std::vector<SidecarContainer> list(SidecarListParams const& params = {}) const;

 private:
  friend class Sandbox;
  explicit SidecarService(std::shared_ptr<Sandbox const> sandbox) : sandbox_(std::move(sandbox)) {}
  std::shared_ptr<Sandbox const> sandbox_;
};

}  // namespace modal

#endif  // MODAL_SIDECAR_H
