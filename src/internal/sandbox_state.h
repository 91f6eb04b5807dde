// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_SANDBOX_STATE_H
#define MODAL_INTERNAL_SANDBOX_STATE_H

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "internal/cancellation.h"
#include "modal/sandbox.h"

namespace modal::internal {

class ClientState;
class RouterClient;
struct CallOptions;

/// The ClientClosedError message of calls on a terminated Sandbox.
inline constexpr char kTerminatedMessage[] = "Unable to perform operation on a terminated sandbox";

/// "2 s" for whole seconds, else "1500 ms".
std::string format_duration(std::chrono::milliseconds d);
/// "TCP probe on port 8000", "exec probe `test -f /ready`".
std::string describe(Probe const& probe);

/**
 * The shared state behind a modal::Sandbox and its copies.
 *
 * Ownership of the implementation: src/sandbox.cc (lifecycle, tags, tunnels, stdio of
 * the entrypoint, task id) and src/sandbox_exec.cc (router access, exec, readiness).
 */
struct SandboxState {
  std::shared_ptr<ClientState> client{};
  std::string sandbox_id{};
  /// A child of the Client's scope, cancelled by detach(): ends this handle's calls.
  std::shared_ptr<CancelScope> scope{};

  std::mutex mu;
  std::string task_id{};                           // guarded by mu; cached once known
  std::shared_ptr<RouterClient> router{};          // guarded by mu; created lazily
  std::optional<std::map<int, Tunnel>> tunnels{};  // guarded by mu; cached
  std::optional<StreamReader> stdout_reader{};     // guarded by mu; created lazily
  std::optional<StreamReader> stderr_reader{};     // guarded by mu
  std::optional<StreamWriter> stdin_writer{};      // guarded by mu
  /// Serializes creation of `router` (held across TaskGetCommandRouterAccess, never
  /// while holding `mu`). Used by src/sandbox_exec.cc.
  std::mutex router_mu;

  /// A handle for `sandbox_id`.
  static Sandbox make(std::shared_ptr<ClientState> client, std::string sandbox_id);
  static SandboxState& of(Sandbox const& sandbox) { return *sandbox.state_; }

  /// @throws ClientClosedError after detach() or Client::close().
  void ensure_attached() const { scope->throw_if_cancelled(); }
  /// @throws ClientClosedError after detach(), terminate() or Client::close().
  void ensure_usable() const;
  /// Set by terminate(): only wait/poll/terminate work afterwards.
  std::atomic<bool> terminated{false};
  /// The readiness probe this handle created the Sandbox with, for messages.
  std::optional<Probe> probe{};
  /// Options of this handle's control-plane calls: they end with detach().
  CallOptions call_options() const;
  /// The task id, polling SandboxGetTaskId until the Sandbox is scheduled.
  /// @throws Error if the Sandbox already finished, TimeoutError after ~5 minutes.
  std::string get_task_id();
  /// The router connection of this Sandbox, created on first use (TaskGetCommandRouterAccess).
  /// Implemented in src/sandbox_exec.cc.
  std::shared_ptr<RouterClient> router_client();
  /// Closes the router connection, if any (detach, terminate); calls in flight end with
  /// ClientClosedError(`reason`). Implemented in src/sandbox_exec.cc.
  void close_router(std::string const& reason);
};

}  // namespace modal::internal

#endif  // MODAL_INTERNAL_SANDBOX_STATE_H
