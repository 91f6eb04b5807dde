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
#include <string_view>

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

/// Whether `sandbox_id` is a V1 Sandbox's: `sb-` and exactly 22 [0-9A-Za-z], the rule of
/// upstream's clients. Any other id is a V2 Sandbox's, so that ids of newer shapes reach
/// the newer backend.
bool is_v1_sandbox_id(std::string_view sandbox_id);

/// What a create or restore reply already told about a new Sandbox (V2 replies carry
/// the task id and router access), so that the first exec needs no further round trip.
struct SandboxSeed {
  std::string task_id{};
  std::string router_url{};  // with router_jwt: the router access, if any
  std::string router_jwt{};
  std::optional<std::map<int, Tunnel>> tunnels{};
};

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
  /// A V2 Sandbox (from the id's shape): its RPCs are the V2 twins and its entrypoint's
  /// stdio goes through the router.
  bool v2 = false;

  std::mutex mu;
  std::string task_id{};                           // guarded by mu; cached once known
  std::shared_ptr<RouterClient> router{};          // guarded by mu; created lazily
  std::optional<std::map<int, Tunnel>> tunnels{};  // guarded by mu; cached
  std::optional<StreamReader> stdout_reader{};     // guarded by mu; created lazily
  std::optional<StreamReader> stderr_reader{};     // guarded by mu
  std::optional<StreamWriter> stdin_writer{};      // guarded by mu
  /// Router access from the create reply, used by the first router connection.
  std::string seeded_router_url{};  // guarded by mu
  std::string seeded_router_jwt{};  // guarded by mu
  /// Serializes creation of `router` (held across TaskGetCommandRouterAccess, never
  /// while holding `mu`). Used by src/sandbox_exec.cc.
  std::mutex router_mu;

  /// A handle for `sandbox_id`.
  static Sandbox make(std::shared_ptr<ClientState> client, std::string sandbox_id,
                      SandboxSeed seed = {});
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
  /// `finished_ok`: a finished Sandbox's task id too, when the server names it (for a V2
  /// Sandbox's entrypoint stdio, readable after the end).
  /// @throws Error if the Sandbox already finished (unless `finished_ok` and the server
  ///   named the task), TimeoutError after ~5 minutes.
  std::string get_task_id(bool finished_ok = false);
  /// The router connection of this Sandbox, created on first use (TaskGetCommandRouterAccess).
  /// Implemented in src/sandbox_exec.cc.
  std::shared_ptr<RouterClient> router_client(bool finished_ok = false);
  /// Closes the router connection, if any (detach, terminate); calls in flight end with
  /// ClientClosedError(`reason`). Implemented in src/sandbox_exec.cc.
  void close_router(std::string const& reason);
};

}  // namespace modal::internal

#endif  // MODAL_INTERNAL_SANDBOX_STATE_H
