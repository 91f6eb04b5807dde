// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// The Sandbox control plane: SandboxCreate, SandboxGetTaskId, SandboxWait, SandboxTerminate,
// SandboxGetFromName, SandboxList, SandboxTagsSet/Get, SandboxGetTunnels,
// SandboxCreateConnectToken, SandboxGetLogs and SandboxStdinWrite. The processes and their
// lifecycle live in sandbox_registry.{h,cc} and the runtime.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "control/control_plane.h"
#include "server/call_scope.h"
#include "server/ids.h"
#include "server/jwt.h"
#include "store/sandbox_registry.h"

namespace modal::emulator {
namespace {

using modal::client::GenericResult;
using runtime::Clock;

constexpr std::uint32_t kMaxTimeoutSecs = 24 * 3600;
constexpr std::size_t kMaxNameLength = 64;
constexpr auto kMaxLongPoll = std::chrono::seconds(55);
constexpr auto kReadSlice = std::chrono::milliseconds(200);
constexpr std::size_t kMaxLogChunk = 64 * 1024;
constexpr auto kTerminateWait = std::chrono::seconds(5);
constexpr auto kStdinWriteWait = std::chrono::seconds(20);

grpc::Status invalid(std::string msg) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::move(msg));
}

grpc::Status to_grpc(absl::Status const& st) {
  return grpc::Status(static_cast<grpc::StatusCode>(st.code()), std::string(st.message()));
}

grpc::Status sandbox_not_found(std::string const& id) {
  return grpc::Status(grpc::StatusCode::NOT_FOUND, absl::StrCat("Sandbox '", id, "' not found"));
}

bool valid_object_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

/// now + `secs` seconds, clamped to [0, kMaxLongPoll].
runtime::Deadline long_poll_deadline(float secs) {
  auto d = std::chrono::duration<double>(std::max(0.0f, secs));
  auto capped = std::min<std::chrono::nanoseconds>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(d), kMaxLongPoll);
  return Clock::now() + capped;
}

/// "N-0" (or "" / "0-0") -> N; nullopt when malformed.
std::optional<std::uint64_t> parse_entry_id(std::string_view id) {
  if (id.empty()) return 0;
  auto const dash = id.find('-');
  std::uint64_t n = 0;
  if (!absl::SimpleAtoi(std::string(id.substr(0, dash)), &n)) return std::nullopt;
  return n;
}

/// Length of the UTF-8 sequence starting with `c` (0 if `c` cannot start one).
int utf8_sequence_length(unsigned char c) {
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return 2;
  if (c >= 0xE0 && c <= 0xEF) return 3;
  if (c >= 0xF0 && c <= 0xF4) return 4;
  return 0;
}

bool valid_sequence(std::string_view s) {
  auto const b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  for (std::size_t i = 1; i < s.size(); ++i) {
    if ((b(i) & 0xC0) != 0x80) return false;
  }
  if (s.size() >= 2) {
    unsigned char const c0 = b(0), c1 = b(1);
    if (c0 == 0xE0 && c1 < 0xA0) return false;  // overlong
    if (c0 == 0xED && c1 > 0x9F) return false;  // surrogates
    if (c0 == 0xF0 && c1 < 0x90) return false;  // overlong
    if (c0 == 0xF4 && c1 > 0x8F) return false;  // > U+10FFFF
  }
  return true;
}

/**
 * TaskLogs.data is a proto3 `string`, which must be UTF-8 (a C++ client refuses to parse
 * anything else). Appends the valid UTF-8 prefix of `in` to `out`, invalid bytes replaced
 * by U+FFFD, and returns how many bytes of `in` were consumed: an incomplete sequence at
 * the end is left for the next call unless `final`.
 */
