// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_CONTROL_PLANE_H
#define MODAL_EMULATOR_SRC_CONTROL_PLANE_H

// The emulator's modal.client.ModalClient service.
//
// How to add an RPC
// -----------------
// 1. Make sure the RPC is in proto/rpcs.txt (regenerate the protos if not).
// 2. Declare the override below, grouped by the .cc file that implements it, e.g.
//        // sandboxes.cc
//        grpc::Status SandboxCreate(grpc::ServerContext* ctx,
//                                   modal::client::SandboxCreateRequest const* req,
//                                   modal::client::SandboxCreateResponse* resp) override;
// 3. Implement it in its own emulator/src/<topic>.cc (add the file to modal_emulator in
//    emulator/CMakeLists.txt). Every handler starts with a CallScope:
//
//        grpc::Status ControlPlane::SandboxCreate(grpc::ServerContext* ctx,
//                                                 SandboxCreateRequest const* req,
//                                                 SandboxCreateResponse* resp) {
//          CallScope scope(core_, ctx, "SandboxCreate", Plane::kControl);
//          if (!scope.ok()) return scope.status();
//          std::lock_guard lock(scope.state().mu);   // short critical sections only
//          ...
//          return grpc::Status::OK;
//        }
//
//    CallScope authenticates the call (token id/secret, x-modal-auth-token) and consumes an
//    injected fault for the method name; the call's metadata and final status code are
//    recorded for Emulator::received_calls by a server interceptor (nothing to do here).
//    The method name passed to CallScope must be the RPC's short name: faults are keyed
//    by it. Router RPCs (router.h) do the same with Plane::kRouter, which checks
//    `authorization: Bearer <jwt>` (minted by Core::issue_router_token(task_id)) instead,
//    then compare the request's task id with `scope.check_task(req->task_id())`.
// 4. Shared data lives in State (state.h, one mutex) — add record types and maps there.
//    Ids come from new_id("sb") etc. (ids.h). Long-poll handlers must return promptly
//    once core_.shutting_down() or ctx->IsCancelled(); register a wake-up with
//    core_.add_shutdown_hook() if they wait on a condition variable.
// 5. Error conventions (as Modal's server): unknown objects -> NOT_FOUND with
//    "<Kind> '<name>' not found"; unknown environment -> NOT_FOUND
//    "Environment '<name>' not found"; bad arguments -> INVALID_ARGUMENT.

#include <grpcpp/grpcpp.h>

#include "modal_proto/api.grpc.pb.h"
#include "server/core.h"

namespace modal::emulator {

class ControlPlane final : public modal::client::ModalClient::Service {
 public:
  explicit ControlPlane(Core& core) : core_(core) {}

  // auth.cc
  grpc::Status AuthTokenGet(grpc::ServerContext* ctx, modal::client::AuthTokenGetRequest const* req,
                            modal::client::AuthTokenGetResponse* resp) override;

  // apps.cc
  grpc::Status AppGetOrCreate(grpc::ServerContext* ctx,
                              modal::client::AppGetOrCreateRequest const* req,
                              modal::client::AppGetOrCreateResponse* resp) override;

  // environments.cc
  grpc::Status EnvironmentGetOrCreate(grpc::ServerContext* ctx,
                                      modal::client::EnvironmentGetOrCreateRequest const* req,
                                      modal::client::EnvironmentGetOrCreateResponse* resp) override;

  // secrets.cc
  grpc::Status SecretGetOrCreate(grpc::ServerContext* ctx,
                                 modal::client::SecretGetOrCreateRequest const* req,
                                 modal::client::SecretGetOrCreateResponse* resp) override;
  grpc::Status SecretDelete(grpc::ServerContext* ctx, modal::client::SecretDeleteRequest const* req,
                            google::protobuf::Empty* resp) override;

  // images.cc
  grpc::Status ImageGetOrCreate(grpc::ServerContext* ctx,
                                modal::client::ImageGetOrCreateRequest const* req,
                                modal::client::ImageGetOrCreateResponse* resp) override;
  grpc::Status ImageJoinStreaming(
      grpc::ServerContext* ctx, modal::client::ImageJoinStreamingRequest const* req,
      grpc::ServerWriter<modal::client::ImageJoinStreamingResponse>* writer) override;

  // volumes.cc
  grpc::Status VolumeGetOrCreate(grpc::ServerContext* ctx,
                                 modal::client::VolumeGetOrCreateRequest const* req,
                                 modal::client::VolumeGetOrCreateResponse* resp) override;

  // proxies.cc
  grpc::Status ProxyGet(grpc::ServerContext* ctx, modal::client::ProxyGetRequest const* req,
                        modal::client::ProxyGetResponse* resp) override;

  // sandboxes.cc
  grpc::Status SandboxCreate(grpc::ServerContext* ctx,
                             modal::client::SandboxCreateRequest const* req,
                             modal::client::SandboxCreateResponse* resp) override;
  grpc::Status SandboxGetTaskId(grpc::ServerContext* ctx,
                                modal::client::SandboxGetTaskIdRequest const* req,
                                modal::client::SandboxGetTaskIdResponse* resp) override;
  grpc::Status SandboxWait(grpc::ServerContext* ctx, modal::client::SandboxWaitRequest const* req,
                           modal::client::SandboxWaitResponse* resp) override;
  grpc::Status SandboxTerminate(grpc::ServerContext* ctx,
                                modal::client::SandboxTerminateRequest const* req,
                                modal::client::SandboxTerminateResponse* resp) override;
  grpc::Status SandboxGetFromName(grpc::ServerContext* ctx,
                                  modal::client::SandboxGetFromNameRequest const* req,
                                  modal::client::SandboxGetFromNameResponse* resp) override;
  grpc::Status SandboxList(grpc::ServerContext* ctx, modal::client::SandboxListRequest const* req,
                           modal::client::SandboxListResponse* resp) override;
  grpc::Status SandboxTagsGet(grpc::ServerContext* ctx,
                              modal::client::SandboxTagsGetRequest const* req,
                              modal::client::SandboxTagsGetResponse* resp) override;
  grpc::Status SandboxGetTunnels(grpc::ServerContext* ctx,
                                 modal::client::SandboxGetTunnelsRequest const* req,
                                 modal::client::SandboxGetTunnelsResponse* resp) override;
  grpc::Status SandboxCreateConnectToken(
      grpc::ServerContext* ctx, modal::client::SandboxCreateConnectTokenRequest const* req,
      modal::client::SandboxCreateConnectTokenResponse* resp) override;
  grpc::Status SandboxStdinWrite(grpc::ServerContext* ctx,
                                 modal::client::SandboxStdinWriteRequest const* req,
                                 modal::client::SandboxStdinWriteResponse* resp) override;
  grpc::Status SandboxTagsSet(grpc::ServerContext* ctx,
                              modal::client::SandboxTagsSetRequest const* req,
                              google::protobuf::Empty* resp) override;
  grpc::Status SandboxGetLogs(grpc::ServerContext* ctx,
                              modal::client::SandboxGetLogsRequest const* req,
                              grpc::ServerWriter<modal::client::TaskLogsBatch>* writer) override;

  // command_router_access.cc
  grpc::Status TaskGetCommandRouterAccess(
      grpc::ServerContext* ctx, modal::client::TaskGetCommandRouterAccessRequest const* req,
      modal::client::TaskGetCommandRouterAccessResponse* resp) override;

 private:
  Core& core_;
};

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_CONTROL_PLANE_H
