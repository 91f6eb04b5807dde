// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// ProxyGet. Proxies exist only when configured at startup (EmulatorOptions::proxies,
// `--proxy NAME`), in environment "main"; a Sandbox may reference them by id. Traffic is
// not actually routed through anything: sandboxes use the host's network.
#include "absl/strings/str_cat.h"
#include "control/control_plane.h"
#include "server/call_scope.h"

namespace modal::emulator {

grpc::Status ControlPlane::ProxyGet(grpc::ServerContext* ctx,
                                    modal::client::ProxyGetRequest const* req,
                                    modal::client::ProxyGetResponse* resp) {
  CallScope scope(core_, ctx, "ProxyGet", Plane::kControl);
  if (!scope.ok()) return scope.status();

  State& state = scope.state();
  std::lock_guard<std::mutex> lock(state.mu);
  auto const* env = state.find_environment(req->environment_name());
  if (env == nullptr) {
    return environment_not_found(req->environment_name());
  }
  auto it = state.proxies_by_name.find({env->name, req->name()});
  if (it == state.proxies_by_name.end()) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("Proxy '", req->name(), "' not found"));
  }
  ProxyRecord const& rec = state.proxies.at(it->second);
  auto* proxy = resp->mutable_proxy();
  proxy->set_proxy_id(rec.id);
  proxy->set_name(rec.name);
  proxy->set_environment_name(rec.environment);
  proxy->set_created_at(rec.created_at);
  proxy->set_region("local");
  auto* ip = proxy->add_proxy_ips();
  ip->set_proxy_ip("127.0.0.1");
  ip->set_status(modal::client::PROXY_IP_STATUS_ONLINE);
  ip->set_created_at(rec.created_at);
  ip->set_environment_name(rec.environment);
  return grpc::Status::OK;
}

}  // namespace modal::emulator
