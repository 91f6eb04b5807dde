// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "modal/function.h"

#include "internal/client_state.h"
#include "internal/function_invocation.h"
#include "internal/function_state.h"
#include "modal/errors.h"

namespace modal {

namespace rpc = internal::rpc;
using internal::FunctionState;

std::string const& Function::function_id() const { return state_->function_id; }

Value Function::remote(std::vector<Value> const& args,
                       std::map<std::string, Value> const& kwargs) const {
  state_->client->logger().debug("calling Function {}", state_->function_id);
  return internal::invoke_remote(*state_, args, kwargs);
}

FunctionCall Function::spawn(std::vector<Value> const& args,
                             std::map<std::string, Value> const& kwargs) const {
  auto id = internal::invoke_spawn(*state_, args, kwargs);
  state_->client->logger().debug("spawned {} of Function {}", id, state_->function_id);
  return FunctionCall(state_->client, std::move(id), state_->function_id,
                      state_->metadata.app_id());
}

FunctionStats Function::get_current_stats() const {
  modal::client::FunctionGetCurrentStatsRequest req;
  req.set_function_id(state_->function_id);
  auto resp = state_->client->call(rpc::FunctionGetCurrentStats, req);
  return FunctionStats{.backlog = static_cast<int>(resp.backlog()),
                       .num_total_runners = static_cast<int>(resp.num_total_tasks())};
}

FunctionAutoscalerSettings Function::update_autoscaler(
    FunctionUpdateAutoscalerParams const& params) const {
  if (params.scaledown_window && params.scaledown_window->count() < 0) {
    throw InvalidError("scaledown_window must not be negative");
  }
  modal::client::FunctionUpdateSchedulingParamsRequest req;
  req.set_function_id(state_->function_id);
  req.set_warm_pool_size_override(0);  // deprecated, always 0
  auto* s = req.mutable_settings();
  if (params.min_containers) s->set_min_containers(*params.min_containers);
  if (params.max_containers) s->set_max_containers(*params.max_containers);
  if (params.buffer_containers) s->set_buffer_containers(*params.buffer_containers);
  if (params.scaledown_window) {
    s->set_scaledown_window(static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::seconds>(*params.scaledown_window).count()));
  }
  auto resp = state_->client->call(rpc::FunctionUpdateSchedulingParams, req);
  if (!resp.has_current_settings()) {
    throw InternalFailure("failed to get current autoscaler settings", StatusCode::kInternal,
                          std::string(rpc::FunctionUpdateSchedulingParams.name));
  }
  auto const& cur = resp.current_settings();
  FunctionAutoscalerSettings out;
  if (cur.has_min_containers()) out.min_containers = cur.min_containers();
  if (cur.has_max_containers()) out.max_containers = cur.max_containers();
  if (cur.has_buffer_containers()) out.buffer_containers = cur.buffer_containers();
  if (cur.has_scaledown_window()) {
    out.scaledown_window = std::chrono::seconds(cur.scaledown_window());
  }
  return out;
}

std::string const& Function::web_url() const { return state_->metadata.web_url(); }

namespace {
Function with(FunctionState const& s, internal::FunctionOptions const& over) {
  auto merged = internal::merge_options(s.options, over);
  internal::validate_options(merged);
  return FunctionState::make(s.client, s.function_id, s.metadata, std::move(merged));
}
}  // namespace

Function Function::with_options(FunctionWithOptionsParams const& params) const {
  return with(*state_, internal::options_of(params));
}

Function Function::with_concurrency(FunctionWithConcurrencyParams const& params) const {
  return with(*state_, internal::options_of(params));
}

Function Function::with_batching(FunctionWithBatchingParams const& params) const {
  return with(*state_, internal::options_of(params));
}

Function Function::instance() const {
  if (!state_->options.any()) {
    return FunctionState::make(state_->client, state_->function_id, state_->metadata);
  }
  auto resp =
      internal::bind_parameters(*state_->client, state_->function_id, state_->options, {}, {});
  return FunctionState::make(state_->client, resp.bound_function_id(), resp.handle_metadata());
}

Function FunctionService::from_name(std::string const& app, std::string const& name,
                                    FunctionFromNameParams const& params) const {
  state_->throw_if_closed();
  if (app.empty()) throw InvalidError("App name must not be empty");
  if (name.empty()) throw InvalidError("Function name must not be empty");
  if (auto const dot = name.find('.'); dot != std::string::npos) {
    auto const cls = name.substr(0, dot);
    auto const method = name.substr(dot + 1);
    throw InvalidError(
        "cannot retrieve Cls methods using functions().from_name(). Use:\n"
        "  auto cls = client.cls().from_name(\"" +
        app + "\", \"" + cls +
        "\");\n"
        "  auto instance = cls.instance();\n"
        "  auto m = instance.method(\"" +
        method + "\");");
  }
  modal::client::FunctionGetRequest req;
  req.set_app_name(app);
  req.set_object_tag(name);
  req.set_environment_name(state_->environment(params.environment));
  req.set_app_version(params.version);
  auto resp = state_->call(rpc::FunctionGet, req,
                           {.not_found = "Function '" + app + "/" + name + "' not found"});
  if (resp.function_id().empty()) {
    throw Error("FunctionGet returned no function id", StatusCode::kInternal,
                std::string(rpc::FunctionGet.name));
  }
  state_->logger().debug("retrieved Function {} ({}/{})", resp.function_id(), app, name);
  return FunctionState::make(state_, resp.function_id(), resp.handle_metadata());
}

}  // namespace modal
