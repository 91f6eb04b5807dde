// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Finding Sandboxes (SandboxGetFromName, SandboxList), their tags (SandboxTagsGet/Set) and
// their network endpoints (SandboxGetTunnels, SandboxCreateConnectToken).
#include "control/sandboxes.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "server/call_scope.h"
#include "server/ids.h"
#include "server/status.h"
#include "store/sandbox_registry.h"

namespace modal::emulator {
namespace {

using modal::client::GenericResult;
using runtime::Clock;

void fill_info(SandboxRecord const& rec, modal::client::SandboxInfo* info) {
  info->set_id(rec.id);
  info->set_created_at(rec.created_at);
  info->set_app_id(rec.app_id);
  info->set_name(rec.name);
  info->set_image_id(rec.image_id);
  for (auto const& [k, v] : rec.tags()) {
    auto* tag = info->add_tags();
    tag->set_tag_name(k);
    tag->set_tag_value(v);
  }
  auto const& def = rec.definition;
  if (def.has_scheduler_placement()) {
    for (auto const& r : def.scheduler_placement().regions()) info->add_regions(r);
  }
  info->set_timeout_secs(def.timeout_secs() == 0 ? 300 : def.timeout_secs());
  if (def.has_idle_timeout_secs()) info->set_idle_timeout_secs(def.idle_timeout_secs());
  if (auto ready = rec.ready_at()) info->set_ready_at(*ready);
  if (def.has_readiness_probe()) *info->mutable_readiness_probe() = def.readiness_probe();
  auto* task = info->mutable_task_info();
  task->set_id(rec.task_id);
  task->set_sandbox_id(rec.id);
  task->set_enqueued_at(rec.created_at);
  task->set_started_at(rec.started_at());
  if (auto r = rec.result()) {
    *task->mutable_result() = *r;
    task->set_finished_at(rec.finished_at());
  }
  if (def.resources().has_gpu_config() && def.resources().gpu_config().count() > 0) {
    *task->mutable_gpu_config() = def.resources().gpu_config();
    task->set_gpu_type(def.resources().gpu_config().gpu_type());
  }
  fill_tunnels(rec, info->mutable_tunnels());
  fill_metadata(rec, info->mutable_metadata());
}

/// Whether the Sandbox carries every one of `tags` (name and value).
bool has_all_tags(SandboxRecord const& rec,
                  google::protobuf::RepeatedPtrField<modal::client::SandboxTag> const& wanted) {
  if (wanted.empty()) return true;
  auto const tags = rec.tags();
  return std::all_of(wanted.begin(), wanted.end(), [&](auto const& t) {
    auto it = tags.find(t.tag_name());
    return it != tags.end() && it->second == t.tag_value();
  });
}

}  // namespace

void fill_tunnels(SandboxRecord const& rec,
                  google::protobuf::RepeatedPtrField<modal::client::TunnelData>* out) {
  if (!rec.definition.has_open_ports()) return;
  for (auto const& spec : rec.definition.open_ports().ports()) {
    auto* t = out->Add();
    t->set_container_port(spec.port());
    // Sandboxes share the host's network: the tunnel is the port itself on loopback.
    // (No TLS is terminated: "encrypted" ports serve whatever the process serves.)
    t->set_host("127.0.0.1");
    t->set_port(spec.port());
    if (spec.unencrypted()) {
      t->set_unencrypted_host("127.0.0.1");
      t->set_unencrypted_port(spec.port());
    }
  }
}

grpc::Status SandboxHandlers::SandboxGetFromName(
    grpc::ServerContext* ctx, modal::client::SandboxGetFromNameRequest const* req,
    modal::client::SandboxGetFromNameResponse* resp) {
  return get_from_name("SandboxGetFromName", SandboxApi::kV1, ctx, *req, resp);
}

grpc::Status SandboxHandlers::SandboxGetFromNameV2(
    grpc::ServerContext* ctx, modal::client::SandboxGetFromNameRequest const* req,
    modal::client::SandboxGetFromNameResponse* resp) {
  return get_from_name("SandboxGetFromNameV2", SandboxApi::kV2, ctx, *req, resp);
}

grpc::Status SandboxHandlers::get_from_name(std::string_view rpc, SandboxApi api,
                                            grpc::ServerContext* ctx,
                                            modal::client::SandboxGetFromNameRequest const& req,
                                            modal::client::SandboxGetFromNameResponse* resp) {
  CallScope scope(core_, ctx, rpc, Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto app = core_.apps().lookup(req.environment_name(), req.app_name());
  if (!app.ok()) return to_grpc(app.status());
  auto rec = core_.sandboxes().find_by_name(app->id, req.sandbox_name());
  if (rec != nullptr && sandbox_api(rec->id) != api) rec = nullptr;
  if (rec == nullptr && req.include_terminated()) {
    // No running Sandbox holds the name: the one that held it last (newest first).
    for (auto const& candidate : core_.sandboxes().list()) {
      if (candidate->app_id == app->id && candidate->name == req.sandbox_name() &&
          sandbox_api(candidate->id) == api) {
        rec = candidate;
        break;
      }
    }
  }
  if (rec == nullptr) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("Sandbox with name '", req.sandbox_name(),
                                     "' not found in App '", req.app_name(), "'"));
  }
  resp->set_sandbox_id(rec->id);
  fill_metadata(*rec, resp->mutable_metadata());
  return grpc::Status::OK;
}