std::size_t append_utf8(std::string_view in, bool final, std::string& out) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::size_t i = 0;
  while (i < in.size()) {
    auto const c = static_cast<unsigned char>(in[i]);
    int const len = utf8_sequence_length(c);
    if (len == 1) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    if (len == 0) {
      out.append(kReplacement);
      ++i;
      continue;
    }
    if (i + static_cast<std::size_t>(len) > in.size()) {
      // Possibly a sequence cut by the chunk boundary.
      if (!final && valid_sequence(in.substr(i))) return i;
      out.append(kReplacement);
      ++i;
      continue;
    }
    auto const seq = in.substr(i, static_cast<std::size_t>(len));
    if (valid_sequence(seq)) {
      out.append(seq);
      i += static_cast<std::size_t>(len);
    } else {
      out.append(kReplacement);
      ++i;
    }
  }
  return i;
}

void fill_metadata(SandboxRecord const& rec, modal::client::SandboxHandleMetadata* md) {
  md->set_app_id(rec.app_id);
  if (auto r = rec.result()) *md->mutable_result() = *r;
}

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

}  // namespace

grpc::Status ControlPlane::SandboxCreate(grpc::ServerContext* ctx,
                                         modal::client::SandboxCreateRequest const* req,
                                         modal::client::SandboxCreateResponse* resp) {
  CallScope scope(core_, ctx, "SandboxCreate", Plane::kControl);
  if (!scope.ok()) return scope.status();

  auto const& def = req->definition();
  // Arguments first (INVALID_ARGUMENT), then references (NOT_FOUND).
  if (def.has_workdir() && !def.workdir().empty() && def.workdir().front() != '/') {
    return invalid(absl::StrCat("workdir must be an absolute path, got '", def.workdir(), "'"));
  }
  if (def.timeout_secs() > kMaxTimeoutSecs) {
    return invalid(absl::StrCat("timeout_secs must be at most ", kMaxTimeoutSecs, ", got ",
                                def.timeout_secs()));
  }
  if (def.has_idle_timeout_secs() && def.idle_timeout_secs() > kMaxTimeoutSecs) {
    return invalid(absl::StrCat("idle_timeout_secs must be at most ", kMaxTimeoutSecs));
  }
  if (def.has_name() && !def.name().empty() && !valid_object_name(def.name())) {
    return invalid(absl::StrCat("Invalid Sandbox name '", def.name(),
                                "': names may contain only alphanumeric characters, dashes, "
                                "periods and underscores, and be at most 64 characters"));
  }
  bool const blocked = def.block_network() || def.network_access().network_access_type() ==
                                                  modal::client::NetworkAccess::BLOCKED;
  if (def.has_open_ports()) {
    for (auto const& p : def.open_ports().ports()) {
      if (p.port() == 0 || p.port() > 65535) {
        return invalid(absl::StrCat("port ", p.port(), " is out of range [1, 65535]"));
      }
    }
    if (blocked && def.open_ports().ports_size() > 0) {
      return invalid("open ports cannot be used when the network is blocked");
    }
  }
  for (auto const& m : def.volume_mounts()) {
    if (m.mount_path().empty() || m.mount_path().front() != '/') {
      return invalid(
          absl::StrCat("volume mount path must be absolute, got '", m.mount_path(), "'"));
    }
  }
  for (auto const& m : def.cloud_bucket_mounts()) {
    if (m.mount_path().empty() || m.mount_path().front() != '/') {
      return invalid(
          absl::StrCat("cloud bucket mount path must be absolute, got '", m.mount_path(), "'"));
    }
  }

  SandboxLaunch launch;
  {
    State& state = scope.state();
    std::lock_guard<std::mutex> lock(state.mu);
    AppRecord const* app = state.find_app(req->app_id());
    if (app == nullptr) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          absl::StrCat("App '", req->app_id(), "' not found"));
    }
    auto image = state.images.find(def.image_id());
    if (image == state.images.end()) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          absl::StrCat("Image '", def.image_id(), "' not found"));
    }
    if (image->second.status != GenericResult::GENERIC_STATUS_SUCCESS) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          absl::StrCat("Image '", def.image_id(), "' failed to build"));
    }
    for (auto const& secret_id : def.secret_ids()) {
      SecretRecord const* secret = state.find_secret(secret_id);
      if (secret == nullptr) {
        return grpc::Status(grpc::StatusCode::NOT_FOUND,
                            absl::StrCat("Secret '", secret_id, "' not found"));
      }
      for (auto const& [k, v] : secret->env) launch.env[k] = v;
    }
    for (auto const& m : def.volume_mounts()) {
      if (state.volumes.count(m.volume_id()) == 0) {
        return grpc::Status(grpc::StatusCode::NOT_FOUND,
                            absl::StrCat("Volume '", m.volume_id(), "' not found"));
      }
    }
    for (auto const& m : def.cloud_bucket_mounts()) {
      if (!m.credentials_secret_id().empty() &&
          state.find_secret(m.credentials_secret_id()) == nullptr) {
        return grpc::Status(grpc::StatusCode::NOT_FOUND,
                            absl::StrCat("Secret '", m.credentials_secret_id(), "' not found"));
      }
    }
    if (def.has_proxy_id() && !def.proxy_id().empty() && state.proxies.count(def.proxy_id()) == 0) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          absl::StrCat("Proxy '", def.proxy_id(), "' not found"));
    }
    launch.app_id = app->id;
    launch.app_name = app->ephemeral ? std::string() : app->name;
    launch.environment = app->environment;
  }
  for (auto const& [k, v] : def.environment_variables().contents()) launch.env[k] = v;
  for (auto const& tag : req->tags()) launch.tags[tag.tag_name()] = tag.tag_value();
  launch.image_id = def.image_id();
  launch.definition = def;

  auto rec = core_.sandboxes().create(std::move(launch));
  if (!rec.ok()) return to_grpc(rec.status());
  resp->set_sandbox_id((*rec)->id);
  fill_metadata(**rec, resp->mutable_metadata());
  return grpc::Status::OK;
}

