// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_ROUTER_ROUTER_H
#define MODAL_EMULATOR_SRC_ROUTER_ROUTER_H

// The emulator's modal.task_command_router.TaskCommandRouter service, served on the same
// port as ModalClient. Add RPCs exactly as described at the top of control/control_plane.h,
// with
//     CallScope scope(core_, ctx, "TaskExecStart", Plane::kRouter);
//     if (auto st = authorize(scope, ctx, req->task_id()); !st.ok()) return st;
// (authorize() = scope.ok(), scope.check_task() and the token revocation of
// expire_tokens()).

#include <atomic>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include <grpcpp/grpcpp.h>

#include "modal_proto/task_command_router.grpc.pb.h"
#include "router/container_registry.h"
#include "router/exec_registry.h"
#include "server/core.h"

/// Declares the override of the unary TaskCommandRouter RPC `Rpc`, whose messages are
/// modal::task_command_router::<Rpc>Request and <Rpc>Response (as
/// MODAL_EMULATOR_UNARY_RPC does for ModalClient, control/handlers.h).
#define MODAL_EMULATOR_ROUTER_UNARY_RPC(Rpc)                              \
  grpc::Status Rpc(grpc::ServerContext* ctx,                              \
                   ::modal::task_command_router::Rpc##Request const* req, \
                   ::modal::task_command_router::Rpc##Response* resp) override

namespace modal::emulator {

class CallScope;

class Router final : public modal::task_command_router::TaskCommandRouter::Service {
 public:
  explicit Router(Core& core) : core_(core) {}

  Core& core() { return core_; }
  ExecRegistry& execs() { return execs_; }
  ContainerRegistry& containers() { return containers_; }

  // exec.cc
  MODAL_EMULATOR_ROUTER_UNARY_RPC(TaskExecStart);
  grpc::Status TaskExecStdioRead(
      grpc::ServerContext* ctx, modal::task_command_router::TaskExecStdioReadRequest const* req,
      grpc::ServerWriter<modal::task_command_router::TaskExecStdioReadResponse>* writer) override;
  MODAL_EMULATOR_ROUTER_UNARY_RPC(TaskExecStdinWrite);
  grpc::Status TaskExecStdinWriteStream(
      grpc::ServerContext* ctx,
      grpc::ServerReader<modal::task_command_router::TaskExecStdinWriteStreamRequest>* reader,
      modal::task_command_router::TaskExecStdinWriteStreamResponse* resp) override;
  MODAL_EMULATOR_ROUTER_UNARY_RPC(TaskExecStdinStatus);
  MODAL_EMULATOR_ROUTER_UNARY_RPC(TaskExecWait);
  MODAL_EMULATOR_ROUTER_UNARY_RPC(TaskExecPoll);

  // containers.cc (sidecars)
  MODAL_EMULATOR_ROUTER_UNARY_RPC(TaskContainerCreate);
  /// TaskContainerCreate after its authorization: also what the control plane's
  /// SandboxContainerCreateV2 (npm modal 0.11's way for V2 Sandboxes) comes to.
  grpc::Status create_container(modal::task_command_router::TaskContainerCreateRequest const& req,
                                modal::task_command_router::TaskContainerCreateResponse* resp);
  MODAL_EMULATOR_ROUTER_UNARY_RPC(TaskContainerGet);
  MODAL_EMULATOR_ROUTER_UNARY_RPC(TaskContainerList);
  MODAL_EMULATOR_ROUTER_UNARY_RPC(TaskContainerTerminate);
  MODAL_EMULATOR_ROUTER_UNARY_RPC(TaskContainerWait);

  // ready.cc
  grpc::Status SandboxWaitUntilReady(
      grpc::ServerContext* ctx,
      modal::task_command_router::SandboxWaitUntilReadyTcrRequest const* req,
      modal::task_command_router::SandboxWaitUntilReadyTcrResponse* resp) override;

  // snapshot.cc
  MODAL_EMULATOR_ROUTER_UNARY_RPC(TaskSnapshotFilesystem);
  MODAL_EMULATOR_ROUTER_UNARY_RPC(TaskSnapshotDirectory);
  /// A V2 Sandbox's memory snapshot: refused as SandboxSnapshot is (control/snapshots.h).
  MODAL_EMULATOR_ROUTER_UNARY_RPC(TaskSnapshotMemory);
  grpc::Status TaskMountDirectory(grpc::ServerContext* ctx,
                                  modal::task_command_router::TaskMountDirectoryRequest const* req,
                                  google::protobuf::Empty* resp) override;
  grpc::Status TaskUnmountDirectory(
      grpc::ServerContext* ctx, modal::task_command_router::TaskUnmountDirectoryRequest const* req,
      google::protobuf::Empty* resp) override;

  // sandbox_stdio.cc: a V2 Sandbox's entrypoint stdio
  grpc::Status SandboxStdioReadV2(
      grpc::ServerContext* ctx, modal::task_command_router::SandboxStdioReadV2Request const* req,
      grpc::ServerWriter<modal::task_command_router::SandboxStdioReadV2Response>* writer) override;
  MODAL_EMULATOR_ROUTER_UNARY_RPC(SandboxStdinWriteV2);

  // network.cc
  MODAL_EMULATOR_ROUTER_UNARY_RPC(TaskReloadVolumes);
  MODAL_EMULATOR_ROUTER_UNARY_RPC(TaskSetNetworkAccess);

  // ---- fault injection (Emulator::break_stdio_every / expire_router_tokens) ----
  /// Every TaskExecStdioRead stream fails with UNAVAILABLE after sending this many bytes
  /// (0 = never).
  void set_stdio_break_every(std::uint64_t bytes) { stdio_break_every_.store(bytes); }
  std::uint64_t stdio_break_every() const { return stdio_break_every_.load(); }
  /// Every TaskExecStdinWriteStream fails with UNAVAILABLE once it has delivered this many
  /// bytes (0 = never), in the middle of a message if need be, so clients must resume
  /// from TaskExecStdinStatus.
  void set_stdin_stream_break_every(std::uint64_t bytes) { stdin_break_every_.store(bytes); }
  std::uint64_t stdin_stream_break_every() const { return stdin_break_every_.load(); }
  /// Every router JWT presented so far is rejected from now on (UNAUTHENTICATED), also on
  /// streams already open, as if it had expired. Clients must fetch a new one.
  void expire_tokens();

  // router.cc
  /// The router's common checks after CallScope: scope status, the JWT's task, revocation.
  grpc::Status authorize(CallScope const& scope, grpc::ServerContext const* ctx,
                         std::string_view task_id);
  /// Whether the bearer JWT of `ctx` is still accepted (not expired, not revoked); checked
  /// again while streaming.
  bool token_still_valid(grpc::ServerContext const* ctx) const;
  /// Between the messages of a server stream: CANCELLED (the client went away),
  /// UNAVAILABLE (shutdown) or UNAUTHENTICATED (its JWT expired meanwhile), else OK.
  grpc::Status stream_interrupted(grpc::ServerContext const* ctx) const;

 private:
  Core& core_;
  ExecRegistry execs_;
  ContainerRegistry containers_;
  std::atomic<std::uint64_t> stdio_break_every_{0};
  std::atomic<std::uint64_t> stdin_break_every_{0};

  mutable std::mutex tokens_mu_;
  std::set<std::string, std::less<>> seen_tokens_;
  std::set<std::string, std::less<>> revoked_tokens_;
};

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_ROUTER_ROUTER_H
