// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_ROUTER_H
#define MODAL_EMULATOR_SRC_ROUTER_H

// The emulator's modal.task_command_router.TaskCommandRouter service, served on the same
// port as ModalClient. Add RPCs exactly as described at the top of control_plane.h, with
//     CallScope scope(core_, ctx, "TaskExecStart", Plane::kRouter);
//     if (!scope.ok()) return scope.status();
//     if (auto st = scope.check_task(req->task_id()); !st.ok()) return st;

#include <grpcpp/grpcpp.h>

#include "core.h"
#include "modal_proto/task_command_router.grpc.pb.h"

namespace modal::emulator {

class Router final : public modal::task_command_router::TaskCommandRouter::Service {
 public:
  explicit Router(Core& core) : core_(core) {}

  Core& core() { return core_; }

 private:
  Core& core_;
};

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_ROUTER_H
