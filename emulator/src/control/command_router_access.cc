// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// TaskGetCommandRouterAccess: where a task's command router is and a JWT to call it.
#include "control/command_router_access.h"

#include "absl/strings/str_cat.h"
#include "server/call_scope.h"
#include "server/status.h"
#include "store/sandbox_registry.h"

namespace modal::emulator {

grpc::Status RouterAccessHandlers::TaskGetCommandRouterAccess(
    grpc::ServerContext* ctx, modal::client::TaskGetCommandRouterAccessRequest const* req,
    modal::client::TaskGetCommandRouterAccessResponse* resp) {
  CallScope scope(core_, ctx, "TaskGetCommandRouterAccess", Plane::kControl);
  if (!scope.ok()) return scope.status();
  if (auto rec = core_.sandboxes().get_by_task(req->task_id()); !rec.ok()) {
    return to_grpc(rec.status());
  }
  // The router is served on the emulator's own port. Clients require an https URL and
  // connect in plaintext because the host is loopback (Modal's local-server rule).
  resp->set_url(absl::StrCat("https://", core_.address()));
  resp->set_jwt(core_.issue_router_token(req->task_id()));
  return grpc::Status::OK;
}

}  // namespace modal::emulator