grpc::Status ControlPlane::SandboxGetTaskId(grpc::ServerContext* ctx,
                                            modal::client::SandboxGetTaskIdRequest const* req,
                                            modal::client::SandboxGetTaskIdResponse* resp) {
  CallScope scope(core_, ctx, "SandboxGetTaskId", Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto rec = core_.sandboxes().find(req->sandbox_id());
  if (rec == nullptr) return sandbox_not_found(req->sandbox_id());
  if (req->wait_until_ready()) {
    auto const deadline = long_poll_deadline(req->has_timeout() ? req->timeout() : 55.0f);
    rec->wait_until_ready(deadline, [ctx] { return ctx->IsCancelled(); });
  }
  if (auto r = rec->result()) {
    *resp->mutable_task_result() = *r;
  } else {
    resp->set_task_id(rec->task_id);
  }
  return grpc::Status::OK;
}

grpc::Status ControlPlane::SandboxWait(grpc::ServerContext* ctx,
                                       modal::client::SandboxWaitRequest const* req,
                                       modal::client::SandboxWaitResponse* resp) {
  CallScope scope(core_, ctx, "SandboxWait", Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto rec = core_.sandboxes().find(req->sandbox_id());
  if (rec == nullptr) return sandbox_not_found(req->sandbox_id());
  auto result = rec->wait(long_poll_deadline(req->timeout()), [ctx] { return ctx->IsCancelled(); });
  if (result.has_value()) *resp->mutable_result() = *result;
  fill_metadata(*rec, resp->mutable_metadata());
  return grpc::Status::OK;
}

grpc::Status ControlPlane::SandboxTerminate(grpc::ServerContext* ctx,
                                            modal::client::SandboxTerminateRequest const* req,
                                            modal::client::SandboxTerminateResponse* resp) {
  CallScope scope(core_, ctx, "SandboxTerminate", Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto rec = core_.sandboxes().find(req->sandbox_id());
  if (rec == nullptr) return sandbox_not_found(req->sandbox_id());
  if (auto r = rec->result()) {
    *resp->mutable_existing_result() = *r;
    return grpc::Status::OK;
  }
  if (auto sb = rec->runtime()) sb->terminate();  // SIGKILL to every process → 137
  // Answer once it is gone, so that a poll right after sees the result.
  rec->wait(Clock::now() + kTerminateWait, [ctx] { return ctx->IsCancelled(); });
  core_.log(absl::StrCat("sandbox ", rec->id, " terminated"));
  return grpc::Status::OK;
}

grpc::Status ControlPlane::SandboxGetFromName(grpc::ServerContext* ctx,
                                              modal::client::SandboxGetFromNameRequest const* req,
                                              modal::client::SandboxGetFromNameResponse* resp) {
  CallScope scope(core_, ctx, "SandboxGetFromName", Plane::kControl);
  if (!scope.ok()) return scope.status();
  std::string app_id;
  {
    State& state = scope.state();
    std::lock_guard<std::mutex> lock(state.mu);
    auto const* env = state.find_environment(req->environment_name());
    if (env == nullptr) {
      return environment_not_found(req->environment_name());
    }
    auto it = state.apps_by_name.find({env->name, req->app_name()});
    if (it == state.apps_by_name.end()) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          absl::StrCat("App '", req->app_name(), "' not found"));
    }
    app_id = it->second;
  }
  auto rec = core_.sandboxes().find_by_name(app_id, req->sandbox_name());
  if (rec == nullptr) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("Sandbox with name '", req->sandbox_name(),
                                     "' not found in App '", req->app_name(), "'"));
  }
  resp->set_sandbox_id(rec->id);
  fill_metadata(*rec, resp->mutable_metadata());
  return grpc::Status::OK;
}

