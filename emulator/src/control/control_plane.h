// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_CONTROL_CONTROL_PLANE_H
#define MODAL_EMULATOR_SRC_CONTROL_CONTROL_PLANE_H

// The emulator's modal.client.ModalClient service: one handler class per domain (apps.h,
// secrets.h, sandboxes.h, ...), each overriding its own RPCs of the generated service,
// combined below. The task command router (router/router.h) is the other service.
//
// How to add an RPC
// -----------------
// 1. Make sure the RPC is in proto/rpcs.txt (regenerate the protos if not).
// 2. Declare the override in its domain's handler class (control/<domain>.h): a unary RPC
//    with messages <Name>Request / <Name>Response is `MODAL_EMULATOR_UNARY_RPC(Name);`
//    (control/handlers.h), any other is declared in full. Implement it in
//    control/<domain>.cc. Every handler starts with a CallScope:
//
//        grpc::Status VolumeHandlers::VolumeGetOrCreate(grpc::ServerContext* ctx,
//                                                       VolumeGetOrCreateRequest const* req,
//                                                       VolumeGetOrCreateResponse* resp) {
//          CallScope scope(core_, ctx, "VolumeGetOrCreate", Plane::kControl);
//          if (!scope.ok()) return scope.status();
//          auto volume = core_.volumes().get_or_create(req->environment_name(),
//                                                      req->deployment_name(),
//                                                      req->object_creation_type());
//          if (!volume.ok()) return to_grpc(volume.status());
//          ...
//          return grpc::Status::OK;
//        }
//
//    CallScope (server/call_scope.h) authenticates the call and consumes an injected fault
//    for the method name, which must be the RPC's short name; a server interceptor
//    records the call for Emulator::received_calls (nothing to do here). Handlers
//    validate the request first (INVALID_ARGUMENT), then resolve what it refers to
//    through the stores (NOT_FOUND), then act; split a handler along those lines once it
//    grows past a screen.
// 3. State lives in the stores of Core (store/): environments, one NamedStore per kind of
//    named object (store/objects.h: get_or_create with the object_creation_type rules,
//    lookup, get, remove), images, sandboxes. Each store has its own lock, taken only
//    inside its methods, and hands out copies, so a handler never holds two locks. Ids
//    come from new_id("sb") etc. (server/ids.h). Long-poll handlers wait on their own
//    store's condition variables (e.g. SandboxRecord::wait) and return promptly once
//    core_.shutting_down() or ctx->IsCancelled(); register a wake-up with
//    core_.add_shutdown_hook() if they wait on a new condition variable.
// 4. Error conventions (as Modal's server): unknown objects -> NOT_FOUND with
//    "<Kind> '<name or id>' not found" (the stores answer it); unknown environment ->
//    NOT_FOUND "Environment '<name>' not found"; bad arguments -> INVALID_ARGUMENT.
//    Stores answer absl::Status; return it with to_grpc() (server/status.h).
//
// How to add a service (a domain)
// -------------------------------
// 1. Its state: a record deriving from NamedObject plus an ObjectKind and a store alias in
//    store/objects.h (named objects), or a store class of its own in store/<domain>.h;
//    Core owns it and exposes it (core_.queues()).
// 2. Its handlers: `class QueueHandlers : public DomainHandlers` (control/handlers.h: the
//    virtual ModalClient::Service base and core_) in control/queues.h, implemented in
//    control/queues.cc (add it to modal_emulator in emulator/CMakeLists.txt), and one more
//    base class of ControlPlane below.
// 3. Its tests: the RPCs through the generated stubs in tests/emulator/server_test.cc (or a
//    test file of its own), the store in tests/emulator/store_test.cc, and the SDK's use of
//    it in tests/integration. Then add it to emulator/README.md.

#include "control/apps.h"
#include "control/auth.h"
#include "control/command_router_access.h"
#include "control/container_fs.h"
#include "control/environments.h"
#include "control/functions.h"
#include "control/images.h"
#include "control/logs.h"
#include "control/proxies.h"
#include "control/queues.h"
#include "control/sandboxes.h"
#include "control/secrets.h"
#include "control/snapshots.h"
#include "control/volumes.h"

namespace modal::emulator {

/// modal.client.ModalClient: every domain's handlers. RPCs that no domain overrides answer
/// UNIMPLEMENTED (the generated default).
class ControlPlane final : public AppHandlers,
                           public AuthHandlers,
                           public ContainerFsHandlers,
                           public EnvironmentHandlers,
                           public FunctionHandlers,
                           public ImageHandlers,
                           public LogHandlers,
                           public ProxyHandlers,
                           public QueueHandlers,
                           public RouterAccessHandlers,
                           public SandboxHandlers,
                           public SecretHandlers,
                           public SnapshotHandlers,
                           public VolumeHandlers {
 public:
  explicit ControlPlane(Core& core)
      : AppHandlers(core),
        AuthHandlers(core),
        ContainerFsHandlers(core),
        EnvironmentHandlers(core),
        FunctionHandlers(core),
        ImageHandlers(core),
        LogHandlers(core),
        ProxyHandlers(core),
        QueueHandlers(core),
        RouterAccessHandlers(core),
        SandboxHandlers(core),
        SecretHandlers(core),
        SnapshotHandlers(core),
        VolumeHandlers(core) {}
};

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_CONTROL_CONTROL_PLANE_H
