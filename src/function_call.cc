// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "modal/function_call.h"

#include "internal/client_state.h"
#include "internal/function_invocation.h"
#include "modal/errors.h"

namespace modal {

namespace rpc = internal::rpc;

Value FunctionCall::get(FunctionCallGetParams const& params) const {
  return internal::await_function_call(*client_, id_, params.timeout, params.stop);
}

void FunctionCall::cancel(FunctionCallCancelParams const& params) const {
  modal::client::FunctionCallCancelRequest req;
  req.set_function_call_id(id_);
  req.set_terminate_containers(params.terminate_containers);
  client_->call(rpc::FunctionCallCancel, req,
                {.not_found = "FunctionCall '" + id_ + "' not found"});
}

FunctionCall FunctionCallService::from_id(std::string const& id) const {
  state_->throw_if_closed();
  if (id.empty()) throw InvalidError("FunctionCall id must not be empty");
  modal::client::FunctionCallFromIdRequest req;
  req.set_function_call_id(id);
  auto resp = state_->call(rpc::FunctionCallFromId, req,
                           {.not_found = "FunctionCall '" + id + "' not found"});
  return FunctionCall(state_, id, resp.metadata().function_id(), resp.metadata().app_id());
}

}  // namespace modal
