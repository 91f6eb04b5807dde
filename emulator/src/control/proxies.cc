// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// ProxyGet. Proxies exist only when configured at startup (EmulatorOptions::proxies,
// `--proxy NAME`), in environment "main"; a Sandbox may reference them by id. Traffic is
// not actually routed through anything: sandboxes use the host's network.
#include "control/proxies.h"

#include "server/call_scope.h"
#include "server/status.h"

namespace modal::emulator {

grpc::Status ProxyHandlers::ProxyGet(grpc::ServerContext* ctx,
                                     modal::client::ProxyGetRequest const* req,
                                     modal::client::ProxyGetResponse* resp) {
  CallScope scope(core_, ctx, "ProxyGet", Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto found = core_.proxies().lookup(req->environment_name(), req->name());
  if (!found.ok()) return to_grpc(found.status());
  auto* proxy = resp->mutable_proxy();
  proxy->set_proxy_id(found->id);
  proxy->set_name(found->name);
  proxy->set_environment_name(found->environment);
  proxy->set_created_at(found->created_at);
  proxy->set_region("local");
  auto* ip = proxy->add_proxy_ips();
  ip->set_proxy_ip("127.0.0.1");
  ip->set_status(modal::client::PROXY_IP_STATUS_ONLINE);
  ip->set_created_at(found->created_at);
  ip->set_environment_name(found->environment);
  return grpc::Status::OK;
}

}  // namespace modal::emulator
