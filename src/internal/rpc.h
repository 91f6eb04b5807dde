// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_RPC_H
#define MODAL_INTERNAL_RPC_H

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/sync_stream.h>

#include <memory>
#include <string_view>

#include "modal_proto/api.grpc.pb.h"
#include "modal_proto/task_command_router.grpc.pb.h"

namespace modal::internal {

using ModalStub = modal::client::ModalClient::Stub;
using RouterStub = modal::task_command_router::TaskCommandRouter::Stub;

/// A unary RPC: its short name (for faults, logs, errors and the CallObserver) and the
/// generated stub method. Declared once per RPC in the lists below.
template <typename Stub, typename Req, typename Resp>
struct UnaryRpc {
  using Request = Req;
  using Response = Resp;
  std::string_view name{};
  grpc::Status (Stub::*method)(grpc::ClientContext*, Req const&, Resp*);

  grpc::Status operator()(Stub& stub, grpc::ClientContext& ctx, Req const& req, Resp* resp) const {
    return (stub.*method)(&ctx, req, resp);
  }
};

/// A server-streaming RPC.
template <typename Stub, typename Req, typename Resp>
struct StreamRpc {
  using Request = Req;
  using Response = Resp;
  std::string_view name{};
  std::unique_ptr<grpc::ClientReader<Resp>> (Stub::*method)(grpc::ClientContext*, Req const&);

