// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "server/call_scope.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace modal::emulator {

std::string metadata_value(grpc::ServerContext const* ctx, std::string_view key) {
  auto const& md = ctx->client_metadata();
  auto it = md.find(grpc::string_ref(key.data(), key.size()));
  if (it == md.end()) return {};
  return std::string(it->second.data(), it->second.size());
}

bool has_metadata(grpc::ServerContext const* ctx, std::string_view key) {
  auto const& md = ctx->client_metadata();
  return md.find(grpc::string_ref(key.data(), key.size())) != md.end();
}

CallScope::CallScope(Core& core, grpc::ServerContext const* ctx, std::string_view method,
                     Plane plane)
    : core_(core), method_(method) {
  status_ = plane == Plane::kControl ? authenticate_control(ctx) : authenticate_router(ctx);
  if (!status_.ok()) return;
  if (auto fault = core_.take_fault(method_)) {
    core_.log(
        absl::StrCat(method_, ": injected fault code=", fault->code, " \"", fault->message, "\""));
    status_ = fault_status(*fault);
  }
}

grpc::Status CallScope::authenticate_control(grpc::ServerContext const* ctx) const {
  auto const& opts = core_.options();
  if (!has_metadata(ctx, "x-modal-token-id") || !has_metadata(ctx, "x-modal-token-secret")) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "Missing credentials: x-modal-token-id and x-modal-token-secret "
                        "metadata are required");
  }
  if (metadata_value(ctx, "x-modal-token-id") != opts.token_id ||
      metadata_value(ctx, "x-modal-token-secret") != opts.token_secret) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "Invalid credentials: token id/secret do not match this emulator's");
  }
  // AuthTokenGet is exempt: a client whose token expired must be able to get a new one.
  if (method_ != "AuthTokenGet" && has_metadata(ctx, "x-modal-auth-token")) {
    auto v = core_.verify_auth_token(metadata_value(ctx, "x-modal-auth-token"));
    if (v.verdict == TokenIssuer::Verdict::kExpired) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                          "x-modal-auth-token has expired; call AuthTokenGet for a new one");
    }
    if (v.verdict != TokenIssuer::Verdict::kValid) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                          "x-modal-auth-token is not a token issued by this server");
    }
  }
  return grpc::Status::OK;
}

grpc::Status CallScope::authenticate_router(grpc::ServerContext const* ctx) {
  std::string const header = metadata_value(ctx, "authorization");
  constexpr absl::string_view kBearer = "Bearer ";
  if (header.empty()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "Missing authorization metadata (expected 'Bearer <jwt>')");
  }
  if (!absl::StartsWithIgnoreCase(header, kBearer)) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "Malformed authorization metadata (expected 'Bearer <jwt>')");
  }
  auto v = core_.verify_router_token(std::string_view(header).substr(kBearer.size()));
  if (v.verdict == TokenIssuer::Verdict::kExpired) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "Router JWT has expired");
  }
  if (v.verdict != TokenIssuer::Verdict::kValid) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "Router JWT was not issued by this server");
  }
  router_task_id_ = std::move(v.subject);
  return grpc::Status::OK;
}

grpc::Status CallScope::check_task(std::string_view task_id) const {
  if (task_id == router_task_id_) return grpc::Status::OK;
  // A router JWT is only valid for its own task: anything else is unauthenticated.
  return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                      absl::StrCat("Router JWT is for task '", router_task_id_, "', not for task '",
                                   std::string(task_id), "'"));
}

}  // namespace modal::emulator
