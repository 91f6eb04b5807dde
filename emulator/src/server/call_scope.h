// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_SERVER_CALL_SCOPE_H
#define MODAL_EMULATOR_SRC_SERVER_CALL_SCOPE_H

#include <string>
#include <string_view>

#include <grpcpp/server_context.h>
#include <grpcpp/support/status.h>

#include "server/core.h"

namespace modal::emulator {

/**
 * The first statement of every RPC handler (see control_plane.h for the pattern):
 *
 *     CallScope scope(core_, ctx, "AppGetOrCreate", Plane::kControl);
 *     if (!scope.ok()) return scope.status();
 *
 * The constructor
 *   1. checks credentials: control plane = x-modal-token-id / x-modal-token-secret equal to
 *      the configured ones, and x-modal-auth-token (when present, except on AuthTokenGet) a
 *      live token from AuthTokenGet; router = `authorization: Bearer <jwt>` minted by
 *      Core::issue_router_token and not expired;
 *   2. consumes one injected fault for `method` (Emulator::inject_fault).
 * Failures make ok() false and status() the status to return (UNAUTHENTICATED, or the
 * fault's). The call's metadata and final status code are recorded for
 * Emulator::received_calls by a server interceptor, so handlers need not do anything else.
 */
class CallScope {
 public:
  CallScope(Core& core, grpc::ServerContext const* ctx, std::string_view method, Plane plane);
  CallScope(CallScope const&) = delete;
  CallScope& operator=(CallScope const&) = delete;

  bool ok() const { return status_.ok(); }
  /// OK, or the failure to return from the handler.
  grpc::Status const& status() const { return status_; }
  /// Router plane: the task id the bearer JWT was minted for (empty on the control plane).
  /// Handlers compare it with the request's task_id (see check_task).
  std::string const& router_task_id() const { return router_task_id_; }
  /// Router plane: OK if the bearer JWT was minted for `task_id`, else UNAUTHENTICATED.
  grpc::Status check_task(std::string_view task_id) const;

  Core& core() const { return core_; }
  std::string const& method() const { return method_; }

 private:
  grpc::Status authenticate_control(grpc::ServerContext const* ctx) const;
  grpc::Status authenticate_router(grpc::ServerContext const* ctx);

  Core& core_;
  std::string method_;
  std::string router_task_id_;
  grpc::Status status_;
};

/// First value of a client metadata key ("" when absent).
std::string metadata_value(grpc::ServerContext const* ctx, std::string_view key);
/// Whether the client sent the metadata key at all.
bool has_metadata(grpc::ServerContext const* ctx, std::string_view key);

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_SERVER_CALL_SCOPE_H
