// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_CONTROL_SANDBOXES_H
#define MODAL_EMULATOR_SRC_CONTROL_SANDBOXES_H

#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "control/handlers.h"
#include "runtime/types.h"

namespace modal::emulator {

/// Declares the override of a V2 twin `Rpc` whose messages are those of the V1 RPC `V1`
/// (SandboxWaitV2 takes a SandboxWaitRequest).
#define MODAL_EMULATOR_V2_RPC(Rpc, V1)                                                \
  grpc::Status Rpc(grpc::ServerContext* ctx, ::modal::client::V1##Request const* req, \
                   ::modal::client::V1##Response* resp) override

class Router;
class SandboxRecord;

/// Which of Modal's two Sandbox APIs a Sandbox belongs to. Both run on the same machinery
/// (a V2 Sandbox is the same local process tree); what differs is the id's shape
/// (server/ids.h) and which RPCs see it: the V1 RPCs (SandboxWait, ...) only V1
/// Sandboxes, their V2 twins (SandboxWaitV2, ...) only V2 ones, as two backends would;
/// SandboxListV2 lists both.
enum class SandboxApi { kV1, kV2 };
/// V1 iff `sandbox_id` is `sb-` and 22 [0-9A-Za-z] (the rule upstream's clients apply).
SandboxApi sandbox_api(std::string_view sandbox_id);

/// The Sandbox control plane. The processes and their lifecycle live in
/// store/sandbox_registry.h (Core::sandboxes()) and the runtime; exec goes through the
/// router (router/router.h). Each V1 RPC and its V2 twin share one implementation below,
/// which takes the API and names the RPC after it.
class SandboxHandlers : public DomainHandlers {
 public:
  using DomainHandlers::DomainHandlers;

  // sandbox_create.cc
  MODAL_EMULATOR_UNARY_RPC(SandboxCreate);
  MODAL_EMULATOR_UNARY_RPC(SandboxCreateV2);
  /// A sidecar of a V2 Sandbox through the control plane (what npm modal 0.11 sends for V2
  /// Sandboxes): the router's TaskContainerCreate with the definition's fields.
  MODAL_EMULATOR_UNARY_RPC(SandboxContainerCreateV2);
  /// The router that runs sidecars (set once, before serving).
  void set_router(Router* router) { router_ = router; }

  // sandboxes.cc: lifecycle
  MODAL_EMULATOR_UNARY_RPC(SandboxGetTaskId);
  MODAL_EMULATOR_UNARY_RPC(SandboxWait);
  MODAL_EMULATOR_UNARY_RPC(SandboxTerminate);
  MODAL_EMULATOR_UNARY_RPC(SandboxStdinWrite);
  MODAL_EMULATOR_V2_RPC(SandboxGetTaskIdV2, SandboxGetTaskId);
  MODAL_EMULATOR_V2_RPC(SandboxWaitV2, SandboxWait);
  MODAL_EMULATOR_V2_RPC(SandboxTerminateV2, SandboxTerminate);

  // sandbox_lookup.cc: finding Sandboxes, tags, networking
  MODAL_EMULATOR_UNARY_RPC(SandboxGetFromName);
  MODAL_EMULATOR_UNARY_RPC(SandboxList);
  MODAL_EMULATOR_UNARY_RPC(SandboxTagsGet);
  grpc::Status SandboxTagsSet(grpc::ServerContext* ctx,
                              modal::client::SandboxTagsSetRequest const* req,
                              google::protobuf::Empty* resp) override;
  MODAL_EMULATOR_UNARY_RPC(SandboxGetTunnels);
  MODAL_EMULATOR_UNARY_RPC(SandboxCreateConnectToken);
  MODAL_EMULATOR_V2_RPC(SandboxGetFromNameV2, SandboxGetFromName);
  MODAL_EMULATOR_V2_RPC(SandboxListV2, SandboxList);
  MODAL_EMULATOR_V2_RPC(SandboxTagsGetV2, SandboxTagsGet);
  grpc::Status SandboxTagsSetV2(grpc::ServerContext* ctx,
                                modal::client::SandboxTagsSetRequest const* req,
                                google::protobuf::Empty* resp) override;
  MODAL_EMULATOR_V2_RPC(SandboxGetTunnelsV2, SandboxGetTunnels);
  MODAL_EMULATOR_V2_RPC(SandboxCreateConnectTokenV2, SandboxCreateConnectToken);

  // sandbox_logs.cc
  grpc::Status SandboxGetLogs(grpc::ServerContext* ctx,
                              modal::client::SandboxGetLogsRequest const* req,
                              grpc::ServerWriter<modal::client::TaskLogsBatch>* writer) override;

 private:
  /// The Sandbox `sandbox_id` if it belongs to `api`, else NOT_FOUND "Sandbox '<id>' not
  /// found" (the other backend does not know it).
  absl::StatusOr<std::shared_ptr<SandboxRecord>> get_sandbox(std::string_view sandbox_id,
                                                             SandboxApi api) const;

  Router* router_ = nullptr;

  // The shared implementations (`rpc`: the RPC's short name, for CallScope).
  grpc::Status get_task_id(std::string_view rpc, SandboxApi api, grpc::ServerContext* ctx,
                           modal::client::SandboxGetTaskIdRequest const& req,
                           modal::client::SandboxGetTaskIdResponse* resp);
  grpc::Status wait(std::string_view rpc, SandboxApi api, grpc::ServerContext* ctx,
                    modal::client::SandboxWaitRequest const& req,
                    modal::client::SandboxWaitResponse* resp);
  grpc::Status terminate(std::string_view rpc, SandboxApi api, grpc::ServerContext* ctx,
                         modal::client::SandboxTerminateRequest const& req,
                         modal::client::SandboxTerminateResponse* resp);
  grpc::Status get_from_name(std::string_view rpc, SandboxApi api, grpc::ServerContext* ctx,
                             modal::client::SandboxGetFromNameRequest const& req,
                             modal::client::SandboxGetFromNameResponse* resp);
  grpc::Status list(std::string_view rpc, SandboxApi api, grpc::ServerContext* ctx,
                    modal::client::SandboxListRequest const& req,
                    modal::client::SandboxListResponse* resp);
  grpc::Status tags_set(std::string_view rpc, SandboxApi api, grpc::ServerContext* ctx,
                        modal::client::SandboxTagsSetRequest const& req);
  grpc::Status tags_get(std::string_view rpc, SandboxApi api, grpc::ServerContext* ctx,
                        modal::client::SandboxTagsGetRequest const& req,
                        modal::client::SandboxTagsGetResponse* resp);
  grpc::Status get_tunnels(std::string_view rpc, SandboxApi api, grpc::ServerContext* ctx,
                           modal::client::SandboxGetTunnelsRequest const& req,
                           modal::client::SandboxGetTunnelsResponse* resp);
  grpc::Status create_connect_token(std::string_view rpc, SandboxApi api, grpc::ServerContext* ctx,
                                    modal::client::SandboxCreateConnectTokenRequest const& req,
                                    modal::client::SandboxCreateConnectTokenResponse* resp);
};

/// now + `secs` seconds, clamped to [0, 55 s]: the bound of every Sandbox long poll.
runtime::Deadline long_poll_deadline(float secs);

/// The handle metadata of SandboxCreate, SandboxWait, SandboxGetFromName, SandboxList.
void fill_metadata(SandboxRecord const& rec, modal::client::SandboxHandleMetadata* md);
/// The tunnels of the definition's open ports (loopback: Sandboxes share the host's
/// network).
void fill_tunnels(SandboxRecord const& rec,
                  google::protobuf::RepeatedPtrField<modal::client::TunnelData>* out);
/// Whether the Sandbox finished because its entrypoint exited (with any code), not because
/// it was terminated or timed out: its stdin is then a pipe without a reader, which takes
/// and discards what arrives (SandboxStdinWrite and SandboxStdinWriteV2).
bool exited_on_its_own(SandboxRecord const& rec);
/// FAILED_PRECONDITION "Sandbox '<id>' has already finished".
grpc::Status already_finished(SandboxRecord const& rec);

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_CONTROL_SANDBOXES_H