grpc::Status ControlPlane::SandboxList(grpc::ServerContext* ctx,
                                       modal::client::SandboxListRequest const* req,
                                       modal::client::SandboxListResponse* resp) {
  CallScope scope(core_, ctx, "SandboxList", Plane::kControl);
  if (!scope.ok()) return scope.status();
  std::string env_name;
  {
    State& state = scope.state();
    std::lock_guard<std::mutex> lock(state.mu);
    auto const* env = state.find_environment(req->environment_name());
    if (env == nullptr) {
      return environment_not_found(req->environment_name());
    }
    env_name = env->name;
    if (!req->app_id().empty() && state.find_app(req->app_id()) == nullptr) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          absl::StrCat("App '", req->app_id(), "' not found"));
    }
  }
  int const page = std::max(1, core_.options().sandbox_list_page_size);
  for (auto const& rec : core_.sandboxes().list()) {  // newest first
    if (!req->app_id().empty() ? rec->app_id != req->app_id() : rec->environment != env_name) {
      continue;
    }
    if (req->before_timestamp() > 0 && rec->created_at >= req->before_timestamp()) continue;
    if (!req->include_finished() && rec->finished()) continue;
    if (!req->tags().empty()) {
      auto const tags = rec->tags();
      bool const all = std::all_of(req->tags().begin(), req->tags().end(), [&](auto const& t) {
        auto it = tags.find(t.tag_name());
        return it != tags.end() && it->second == t.tag_value();
      });
      if (!all) continue;
    }
    fill_info(*rec, resp->add_sandboxes());
    if (resp->sandboxes_size() >= page) break;
  }
  return grpc::Status::OK;
}

