// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "modal/proxy.h"

#include "internal/client_state.h"
#include "modal/errors.h"

namespace modal {

Proxy ProxyService::from_name(std::string const& name, ProxyFromNameParams const& params) const {
  if (name.empty()) throw InvalidError("Proxy name must not be empty");
  modal::client::ProxyGetRequest req;
  req.set_name(name);
  req.set_environment_name(params.environment.empty() ? state_->config().environment
                                                      : params.environment);
  modal::client::ProxyGetResponse resp;
  auto status = state_->try_call("ProxyGet", &internal::ModalStub::ProxyGet, req, &resp);
  if (!status.ok()) {
    if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
      internal::throw_rpc_error(status, "ProxyGet", "Proxy '" + name + "' not found");
    }
    internal::throw_rpc_error(status, "ProxyGet");
  }
  if (!resp.has_proxy() || resp.proxy().proxy_id().empty()) {
    throw NotFoundError("Proxy '" + name + "' not found", StatusCode::kNotFound, "ProxyGet");
  }
  return Proxy{resp.proxy().proxy_id()};
}

}  // namespace modal
