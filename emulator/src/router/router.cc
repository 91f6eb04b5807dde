// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// The router's authorization: the bearer JWT's task, and revocation (expire_tokens()).
#include "router/router.h"

#include <string>
#include <utility>

#include "server/call_scope.h"

namespace modal::emulator {
namespace {

std::string bearer_token(grpc::ServerContext const* ctx) {
  std::string header = metadata_value(ctx, "authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (header.size() >= kBearer.size()) header.erase(0, kBearer.size());
  return header;
}

}  // namespace

grpc::Status Router::authorize(CallScope const& scope, grpc::ServerContext const* ctx,
                               std::string_view task_id) {
  if (!scope.ok()) return scope.status();
  if (auto st = scope.check_task(task_id); !st.ok()) return st;
  std::string token = bearer_token(ctx);
  std::lock_guard lock(tokens_mu_);
  if (revoked_tokens_.count(token) != 0) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "Router JWT has expired");
  }
  seen_tokens_.insert(std::move(token));
  return grpc::Status::OK;
}

bool Router::token_still_valid(grpc::ServerContext const* ctx) const {
  std::string const token = bearer_token(ctx);
  if (core_.verify_router_token(token).verdict != TokenIssuer::Verdict::kValid) return false;
  std::lock_guard lock(tokens_mu_);
  return revoked_tokens_.count(token) == 0;
}

grpc::Status Router::stream_interrupted(grpc::ServerContext const* ctx) const {
  if (ctx->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
  if (core_.shutting_down()) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the emulator is shutting down");
  }
  if (!token_still_valid(ctx)) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "Router JWT has expired");
  }
  return grpc::Status::OK;
}

void Router::expire_tokens() {
  std::lock_guard lock(tokens_mu_);
  revoked_tokens_.merge(seen_tokens_);
  seen_tokens_.clear();
}

}  // namespace modal::emulator
