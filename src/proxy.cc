// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "modal/proxy.h"

#include "internal/client_state.h"
#include "modal/errors.h"

namespace modal {

Proxy ProxyService::from_name(std::string const& name, ProxyFromNameParams const& params) const {
  if (name.empty()) throw InvalidError("Proxy name must not be empty");
  modal::client::ProxyGetRequest req;
  req.set_name(name);
  req.set_environment_name(state_->environment(params.environment));
  auto resp =
      state_->call(internal::rpc::ProxyGet, req, {.not_found = "Proxy '" + name + "' not found"});
  if (!resp.has_proxy() || resp.proxy().proxy_id().empty()) {
    throw NotFoundError("Proxy '" + name + "' not found", StatusCode::kNotFound, "ProxyGet");
  }
  return Proxy{resp.proxy().proxy_id()};
}

}  // namespace modal
