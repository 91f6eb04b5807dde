// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// SandboxCreate: validate the definition, resolve what it refers to, start it.
#include "control/sandboxes.h"

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "control/definitions.h"
#include "control/secret_sources.h"
#include "modal_proto/task_command_router.pb.h"
#include "router/router.h"
#include "runtime/volume_tree.h"
#include "server/call_scope.h"
#include "server/status.h"
#include "store/sandbox_registry.h"

namespace modal::emulator {
namespace {

constexpr std::uint32_t kMaxTimeoutSecs = 24 * 3600;

/// Workdir, timeouts and name.
grpc::Status validate_basics(modal::client::Sandbox const& def) {
  if (def.has_workdir() && !def.workdir().empty() && def.workdir().front() != '/') {
    return invalid_argument(
        absl::StrCat("workdir must be an absolute path, got '", def.workdir(), "'"));
  }
  if (def.timeout_secs() > kMaxTimeoutSecs) {
    return invalid_argument(absl::StrCat("timeout_secs must be at most ", kMaxTimeoutSecs, ", got ",
                                         def.timeout_secs()));
  }
  if (def.has_idle_timeout_secs() && def.idle_timeout_secs() > kMaxTimeoutSecs) {
    return invalid_argument(absl::StrCat("idle_timeout_secs must be at most ", kMaxTimeoutSecs));
  }
  if (def.has_name() && !def.name().empty() && !valid_object_name(def.name())) {
    return invalid_argument(
        absl::StrCat("Invalid Sandbox name '", def.name(),
                     "': names may contain only alphanumeric characters, dashes, "
                     "periods and underscores, and be at most 64 characters"));
  }
  return grpc::Status::OK;
}

/// Open ports (in range, and none with a blocked network) and mount paths (absolute).
grpc::Status validate_ports_and_mounts(modal::client::Sandbox const& def) {
  bool const blocked = def.block_network() || def.network_access().network_access_type() ==
                                                  modal::client::NetworkAccess::BLOCKED;
  if (def.has_open_ports()) {
    for (auto const& p : def.open_ports().ports()) {
      if (p.port() == 0 || p.port() > 65535) {
        return invalid_argument(absl::StrCat("port ", p.port(), " is out of range [1, 65535]"));
      }
    }
    if (blocked && def.open_ports().ports_size() > 0) {
      return invalid_argument("open ports cannot be used when the network is blocked");
    }
  }
  std::set<std::string> volume_paths;
  for (auto const& m : def.volume_mounts()) {
    if (m.mount_path().empty() || m.mount_path().front() != '/') {
      return invalid_argument(
          absl::StrCat("volume mount path must be absolute, got '", m.mount_path(), "'"));
    }
    std::string const path = mount_key(m.mount_path());
    if (path == "/") return invalid_argument("a Volume cannot be mounted at /");
    if (!volume_paths.insert(path).second) {
      return invalid_argument(
          absl::StrCat("volume mount path '", path, "' is used more than once"));
    }
    if (m.has_sub_path()) {
      if (auto sub = runtime::normal_sub_path(m.sub_path()); !sub.ok()) {
        return invalid_argument(std::string(sub.status().message()));
      }
    }
  }
  for (auto const& m : def.cloud_bucket_mounts()) {
    if (m.mount_path().empty() || m.mount_path().front() != '/') {
      return invalid_argument(
          absl::StrCat("cloud bucket mount path must be absolute, got '", m.mount_path(), "'"));
    }
    std::string const path = mount_key(m.mount_path());
    if (path == "/") return invalid_argument("a cloud bucket cannot be mounted at /");
    if (!volume_paths.insert(path).second) {
      return invalid_argument(absl::StrCat("mount path '", path, "' is used more than once"));
    }
    if (m.bucket_name().empty()) {
      return invalid_argument("cloud bucket mount without a bucket name");
    }
  }
  return grpc::Status::OK;
}

/// The image, which must exist and have been built successfully.
absl::StatusOr<ImageRecord> check_image(Core& core, modal::client::Sandbox const& def) {
  auto image = core.images().get(def.image_id());
  if (!image.ok()) return image.status();
  if (!image->succeeded()) {
    return absl::FailedPreconditionError(
        absl::StrCat("Image '", def.image_id(), "' ",
                     image->finished() ? "failed to build" : "is still building"));
  }
  return image;
}

/// Volumes, bucket credentials and the Proxy must exist. Each Volume mount, and each mount
/// of a bucket mapped to a local directory, becomes a bind mount of that directory (or of
/// its sub_path or key_prefix, resolved inside it: INVALID_ARGUMENT when that leads out of
/// it) for the runtime to move into the Sandbox.
absl::Status check_mounts_and_proxy(Core& core, modal::client::Sandbox const& def,
                                    std::vector<runtime::VolumeMount>* volumes) {
  for (auto const& m : def.volume_mounts()) {
    auto mount = resolve_volume_mount(core, m);
    if (!mount.ok()) return mount.status();
    volumes->push_back(*std::move(mount));
  }
  // A bucket the emulator maps to a local directory (EmulatorOptions::buckets) is mounted
  // like a Volume, its key_prefix as the sub path; any other is accepted and not mounted.
  auto const& buckets = core.options().buckets;
  for (auto const& m : def.cloud_bucket_mounts()) {
    if (!m.credentials_secret_id().empty()) {
      if (auto secret = core.secrets().get(m.credentials_secret_id()); !secret.ok()) {
        return secret.status();
      }
    }
    auto const dir = buckets.find(m.bucket_name());
    if (dir == buckets.end()) continue;
    std::string_view prefix = m.has_key_prefix() ? std::string_view(m.key_prefix()) : "";
    while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
    auto tree = runtime::open_volume_tree(dir->second, prefix, m.read_only());
    if (!tree.ok()) {
      if (tree.status().code() != absl::StatusCode::kInvalidArgument) return tree.status();
      return absl::InvalidArgumentError(absl::StrCat("cloud bucket '", m.bucket_name(),
                                                     "' key_prefix: ", tree.status().message()));
    }
    volumes->push_back(runtime::VolumeMount{*std::move(tree), mount_key(m.mount_path())});
  }
  if (def.has_proxy_id() && !def.proxy_id().empty()) {
    if (auto proxy = core.proxies().get(def.proxy_id()); !proxy.ok()) return proxy.status();
  }
  return absl::OkStatus();
}

/// What the registry needs to start the Sandbox: its App and environment (Secrets in
/// order, then the definition's variables), checking every reference on the way.
absl::StatusOr<SandboxLaunch> resolve_launch(
    Core& core, std::string const& app_id, modal::client::Sandbox const& def,
    google::protobuf::RepeatedPtrField<modal::client::SandboxTag> const& req_tags) {
  auto app = core.apps().get(app_id);
  if (!app.ok()) return app.status();
  auto image = check_image(core, def);
  if (!image.ok()) return image.status();
  SandboxLaunch launch;
  // The image's ENV first: Secrets and the definition's variables win.
  launch.env = image->config.env;
  for (auto const& secret_id : def.secret_ids()) {
    auto secret = core.secrets().get(secret_id);
    if (!secret.ok()) return secret.status();
    for (auto const& [k, v] : secret->env) launch.env[k] = v;
  }
  if (auto st = check_mounts_and_proxy(core, def, &launch.volumes); !st.ok()) return st;
  for (auto const& [k, v] : def.environment_variables().contents()) launch.env[k] = v;
  for (auto const& tag : req_tags) launch.tags[tag.tag_name()] = tag.tag_value();
  launch.app_id = app->id;
  launch.app_name = app->anonymous ? std::string() : app->name;
  launch.environment = app->environment;
  launch.image_id = def.image_id();
  launch.image_layers = image->layers;
  launch.image_config = image->config;
  launch.definition = def;
  return launch;
}

}  // namespace

grpc::Status SandboxHandlers::SandboxCreate(grpc::ServerContext* ctx,
                                            modal::client::SandboxCreateRequest const* req,
                                            modal::client::SandboxCreateResponse* resp) {
  CallScope scope(core_, ctx, "SandboxCreate", Plane::kControl);
  if (!scope.ok()) return scope.status();
  // Arguments first (INVALID_ARGUMENT), then references (NOT_FOUND), then the start.
  if (auto st = validate_basics(req->definition()); !st.ok()) return st;
  if (auto st = validate_ports_and_mounts(req->definition()); !st.ok()) return st;
  auto launch = resolve_launch(core_, req->app_id(), req->definition(), req->tags());
  if (!launch.ok()) return to_grpc(launch.status());
  auto rec = core_.sandboxes().create(*std::move(launch));
  if (!rec.ok()) return to_grpc(rec.status());
  resp->set_sandbox_id((*rec)->id);
  fill_metadata(**rec, resp->mutable_metadata());
  return grpc::Status::OK;
}

// SandboxCreateV2: the same Sandbox with a V2 id. V2 has no GPUs (upstream's clients
// refuse them before sending; the server does too); its environment adds
// ephemeral_secrets (what Modal's Go SDK sends for env) and then secret_sources (what
// npm modal 0.11.x sends for Secrets and env) after the definition's. The reply carries
// the task id, router access and (once provisioned) the tunnels, so that a client's
// first exec needs no further round trip.
grpc::Status SandboxHandlers::SandboxCreateV2(grpc::ServerContext* ctx,
                                              modal::client::SandboxCreateV2Request const* req,
                                              modal::client::SandboxCreateV2Response* resp) {
  CallScope scope(core_, ctx, "SandboxCreateV2", Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto const& def = req->definition();
  if (auto st = validate_basics(def); !st.ok()) return st;
  if (auto st = validate_ports_and_mounts(def); !st.ok()) return st;
  if (def.resources().has_gpu_config() && (def.resources().gpu_config().count() > 0 ||
                                           !def.resources().gpu_config().gpu_type().empty())) {
    return invalid_argument("GPUs are not supported by V2 Sandboxes");
  }
  auto launch = resolve_launch(core_, req->app_id(), def, req->tags());
  if (!launch.ok()) return to_grpc(launch.status());
  for (auto const& [k, v] : req->ephemeral_secrets().contents()) launch->env[k] = v;
  if (auto st = apply_secret_sources(core_, req->secret_sources(), launch->env); !st.ok()) {
    return to_grpc(st);
  }
  launch->v2 = true;
  auto rec = core_.sandboxes().create(*std::move(launch));
  if (!rec.ok()) return to_grpc(rec.status());
  auto const& sb = **rec;
  resp->set_sandbox_id(sb.id);
  resp->set_task_id(sb.task_id);
  fill_metadata(sb, resp->mutable_metadata());
  auto* access = resp->mutable_command_router_access();
  access->set_url(absl::StrCat("https://", core_.address()));
  access->set_jwt(core_.issue_router_token(sb.task_id));
  // Tunnels exist `tunnel_delay` after the start (SandboxGetTunnels waits for them).
  if (core_.options().tunnel_delay.count() <= 0) fill_tunnels(sb, resp->mutable_tunnels());
  return grpc::Status::OK;
}

grpc::Status SandboxHandlers::SandboxContainerCreateV2(
    grpc::ServerContext* ctx, modal::client::SandboxContainerCreateV2Request const* req,
    modal::client::SandboxContainerCreateV2Response* resp) {
  CallScope scope(core_, ctx, "SandboxContainerCreateV2", Plane::kControl);
  if (!scope.ok()) return scope.status();
  if (router_ == nullptr) {
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "no router serves sidecars here");
  }
  auto found = get_sandbox(req->sandbox_id(), SandboxApi::kV2);
  if (!found.ok()) return to_grpc(found.status());
  auto const& def = req->definition();
  modal::task_command_router::TaskContainerCreateRequest create;
  create.set_task_id((*found)->task_id);
  create.set_container_name(req->container_name());
  create.set_image_id(def.image_id());
  for (auto const& a : def.entrypoint_args()) create.add_args(a);
  if (def.has_workdir()) create.set_workdir(def.workdir());
  for (auto const& id : def.secret_ids()) create.add_secret_ids(id);
  *create.mutable_volume_mounts() = def.volume_mounts();
  if (def.has_network_access()) *create.mutable_network_access() = def.network_access();
  if (def.has_pty_info()) *create.mutable_pty_info() = def.pty_info();
  if (def.resources().memory_mb() > 0) {
    create.set_memory_reserve_consume_mib(def.resources().memory_mb());
  }
  for (auto const& [k, v] : req->ephemeral_secrets().contents()) (*create.mutable_env())[k] = v;
  *create.mutable_secret_sources() = req->secret_sources();
  modal::task_command_router::TaskContainerCreateResponse created;
  if (auto st = router_->create_container(create, &created); !st.ok()) return st;
  resp->set_container_id(created.container_id());
  resp->set_container_name(created.container_name());
  return grpc::Status::OK;
}

}  // namespace modal::emulator