grpc::Status SandboxHandlers::SandboxList(grpc::ServerContext* ctx,
                                          modal::client::SandboxListRequest const* req,
                                          modal::client::SandboxListResponse* resp) {
  return list("SandboxList", SandboxApi::kV1, ctx, *req, resp);
}

grpc::Status SandboxHandlers::SandboxListV2(grpc::ServerContext* ctx,
                                            modal::client::SandboxListRequest const* req,
                                            modal::client::SandboxListResponse* resp) {
  return list("SandboxListV2", SandboxApi::kV2, ctx, *req, resp);
}

grpc::Status SandboxHandlers::list(std::string_view rpc, SandboxApi api, grpc::ServerContext* ctx,
                                   modal::client::SandboxListRequest const& req,
                                   modal::client::SandboxListResponse* resp) {
  CallScope scope(core_, ctx, rpc, Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto env = core_.environments().resolve(req.environment_name());
  if (!env.ok()) return to_grpc(env.status());
  if (!req.app_id().empty()) {
    if (auto app = core_.apps().get(req.app_id()); !app.ok()) return to_grpc(app.status());
  }
  int const page = std::max(1, core_.options().sandbox_list_page_size);
  for (auto const& rec : core_.sandboxes().list()) {  // newest first
    // SandboxList sees V1 Sandboxes only; SandboxListV2 both (as upstream's).
    if (api == SandboxApi::kV1 && sandbox_api(rec->id) != SandboxApi::kV1) continue;
    if (!req.app_id().empty() ? rec->app_id != req.app_id() : rec->environment != env->name) {
      continue;
    }
    if (req.before_timestamp() > 0 && rec->created_at >= req.before_timestamp()) continue;
    if (!req.include_finished() && rec->finished()) continue;
    if (!has_all_tags(*rec, req.tags())) continue;
    fill_info(*rec, resp->add_sandboxes());
    if (resp->sandboxes_size() >= page) break;
  }
  return grpc::Status::OK;
}

grpc::Status SandboxHandlers::SandboxTagsSet(grpc::ServerContext* ctx,
                                             modal::client::SandboxTagsSetRequest const* req,
                                             google::protobuf::Empty* /*resp*/) {
  return tags_set("SandboxTagsSet", SandboxApi::kV1, ctx, *req);
}

grpc::Status SandboxHandlers::SandboxTagsSetV2(grpc::ServerContext* ctx,
                                               modal::client::SandboxTagsSetRequest const* req,
                                               google::protobuf::Empty* /*resp*/) {
  return tags_set("SandboxTagsSetV2", SandboxApi::kV2, ctx, *req);
}

grpc::Status SandboxHandlers::tags_set(std::string_view rpc, SandboxApi api,
                                       grpc::ServerContext* ctx,
                                       modal::client::SandboxTagsSetRequest const& req) {
  CallScope scope(core_, ctx, rpc, Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto found = get_sandbox(req.sandbox_id(), api);
  if (!found.ok()) return to_grpc(found.status());
  auto const& rec = *found;
  std::map<std::string, std::string> tags;
  for (auto const& tag : req.tags()) {
    if (tag.tag_name().empty()) return invalid_argument("tag names must not be empty");
    tags[tag.tag_name()] = tag.tag_value();
  }
  rec->set_tags(std::move(tags));
  return grpc::Status::OK;
}

grpc::Status SandboxHandlers::SandboxTagsGet(grpc::ServerContext* ctx,
                                             modal::client::SandboxTagsGetRequest const* req,
                                             modal::client::SandboxTagsGetResponse* resp) {
  return tags_get("SandboxTagsGet", SandboxApi::kV1, ctx, *req, resp);
}

grpc::Status SandboxHandlers::SandboxTagsGetV2(grpc::ServerContext* ctx,
                                               modal::client::SandboxTagsGetRequest const* req,
                                               modal::client::SandboxTagsGetResponse* resp) {
  return tags_get("SandboxTagsGetV2", SandboxApi::kV2, ctx, *req, resp);
}

grpc::Status SandboxHandlers::tags_get(std::string_view rpc, SandboxApi api,
                                       grpc::ServerContext* ctx,
                                       modal::client::SandboxTagsGetRequest const& req,
                                       modal::client::SandboxTagsGetResponse* resp) {
  CallScope scope(core_, ctx, rpc, Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto found = get_sandbox(req.sandbox_id(), api);
  if (!found.ok()) return to_grpc(found.status());
  auto const& rec = *found;
  for (auto const& [k, v] : rec->tags()) {
    auto* tag = resp->add_tags();
    tag->set_tag_name(k);
    tag->set_tag_value(v);
  }
  return grpc::Status::OK;
}

grpc::Status SandboxHandlers::SandboxGetTunnels(grpc::ServerContext* ctx,
                                                modal::client::SandboxGetTunnelsRequest const* req,
                                                modal::client::SandboxGetTunnelsResponse* resp) {
  return get_tunnels("SandboxGetTunnels", SandboxApi::kV1, ctx, *req, resp);
}

grpc::Status SandboxHandlers::SandboxGetTunnelsV2(
    grpc::ServerContext* ctx, modal::client::SandboxGetTunnelsRequest const* req,
    modal::client::SandboxGetTunnelsResponse* resp) {
  return get_tunnels("SandboxGetTunnelsV2", SandboxApi::kV2, ctx, *req, resp);
}

grpc::Status SandboxHandlers::get_tunnels(std::string_view rpc, SandboxApi api,
                                          grpc::ServerContext* ctx,
                                          modal::client::SandboxGetTunnelsRequest const& req,
                                          modal::client::SandboxGetTunnelsResponse* resp) {
  CallScope scope(core_, ctx, rpc, Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto found = get_sandbox(req.sandbox_id(), api);
  if (!found.ok()) return to_grpc(found.status());
  auto const& rec = *found;
  if (rec->finished()) return already_finished(*rec);
  // Emulated provisioning time: tunnels exist `tunnel_delay` after the start.
  auto const delay = std::chrono::duration<double>(core_.options().tunnel_delay);
  auto const remaining = std::chrono::duration<double>(rec->started_at() - unix_now()) + delay;
  if (remaining.count() > 0) {
    auto const ready = Clock::now() + std::chrono::duration_cast<Clock::duration>(remaining);
    rec->sleep_until(std::min(long_poll_deadline(req.timeout()), ready),
                     [ctx] { return ctx->IsCancelled(); });
    if (Clock::now() < ready) {
      resp->mutable_result()->set_status(GenericResult::GENERIC_STATUS_TIMEOUT);
      resp->mutable_result()->set_exception("Tunnels are not ready yet");
      return grpc::Status::OK;
    }
  }
  resp->mutable_result()->set_status(GenericResult::GENERIC_STATUS_SUCCESS);
  fill_tunnels(*rec, resp->mutable_tunnels());
  return grpc::Status::OK;
}

grpc::Status SandboxHandlers::SandboxCreateConnectToken(
    grpc::ServerContext* ctx, modal::client::SandboxCreateConnectTokenRequest const* req,
    modal::client::SandboxCreateConnectTokenResponse* resp) {
  return create_connect_token("SandboxCreateConnectToken", SandboxApi::kV1, ctx, *req, resp);
}

grpc::Status SandboxHandlers::SandboxCreateConnectTokenV2(
    grpc::ServerContext* ctx, modal::client::SandboxCreateConnectTokenRequest const* req,
    modal::client::SandboxCreateConnectTokenResponse* resp) {
  return create_connect_token("SandboxCreateConnectTokenV2", SandboxApi::kV2, ctx, *req, resp);
}

grpc::Status SandboxHandlers::create_connect_token(
    std::string_view rpc, SandboxApi api, grpc::ServerContext* ctx,
    modal::client::SandboxCreateConnectTokenRequest const& req,
    modal::client::SandboxCreateConnectTokenResponse* resp) {
  CallScope scope(core_, ctx, rpc, Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto found = get_sandbox(req.sandbox_id(), api);
  if (!found.ok()) return to_grpc(found.status());
  auto const& rec = *found;
  std::uint32_t const port = req.has_port() ? req.port() : 8080;
  if (port == 0 || port > 65535) {
    return invalid_argument(absl::StrCat("port must be in [1, 65535], got ", port));
  }
  if (rec->finished()) return already_finished(*rec);
  // No authenticating proxy in front: the URL is the sandbox's port itself.
  resp->set_url(absl::StrCat("http://127.0.0.1:", port));
  resp->set_token(absl::StrCat("ct-", random_alnum(40)));
  return grpc::Status::OK;
}

}  // namespace modal::emulator
