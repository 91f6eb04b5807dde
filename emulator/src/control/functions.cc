// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// FunctionGet, FunctionBindParams, FunctionMap, FunctionGetOutputs, FunctionRetryInputs,
// FunctionCallFromId, FunctionCallCancel, FunctionGetCurrentStats,
// FunctionUpdateSchedulingParams, the input plane (AttemptStart, AttemptAwait,
// AttemptRetry) and BlobCreate / BlobGet. State: store/functions.h, store/blobs.h.
#include "control/functions.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "control/function_runner.h"
#include "server/call_scope.h"
#include "server/status.h"

namespace modal::emulator {
namespace {

using Clock = FunctionStore::Clock;
using modal::client::DataFormat;
using modal::client::FunctionHandleMetadata;

/// The longest FunctionGetOutputs / AttemptAwait wait (clients ask for at most 55 s).
constexpr auto kMaxLongPoll = std::chrono::seconds(60);

Clock::time_point poll_deadline(double secs) {
  auto const wait = std::chrono::duration<double>(std::max(0.0, secs));
  return Clock::now() +
         std::min<Clock::duration>(std::chrono::duration_cast<Clock::duration>(wait), kMaxLongPoll);
}

void add_formats(FunctionHandleMetadata& md, bool cbor) {
  md.add_supported_input_formats(modal::client::DATA_FORMAT_PICKLE);
  md.add_supported_output_formats(modal::client::DATA_FORMAT_PICKLE);
  if (cbor) {
    md.add_supported_input_formats(modal::client::DATA_FORMAT_CBOR);
    md.add_supported_output_formats(modal::client::DATA_FORMAT_CBOR);
  }
  md.set_max_object_size_bytes(kMaxInlineOutputBytes);
}

/// The handle metadata of `def` as called through `function_id` (itself or a bound
/// variant); `routing_region` (bound options) puts every method on the input plane.
FunctionHandleMetadata metadata_of(Core& core, FunctionDef const& def,
                                   std::string const& function_id,
                                   std::string const& routing_region = {}) {
  FunctionHandleMetadata md;
  md.set_function_name(def.tag);
  md.set_function_type(modal::client::Function::FUNCTION_TYPE_FUNCTION);
  md.set_definition_id(def.id);
  md.set_app_id(def.app_id);
  add_formats(md, def.cbor);
  if (def.input_plane || (!routing_region.empty() && !def.is_class)) {
    md.set_input_plane_url(core.server_url());
    md.set_input_plane_region(routing_region.empty() ? def.input_plane_region : routing_region);
  }
  if (def.web) md.set_web_url(absl::StrCat(core.blob_url(), "/web/", def.app, "/", def.tag));
  if (def.is_class) {
    auto* info = md.mutable_class_parameter_info();
    info->set_format(modal::client::ClassParameterInfo::PARAM_SERIALIZATION_FORMAT_PROTO);
    for (auto const& spec : def.parameters) *info->add_schema() = spec;
    std::string const cls = def.tag.substr(0, def.tag.size() - 2);  // drop ".*"
    for (auto const& m : def.methods) {
      FunctionHandleMetadata mm;
      mm.set_function_name(cls + "." + m.name);
      mm.set_function_type(modal::client::Function::FUNCTION_TYPE_FUNCTION);
      mm.set_is_method(true);
      mm.set_use_function_id(function_id);
      mm.set_use_method_name(m.name);
      mm.set_definition_id(def.id);
      mm.set_app_id(def.app_id);
      add_formats(mm, def.cbor);
      if (m.input_plane || !routing_region.empty()) {
        mm.set_input_plane_url(core.server_url());
        mm.set_input_plane_region(routing_region.empty() ? def.input_plane_region : routing_region);
      }
      (*md.mutable_method_handle_metadata())[m.name] = std::move(mm);
    }
  }
  return md;
}

/// The input's payload (a blob's contents for args_blob_id) and format.
absl::StatusOr<NewInput> resolve_input(Core& core, FunctionDef const& def,
                                       modal::client::FunctionInput const& in) {
  NewInput out;
  out.data_format = in.data_format();
  out.method = in.method_name();
  if (in.args_oneof_case() == modal::client::FunctionInput::kArgsBlobId) {
    auto blob = core.blobs().get(in.args_blob_id());
    if (!blob.ok()) return blob.status();
    out.payload = **blob;
  } else {
    out.payload = in.args();
  }
  if (out.data_format == modal::client::DATA_FORMAT_CBOR && !def.cbor) {
    return absl::InvalidArgumentError(
        absl::StrCat("Function '", def.app, "/", def.tag,
                     "' does not accept DATA_FORMAT_CBOR inputs (deployed before Modal 1.2)"));
  }
  if (out.data_format != modal::client::DATA_FORMAT_CBOR &&
      out.data_format != modal::client::DATA_FORMAT_PICKLE) {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported input data_format ", out.data_format));
  }
  if (def.is_class) {
    bool const known = std::any_of(def.methods.begin(), def.methods.end(),
                                   [&](auto const& m) { return m.name == out.method; });
    if (!known) {
      return absl::InvalidArgumentError(
          absl::StrCat("class '", def.tag, "' has no method '", out.method, "'"));
    }
  }
  return out;
}

void fill_output(OutputCopy const& o, modal::client::FunctionGetOutputsItem& item) {
  *item.mutable_result() = o.result;
  item.set_idx(o.idx);
  item.set_input_id(o.input_id);
  item.set_data_format(static_cast<DataFormat>(o.data_format));
  item.set_input_started_at(o.started_at);
  item.set_output_created_at(o.created_at);
  item.set_retry_count(o.retry_count);
  item.set_task_id("ta-emulator");
}

/// A ClassParameterSet checked against the schema, with defaults filled in.
absl::StatusOr<std::map<std::string, modal::Value>> decode_params(FunctionDef const& def,
                                                                  std::string const& serialized) {
  modal::client::ClassParameterSet set;
  if (!set.ParseFromString(serialized)) {
    return absl::InvalidArgumentError("serialized_params is not a ClassParameterSet");
  }
  std::map<std::string, modal::Value> out;
  for (auto const& p : set.parameters()) {
    auto spec = std::find_if(def.parameters.begin(), def.parameters.end(),
                             [&](auto const& s) { return s.name() == p.name(); });
    if (spec == def.parameters.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("class '", def.tag, "' has no parameter '", p.name(), "'"));
    }
    if (p.type() != spec->type()) {
      return absl::InvalidArgumentError(absl::StrCat("parameter '", p.name(), "' has type ",
                                                     p.type(), ", expected ", spec->type()));
    }
    switch (p.value_oneof_case()) {
      case modal::client::ClassParameterValue::kStringValue:
        out.emplace(p.name(), modal::Value(p.string_value()));
        break;
      case modal::client::ClassParameterValue::kIntValue:
        out.emplace(p.name(), modal::Value(p.int_value()));
        break;
      case modal::client::ClassParameterValue::kBoolValue:
        out.emplace(p.name(), modal::Value(p.bool_value()));
        break;
      case modal::client::ClassParameterValue::kBytesValue:
        out.emplace(p.name(), modal::Value::bytes(p.bytes_value()));
        break;
      default:
        return absl::InvalidArgumentError(
            absl::StrCat("parameter '", p.name(), "' has no supported value"));
    }
  }
  for (auto const& spec : def.parameters) {
    if (out.count(spec.name()) != 0) continue;
    if (!spec.has_default()) {
      return absl::InvalidArgumentError(
          absl::StrCat("missing required parameter '", spec.name(), "'"));
    }
    switch (spec.default_oneof_case()) {
      case modal::client::ClassParameterSpec::kStringDefault:
        out.emplace(spec.name(), modal::Value(spec.string_default()));
        break;
      case modal::client::ClassParameterSpec::kIntDefault:
        out.emplace(spec.name(), modal::Value(spec.int_default()));
        break;
      case modal::client::ClassParameterSpec::kBoolDefault:
        out.emplace(spec.name(), modal::Value(spec.bool_default()));
        break;
      case modal::client::ClassParameterSpec::kBytesDefault:
        out.emplace(spec.name(), modal::Value::bytes(spec.bytes_default()));
        break;
      default:
        break;
    }
  }
  return out;
}

}  // namespace