  std::unique_ptr<grpc::ClientReaderInterface<Resp>> operator()(Stub& stub,
                                                                grpc::ClientContext& ctx,
                                                                Req const& req) const {
    return (stub.*method)(&ctx, req);
  }
};

/// A client-streaming RPC.
template <typename Stub, typename Req, typename Resp>
struct ClientStreamRpc {
  using Request = Req;
  using Response = Resp;
  std::string_view name{};
  std::unique_ptr<grpc::ClientWriter<Req>> (Stub::*method)(grpc::ClientContext*, Resp*);
  std::unique_ptr<grpc::ClientWriterInterface<Req>> operator()(Stub& stub, grpc::ClientContext& ctx,
                                                               Resp* resp) const {
    return (stub.*method)(&ctx, resp);
  }
};

template <typename Stub, typename Req, typename Resp>
constexpr UnaryRpc<Stub, Req, Resp> make_rpc(std::string_view name,
                                             grpc::Status (Stub::*method)(grpc::ClientContext*,
                                                                          Req const&, Resp*)) {
  return {name, method};
}

template <typename Stub, typename Req, typename Resp>
constexpr StreamRpc<Stub, Req, Resp> make_rpc(
    std::string_view name,
    std::unique_ptr<grpc::ClientReader<Resp>> (Stub::*method)(grpc::ClientContext*, Req const&)) {
  return {name, method};
}

template <typename Stub, typename Req, typename Resp>
constexpr ClientStreamRpc<Stub, Req, Resp> make_rpc(
    std::string_view name,
    std::unique_ptr<grpc::ClientWriter<Req>> (Stub::*method)(grpc::ClientContext*, Resp*)) {
  return {name, method};
}

/// The RPCs the SDK calls, each named once: `client.call(rpc::AppGetOrCreate, req)`.
namespace rpc {

#define MODAL_CONTROL_RPC(Name) inline constexpr auto Name = make_rpc(#Name, &ModalStub::Name)
#define MODAL_ROUTER_RPC(Name) inline constexpr auto Name = make_rpc(#Name, &RouterStub::Name)

// modal.client.ModalClient
MODAL_CONTROL_RPC(AppCountLogs);
MODAL_CONTROL_RPC(AppFetchLogs);
MODAL_CONTROL_RPC(AppGetLogs);
MODAL_CONTROL_RPC(AppGetOrCreate);
MODAL_CONTROL_RPC(AttemptAwait);
MODAL_CONTROL_RPC(AttemptRetry);
MODAL_CONTROL_RPC(AttemptStart);
MODAL_CONTROL_RPC(AuthTokenGet);
MODAL_CONTROL_RPC(BlobCreate);
MODAL_CONTROL_RPC(BlobGet);
MODAL_CONTROL_RPC(ContainerFilesystemExec);
MODAL_CONTROL_RPC(ContainerFilesystemExecGetOutput);
MODAL_CONTROL_RPC(EnvironmentGetOrCreate);
MODAL_CONTROL_RPC(FunctionBindParams);
MODAL_CONTROL_RPC(FunctionCallCancel);
MODAL_CONTROL_RPC(FunctionCallFromId);
MODAL_CONTROL_RPC(FunctionCallGetInfo);
MODAL_CONTROL_RPC(FunctionGet);
MODAL_CONTROL_RPC(FunctionGetCurrentStats);
MODAL_CONTROL_RPC(FunctionGetOutputs);
MODAL_CONTROL_RPC(FunctionMap);
MODAL_CONTROL_RPC(FunctionRetryInputs);
MODAL_CONTROL_RPC(FunctionUpdateSchedulingParams);
MODAL_CONTROL_RPC(ImageDelete);
MODAL_CONTROL_RPC(ImageFromId);
MODAL_CONTROL_RPC(ImageGetByTag);
MODAL_CONTROL_RPC(ImageGetOrCreate);
MODAL_CONTROL_RPC(ImageJoinStreaming);
MODAL_CONTROL_RPC(ImagePublish);
MODAL_CONTROL_RPC(ProxyGet);
MODAL_CONTROL_RPC(QueueClear);
MODAL_CONTROL_RPC(QueueDelete);
MODAL_CONTROL_RPC(QueueGet);
MODAL_CONTROL_RPC(QueueGetOrCreate);
MODAL_CONTROL_RPC(QueueHeartbeat);
MODAL_CONTROL_RPC(QueueLen);
MODAL_CONTROL_RPC(QueueNextItems);
MODAL_CONTROL_RPC(QueuePut);
MODAL_CONTROL_RPC(SandboxCreate);
MODAL_CONTROL_RPC(SandboxCreateConnectToken);
MODAL_CONTROL_RPC(SandboxCreateConnectTokenV2);
MODAL_CONTROL_RPC(SandboxCreateV2);
MODAL_CONTROL_RPC(SandboxGetExitSnapshotV2);
MODAL_CONTROL_RPC(SandboxGetFromName);
MODAL_CONTROL_RPC(SandboxGetFromNameV2);
MODAL_CONTROL_RPC(SandboxGetLogs);
MODAL_CONTROL_RPC(SandboxGetTaskId);
MODAL_CONTROL_RPC(SandboxGetTaskIdV2);
MODAL_CONTROL_RPC(SandboxGetTunnels);
MODAL_CONTROL_RPC(SandboxGetTunnelsV2);
MODAL_CONTROL_RPC(SandboxList);
MODAL_CONTROL_RPC(SandboxListV2);
MODAL_CONTROL_RPC(SandboxRestore);
MODAL_CONTROL_RPC(SandboxRestoreV2);
MODAL_CONTROL_RPC(SandboxSnapshot);
MODAL_CONTROL_RPC(SandboxSnapshotGet);
MODAL_CONTROL_RPC(SandboxSnapshotWait);
MODAL_CONTROL_RPC(SandboxStdinWrite);
MODAL_CONTROL_RPC(SandboxTagsGet);
MODAL_CONTROL_RPC(SandboxTagsGetV2);
MODAL_CONTROL_RPC(SandboxTagsSet);
MODAL_CONTROL_RPC(SandboxTagsSetV2);
MODAL_CONTROL_RPC(SandboxTerminate);
MODAL_CONTROL_RPC(SandboxTerminateV2);
MODAL_CONTROL_RPC(SandboxWait);
MODAL_CONTROL_RPC(SandboxWaitV2);
MODAL_CONTROL_RPC(SecretDelete);
MODAL_CONTROL_RPC(SecretGetOrCreate);
MODAL_CONTROL_RPC(TaskGetCommandRouterAccess);
MODAL_CONTROL_RPC(VolumeDelete);
MODAL_CONTROL_RPC(VolumeGetOrCreate);
MODAL_CONTROL_RPC(VolumeHeartbeat);

// modal.task_command_router.TaskCommandRouter
MODAL_ROUTER_RPC(SandboxStdinWriteV2);
MODAL_ROUTER_RPC(SandboxStdioReadV2);
MODAL_ROUTER_RPC(SandboxWaitUntilReady);
MODAL_ROUTER_RPC(TaskContainerCreate);
MODAL_ROUTER_RPC(TaskContainerGet);
MODAL_ROUTER_RPC(TaskContainerList);
MODAL_ROUTER_RPC(TaskContainerTerminate);
MODAL_ROUTER_RPC(TaskContainerWait);
MODAL_ROUTER_RPC(TaskExecPoll);
MODAL_ROUTER_RPC(TaskExecStart);
MODAL_ROUTER_RPC(TaskExecStdinStatus);
MODAL_ROUTER_RPC(TaskExecStdinWrite);
MODAL_ROUTER_RPC(TaskExecStdinWriteStream);
MODAL_ROUTER_RPC(TaskExecStdioRead);
MODAL_ROUTER_RPC(TaskExecWait);
MODAL_ROUTER_RPC(TaskMountDirectory);
MODAL_ROUTER_RPC(TaskReloadVolumes);
MODAL_ROUTER_RPC(TaskSetNetworkAccess);
MODAL_ROUTER_RPC(TaskSnapshotDirectory);
MODAL_ROUTER_RPC(TaskSnapshotFilesystem);
MODAL_ROUTER_RPC(TaskSnapshotMemory);
MODAL_ROUTER_RPC(TaskUnmountDirectory);

#undef MODAL_CONTROL_RPC
#undef MODAL_ROUTER_RPC

}  // namespace rpc
}  // namespace modal::internal

#endif  // MODAL_INTERNAL_RPC_H