grpc::Status ControlPlane::SandboxTagsSet(grpc::ServerContext* ctx,
                                          modal::client::SandboxTagsSetRequest const* req,
                                          google::protobuf::Empty* /*resp*/) {
  CallScope scope(core_, ctx, "SandboxTagsSet", Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto rec = core_.sandboxes().find(req->sandbox_id());
  if (rec == nullptr) return sandbox_not_found(req->sandbox_id());
  std::map<std::string, std::string> tags;
  for (auto const& tag : req->tags()) {
    if (tag.tag_name().empty()) return invalid("tag names must not be empty");
    tags[tag.tag_name()] = tag.tag_value();
  }
  rec->set_tags(std::move(tags));
  return grpc::Status::OK;
}

grpc::Status ControlPlane::SandboxTagsGet(grpc::ServerContext* ctx,
                                          modal::client::SandboxTagsGetRequest const* req,
                                          modal::client::SandboxTagsGetResponse* resp) {
  CallScope scope(core_, ctx, "SandboxTagsGet", Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto rec = core_.sandboxes().find(req->sandbox_id());
  if (rec == nullptr) return sandbox_not_found(req->sandbox_id());
  for (auto const& [k, v] : rec->tags()) {
    auto* tag = resp->add_tags();
    tag->set_tag_name(k);
    tag->set_tag_value(v);
  }
  return grpc::Status::OK;
}

grpc::Status ControlPlane::SandboxGetTunnels(grpc::ServerContext* ctx,
                                             modal::client::SandboxGetTunnelsRequest const* req,
                                             modal::client::SandboxGetTunnelsResponse* resp) {
  CallScope scope(core_, ctx, "SandboxGetTunnels", Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto rec = core_.sandboxes().find(req->sandbox_id());
  if (rec == nullptr) return sandbox_not_found(req->sandbox_id());
  if (rec->finished()) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        absl::StrCat("Sandbox '", rec->id, "' has already finished"));
  }
  // Emulated provisioning time: tunnels exist `tunnel_delay` after the start.
  auto const delay = std::chrono::duration<double>(core_.options().tunnel_delay);
  auto const remaining = std::chrono::duration<double>(rec->started_at() - unix_now()) + delay;
  if (remaining.count() > 0) {
    auto const deadline = long_poll_deadline(req->timeout());
    auto const ready = Clock::now() + std::chrono::duration_cast<Clock::duration>(remaining);
    auto const until = std::min(deadline, ready);
    while (Clock::now() < until && !ctx->IsCancelled() && !core_.shutting_down()) {
      std::this_thread::sleep_for(std::min<Clock::duration>(until - Clock::now(), kReadSlice));
    }
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

grpc::Status ControlPlane::SandboxCreateConnectToken(
    grpc::ServerContext* ctx, modal::client::SandboxCreateConnectTokenRequest const* req,
    modal::client::SandboxCreateConnectTokenResponse* resp) {
  CallScope scope(core_, ctx, "SandboxCreateConnectToken", Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto rec = core_.sandboxes().find(req->sandbox_id());
  if (rec == nullptr) return sandbox_not_found(req->sandbox_id());
  std::uint32_t const port = req->has_port() ? req->port() : 8080;
  if (port == 0 || port > 65535) {
    return invalid(absl::StrCat("port must be in [1, 65535], got ", port));
  }
  if (rec->finished()) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        absl::StrCat("Sandbox '", rec->id, "' has already finished"));
  }
  // No authenticating proxy in front: the URL is the sandbox's port itself.
  resp->set_url(absl::StrCat("http://127.0.0.1:", port));
  resp->set_token(absl::StrCat("ct-", random_alnum(40)));
  return grpc::Status::OK;
}

grpc::Status ControlPlane::SandboxGetLogs(
    grpc::ServerContext* ctx, modal::client::SandboxGetLogsRequest const* req,
    grpc::ServerWriter<modal::client::TaskLogsBatch>* writer) {
  CallScope scope(core_, ctx, "SandboxGetLogs", Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto rec = core_.sandboxes().find(req->sandbox_id());
  if (rec == nullptr) return sandbox_not_found(req->sandbox_id());
  auto const fd = req->file_descriptor();
  auto const start = parse_entry_id(req->last_entry_id());
  if (!start.has_value()) {
    return invalid(absl::StrCat("malformed last_entry_id '", req->last_entry_id(), "'"));
  }
  int const break_after = core_.options().stream_break_after;
  int sent = 0;
  auto const send = [&](modal::client::TaskLogsBatch& batch) -> grpc::Status {
    if (break_after > 0 && sent >= break_after) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          "stream interrupted by modal-emulator (stream_break_after)");
    }
    batch.set_task_id(rec->task_id);
    if (!writer->Write(batch)) return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
    ++sent;
    return grpc::Status::OK;
  };
  if (fd == modal::client::FILE_DESCRIPTOR_INFO) {  // no system messages: empty
    modal::client::TaskLogsBatch eof;
    eof.set_entry_id(absl::StrCat(*start, "-0"));
    eof.set_eof(true);
    return send(eof);
  }
  if (fd != modal::client::FILE_DESCRIPTOR_STDOUT && fd != modal::client::FILE_DESCRIPTOR_STDERR) {
    return invalid(absl::StrCat("unsupported file_descriptor ", static_cast<int>(fd)));
  }
  auto const buffer = rec->log_buffer(fd == modal::client::FILE_DESCRIPTOR_STDERR);
  auto const deadline = long_poll_deadline(req->timeout() > 0 ? req->timeout() : 55.0f);

  std::uint64_t offset = *start;  // next byte to read from the buffer
  std::string pending;            // read but not yet sent (a cut UTF-8 sequence)
  while (true) {
    if (ctx->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
    if (core_.shutting_down()) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "shutting down");
    auto const now = Clock::now();
    if (now >= deadline) return grpc::Status::OK;  // the client reconnects
    auto chunk = buffer->read(offset, kMaxLogChunk, std::min(deadline, now + kReadSlice));
    bool eof = false;
    if (!chunk.ok()) {
      if (chunk.status().code() != absl::StatusCode::kOutOfRange) return to_grpc(chunk.status());
      eof = true;  // past the end of a closed stream
    } else {
      if (chunk->offset != offset) pending.clear();  // dropped (oldest logs discarded)
      pending += chunk->data;
      offset = chunk->offset + chunk->data.size();
      eof = chunk->eof;
    }
    if (!pending.empty()) {
      modal::client::TaskLogsBatch batch;
      std::string data;
      std::size_t const used = append_utf8(pending, eof, data);
      pending.erase(0, used);
      if (!data.empty()) {
        auto* item = batch.add_items();
        item->set_data(std::move(data));
        item->set_file_descriptor(fd);
        item->set_timestamp(unix_now());
        batch.set_entry_id(absl::StrCat(offset - pending.size(), "-0"));
        if (auto st = send(batch); !st.ok()) return st;
      }
    }
    if (eof) {
      modal::client::TaskLogsBatch done;
      done.set_entry_id(absl::StrCat(offset, "-0"));
      done.set_eof(true);
      return send(done);
    }
  }
}

grpc::Status ControlPlane::SandboxStdinWrite(grpc::ServerContext* ctx,
                                             modal::client::SandboxStdinWriteRequest const* req,
                                             modal::client::SandboxStdinWriteResponse* /*resp*/) {
  CallScope scope(core_, ctx, "SandboxStdinWrite", Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto rec = core_.sandboxes().find(req->sandbox_id());
  if (rec == nullptr) return sandbox_not_found(req->sandbox_id());
  auto sb = rec->runtime();
  if (sb == nullptr || rec->finished()) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        absl::StrCat("Sandbox '", rec->id, "' has already finished"));
  }
  if (req->index() == 0) return invalid("stdin index must start at 1");
  auto st = sb->write_stdin(req->index(), req->input(), req->eof(),
                            runtime::deadline_after(kStdinWriteWait));
  return to_grpc(st);
}

}  // namespace modal::emulator
