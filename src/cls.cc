// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "modal/cls.h"

#include "internal/client_state.h"
#include "internal/function_state.h"
#include "modal/errors.h"

namespace modal {

namespace rpc = internal::rpc;
using internal::ClsState;
using internal::FunctionState;

Function ClsInstance::method(std::string const& name) const {
  auto it = methods_.find(name);
  if (it == methods_.end()) throw NotFoundError("method '" + name + "' not found on class");
  return it->second;
}

std::vector<std::string> ClsInstance::method_names() const {
  std::vector<std::string> names;
  names.reserve(methods_.size());
  for (auto const& [name, fn] : methods_) names.push_back(name);
  return names;
}

namespace {
std::shared_ptr<ClsState const> with(ClsState const& s, internal::FunctionOptions const& over) {
  auto next = std::make_shared<ClsState>(s);
  next->options = internal::merge_options(s.options, over);
  internal::validate_options(next->options);
  return next;
}
}  // namespace

Cls Cls::with_options(ClsWithOptionsParams const& params) const {
  return Cls(with(*state_, internal::options_of(params)));
}

Cls Cls::with_concurrency(ClsWithConcurrencyParams const& params) const {
  return Cls(with(*state_, internal::options_of(params)));
}

Cls Cls::with_batching(ClsWithBatchingParams const& params) const {
  return Cls(with(*state_, internal::options_of(params)));
}

ClsInstance Cls::instance(std::map<std::string, Value> const& params) const {
  auto const& s = *state_;
  auto const& schema = s.metadata.class_parameter_info().schema();
  std::string function_id = s.service_function_id;
  google::protobuf::Map<std::string, modal::client::FunctionHandleMetadata> methods;
  if (schema.empty() && !s.options.any()) {
    // Checks the parameters (none are allowed) without sending anything.
    (void)internal::encode_parameter_set(schema, params);
    methods = s.metadata.method_handle_metadata();
  } else {
    auto resp =
        internal::bind_parameters(*s.client, s.service_function_id, s.options, schema, params);
    function_id = resp.bound_function_id();
    // The bound variant's per-method metadata, so that options such as routing_region
    // (its input_plane_url / input_plane_region) apply to the calls.
    methods = resp.handle_metadata().method_handle_metadata();
  }
  std::map<std::string, Function> out;
  for (auto const& [name, md] : methods) {
    out.emplace(name, FunctionState::make(s.client, function_id, md));
  }
  return ClsInstance(std::move(out));
}

Cls ClsService::from_name(std::string const& app, std::string const& name,
                          ClsFromNameParams const& params) const {
  state_->throw_if_closed();
  if (app.empty()) throw InvalidError("App name must not be empty");
  if (name.empty()) throw InvalidError("class name must not be empty");
  modal::client::FunctionGetRequest req;
  req.set_app_name(app);
  // Methods are served by the class's service function, "<name>.*".
  req.set_object_tag(name + ".*");
  req.set_environment_name(state_->environment(params.environment));
  req.set_app_version(params.version);
  auto resp = state_->call(rpc::FunctionGet, req,
                           {.not_found = "class '" + app + "/" + name + "' not found"});
  auto const& info = resp.handle_metadata().class_parameter_info();
  if (info.schema_size() > 0 &&
      info.format() != modal::client::ClassParameterInfo::PARAM_SERIALIZATION_FORMAT_PROTO) {
    throw InvalidError(
        "unsupported parameter format: " +
        modal::client::ClassParameterInfo::ParameterSerializationFormat_Name(info.format()) +
        " (redeploy the class with a recent Modal Python SDK)");
  }
  auto state = std::make_shared<ClsState>();
  state->client = state_;
  state->service_function_id = resp.function_id();
  state->metadata = resp.handle_metadata();
  return Cls(std::move(state));
}

}  // namespace modal