grpc::Status FunctionHandlers::FunctionGet(grpc::ServerContext* ctx,
                                           modal::client::FunctionGetRequest const* req,
                                           modal::client::FunctionGetResponse* resp) {
  CallScope scope(core_, ctx, "FunctionGet", Plane::kControl);
  if (!scope.ok()) return scope.status();
  if (req->app_name().empty()) return invalid_argument("app_name must not be empty");
  if (req->object_tag().empty()) return invalid_argument("object_tag must not be empty");
  auto env = core_.environments().resolve(req->environment_name());
  if (!env.ok()) return to_grpc(env.status());
  auto def = core_.functions().lookup(env->name, req->app_name(), req->object_tag());
  if (!def.ok()) return to_grpc(def.status());
  resp->set_function_id((*def)->id);
  *resp->mutable_handle_metadata() = metadata_of(core_, **def, (*def)->id);
  return grpc::Status::OK;
}

grpc::Status FunctionHandlers::FunctionBindParams(
    grpc::ServerContext* ctx, modal::client::FunctionBindParamsRequest const* req,
    modal::client::FunctionBindParamsResponse* resp) {
  CallScope scope(core_, ctx, "FunctionBindParams", Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto target = core_.functions().target(req->function_id());
  if (!target.ok()) return to_grpc(target.status());
  if (target->bound) return invalid_argument("cannot bind parameters of a bound Function");
  auto params = decode_params(*target->def, req->serialized_params());
  if (!params.ok()) return to_grpc(params.status());
  std::map<std::string, std::string> env;
  for (auto const& secret_id : req->function_options().secret_ids()) {
    auto secret = core_.secrets().get(secret_id);
    if (!secret.ok()) return to_grpc(secret.status());
    for (auto const& [k, v] : secret->env) env[k] = v;
  }
  auto bound = core_.functions().bind(req->function_id(), std::move(*params), std::move(env),
                                      req->function_options());
  if (!bound.ok()) return to_grpc(bound.status());
  resp->set_bound_function_id(*bound);
  *resp->mutable_handle_metadata() =
      metadata_of(core_, *target->def, *bound, req->function_options().routing_region());
  return grpc::Status::OK;
}

grpc::Status FunctionHandlers::FunctionMap(grpc::ServerContext* ctx,
                                           modal::client::FunctionMapRequest const* req,
                                           modal::client::FunctionMapResponse* resp) {
  CallScope scope(core_, ctx, "FunctionMap", Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto target = core_.functions().target(req->function_id());
  if (!target.ok()) return to_grpc(target.status());
  std::vector<NewInput> inputs;
  for (auto const& item : req->pipelined_inputs()) {
    auto in = resolve_input(core_, *target->def, item.input());
    if (!in.ok()) return to_grpc(in.status());
    inputs.push_back(std::move(*in));
  }
  auto call = core_.functions().map(req->function_id(), std::move(inputs),
                                    req->function_call_invocation_type());
  if (!call.ok()) return to_grpc(call.status());
  resp->set_function_call_id(call->call_id);
  resp->set_function_call_jwt(call->call_jwt);
  resp->set_sync_client_retries_enabled(true);
  resp->set_max_inputs_outstanding(1000);
  if (target->bound && target->bound->options.has_retry_policy()) {
    *resp->mutable_retry_policy() = target->bound->options.retry_policy();
  }
  for (std::size_t i = 0; i < call->input_ids.size(); ++i) {
    auto* out = resp->add_pipelined_inputs();
    out->set_idx(req->pipelined_inputs(static_cast<int>(i)).idx());
    out->set_input_id(call->input_ids[i]);
    out->set_input_jwt(call->input_jwts[i]);
  }
  core_.function_runner().kick();
  return grpc::Status::OK;
}

grpc::Status FunctionHandlers::FunctionGetOutputs(
    grpc::ServerContext* ctx, modal::client::FunctionGetOutputsRequest const* req,
    modal::client::FunctionGetOutputsResponse* resp) {
  CallScope scope(core_, ctx, "FunctionGetOutputs", Plane::kControl);
  if (!scope.ok()) return scope.status();
  std::vector<std::string> jwts(req->input_jwts().begin(), req->input_jwts().end());
  auto outputs = core_.functions().outputs(
      req->function_call_id(), req->last_entry_id(), req->max_values(), jwts,
      req->clear_on_success(), poll_deadline(req->timeout()), [ctx] { return ctx->IsCancelled(); });
  if (!outputs.ok()) return to_grpc(outputs.status());
  for (auto const& o : outputs->items) {
    resp->add_idxs(o.idx);
    fill_output(o, *resp->add_outputs());
  }
  resp->set_last_entry_id(outputs->last_entry_id.empty() ? req->last_entry_id()
                                                         : outputs->last_entry_id);
  resp->set_num_unfinished_inputs(outputs->unfinished);
  return grpc::Status::OK;
}

grpc::Status FunctionHandlers::FunctionRetryInputs(
    grpc::ServerContext* ctx, modal::client::FunctionRetryInputsRequest const* req,
    modal::client::FunctionRetryInputsResponse* resp) {
  CallScope scope(core_, ctx, "FunctionRetryInputs", Plane::kControl);
  if (!scope.ok()) return scope.status();
  for (auto const& item : req->inputs()) {
    auto call_id = core_.functions().call_of_input(item.input_jwt());
    if (!call_id.ok()) return to_grpc(call_id.status());
    auto info = core_.functions().call_info(*call_id);
    if (!info.ok()) return to_grpc(info.status());
    auto target = core_.functions().target(info->function_id);
    if (!target.ok()) return to_grpc(target.status());
    auto in = resolve_input(core_, *target->def, item.input());
    if (!in.ok()) return to_grpc(in.status());
    auto jwt = core_.functions().retry(req->function_call_jwt(), item.input_jwt(), std::move(*in),
                                       item.retry_count());
    if (!jwt.ok()) return to_grpc(jwt.status());
    resp->add_input_jwts(*jwt);
  }
  core_.function_runner().kick();
  return grpc::Status::OK;
}

grpc::Status FunctionHandlers::FunctionCallFromId(
    grpc::ServerContext* ctx, modal::client::FunctionCallFromIdRequest const* req,
    modal::client::FunctionCallFromIdResponse* resp) {
  CallScope scope(core_, ctx, "FunctionCallFromId", Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto info = core_.functions().call_info(req->function_call_id());
  if (!info.ok()) return to_grpc(info.status());
  resp->set_function_call_id(req->function_call_id());
  resp->set_num_inputs(info->num_inputs);
  resp->mutable_metadata()->set_function_id(info->function_id);
  resp->mutable_metadata()->set_app_id(info->app_id);
  return grpc::Status::OK;
}

grpc::Status FunctionHandlers::FunctionCallGetInfo(
    grpc::ServerContext* ctx, modal::client::FunctionCallGetInfoRequest const* req,
    modal::client::FunctionCallGetInfoResponse* resp) {
  CallScope scope(core_, ctx, "FunctionCallGetInfo", Plane::kControl);
  if (!scope.ok()) return scope.status();
  if (req->function_call_id().empty()) return invalid_argument("function_call_id is required");
  auto info = core_.functions().call_info(req->function_call_id());
  if (!info.ok()) return to_grpc(info.status());
  if (!req->function_id().empty() && req->function_id() != info->function_id) {
    // Of another Function (unless through its definition, as a bound variant's call is).
    auto target = core_.functions().target(info->function_id);
    if (!target.ok() || target->def->id != req->function_id()) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          absl::StrCat("Function call '", req->function_call_id(),
                                       "' not found for Function '", req->function_id(), "'"));
    }
  }
  auto* out = resp->mutable_info();
  out->set_function_call_id(req->function_call_id());
  out->set_created_at(info->created_at);
  out->set_scheduled_at(info->created_at);
  out->set_total_inputs(info->num_inputs);
  out->mutable_pending_inputs()->set_total(info->pending);
  out->mutable_succeeded_inputs()->set_total(info->succeeded);
  out->mutable_failed_inputs()->set_total(info->failed);
  out->mutable_timeout_inputs()->set_total(info->timed_out);
  out->mutable_cancelled_inputs()->set_total(info->cancelled);
  return grpc::Status::OK;
}

grpc::Status FunctionHandlers::FunctionCallCancel(
    grpc::ServerContext* ctx, modal::client::FunctionCallCancelRequest const* req,
    google::protobuf::Empty* /*resp*/) {
  CallScope scope(core_, ctx, "FunctionCallCancel", Plane::kControl);
  if (!scope.ok()) return scope.status();
  // Running inputs are stopped either way; terminate_containers has nothing more to stop.
  auto st = core_.functions().cancel(req->function_call_id());
  core_.function_runner().kick();
  return to_grpc(st);
}

grpc::Status FunctionHandlers::FunctionGetCurrentStats(
    grpc::ServerContext* ctx, modal::client::FunctionGetCurrentStatsRequest const* req,
    modal::client::FunctionStats* resp) {
  CallScope scope(core_, ctx, "FunctionGetCurrentStats", Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto stats = core_.functions().stats(req->function_id());
  if (!stats.ok()) return to_grpc(stats.status());
  resp->set_backlog(stats->backlog);
  resp->set_num_total_tasks(stats->running);
  resp->set_num_running_inputs(stats->running);
  return grpc::Status::OK;
}

grpc::Status FunctionHandlers::FunctionUpdateSchedulingParams(
    grpc::ServerContext* ctx, modal::client::FunctionUpdateSchedulingParamsRequest const* req,
    modal::client::FunctionUpdateSchedulingParamsResponse* resp) {
  CallScope scope(core_, ctx, "FunctionUpdateSchedulingParams", Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto current = core_.functions().update_scheduling(req->function_id(), req->settings());
  if (!current.ok()) return to_grpc(current.status());
  *resp->mutable_current_settings() = *current;
  core_.function_runner().kick();
  return grpc::Status::OK;
}

grpc::Status FunctionHandlers::AttemptStart(grpc::ServerContext* ctx,
                                            modal::client::AttemptStartRequest const* req,
                                            modal::client::AttemptStartResponse* resp) {
  CallScope scope(core_, ctx, "AttemptStart", Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto target = core_.functions().target(req->function_id());
  if (!target.ok()) return to_grpc(target.status());
  auto in = resolve_input(core_, *target->def, req->input().input());
  if (!in.ok()) return to_grpc(in.status());
  std::vector<NewInput> inputs;
  inputs.push_back(std::move(*in));
  auto call = core_.functions().map(req->function_id(), std::move(inputs),
                                    modal::client::FUNCTION_CALL_INVOCATION_TYPE_SYNC);
  if (!call.ok()) return to_grpc(call.status());
  resp->set_attempt_token(call->input_jwts.at(0));
  if (target->bound && target->bound->options.has_retry_policy()) {
    *resp->mutable_retry_policy() = target->bound->options.retry_policy();
  }
  core_.function_runner().kick();
  return grpc::Status::OK;
}

grpc::Status FunctionHandlers::AttemptAwait(grpc::ServerContext* ctx,
                                            modal::client::AttemptAwaitRequest const* req,
                                            modal::client::AttemptAwaitResponse* resp) {
  CallScope scope(core_, ctx, "AttemptAwait", Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto call_id = core_.functions().call_of_input(req->attempt_token());
  if (!call_id.ok()) return to_grpc(call_id.status());
  auto outputs = core_.functions().outputs(*call_id, "", 1, {req->attempt_token()}, true,
                                           poll_deadline(req->timeout_secs()),
                                           [ctx] { return ctx->IsCancelled(); });
  if (!outputs.ok()) return to_grpc(outputs.status());
  if (!outputs->items.empty()) fill_output(outputs->items.front(), *resp->mutable_output());
  return grpc::Status::OK;
}

grpc::Status FunctionHandlers::AttemptRetry(grpc::ServerContext* ctx,
                                            modal::client::AttemptRetryRequest const* req,
                                            modal::client::AttemptRetryResponse* resp) {
  CallScope scope(core_, ctx, "AttemptRetry", Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto target = core_.functions().target(req->function_id());
  if (!target.ok()) return to_grpc(target.status());
  auto in = resolve_input(core_, *target->def, req->input().input());
  if (!in.ok()) return to_grpc(in.status());
  auto token = core_.functions().retry("", req->attempt_token(), std::move(*in), 0);
  if (!token.ok()) return to_grpc(token.status());
  resp->set_attempt_token(*token);
  core_.function_runner().kick();
  return grpc::Status::OK;
}

grpc::Status FunctionHandlers::BlobCreate(grpc::ServerContext* ctx,
                                          modal::client::BlobCreateRequest const* req,
                                          modal::client::BlobCreateResponse* resp) {
  CallScope scope(core_, ctx, "BlobCreate", Plane::kControl);
  if (!scope.ok()) return scope.status();
  if (req->content_length() < 0) return invalid_argument("content_length must not be negative");
  std::string const id = core_.blobs().create(req->content_md5(), req->content_length());
  resp->set_blob_id(id);
  resp->set_upload_url(absl::StrCat(core_.blob_url(), "/blobs/", id));
  return grpc::Status::OK;
}

grpc::Status FunctionHandlers::BlobGet(grpc::ServerContext* ctx,
                                       modal::client::BlobGetRequest const* req,
                                       modal::client::BlobGetResponse* resp) {
  CallScope scope(core_, ctx, "BlobGet", Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto blob = core_.blobs().get(req->blob_id());
  if (!blob.ok()) return to_grpc(blob.status());
  resp->set_download_url(absl::StrCat(core_.blob_url(), "/blobs/", req->blob_id()));
  return grpc::Status::OK;
}

}  // namespace modal::emulator
