// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// AuthTokenGet: short-lived JWTs clients attach as x-modal-auth-token.
#include "control/auth.h"

#include "server/call_scope.h"

namespace modal::emulator {

grpc::Status AuthHandlers::AuthTokenGet(grpc::ServerContext* ctx,
                                        modal::client::AuthTokenGetRequest const* /*req*/,
                                        modal::client::AuthTokenGetResponse* resp) {
  CallScope scope(core_, ctx, "AuthTokenGet", Plane::kControl);
  if (!scope.ok()) return scope.status();
  resp->set_token(core_.issue_auth_token());
  return grpc::Status::OK;
}

}  // namespace modal::emulator
