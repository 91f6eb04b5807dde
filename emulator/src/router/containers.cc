// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// TaskContainerCreate, TaskContainerGet, TaskContainerList, TaskContainerTerminate,
// TaskContainerWait: sidecar containers of a Sandbox (router/container_registry.h).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "control/definitions.h"
#include "control/secret_sources.h"
#include "router/container_registry.h"
#include "router/router.h"
#include "runtime/runtime.h"
#include "runtime/sandbox.h"
#include "server/call_scope.h"
#include "server/status.h"
#include "store/sandbox_registry.h"

namespace modal::emulator {
namespace {

namespace tcr = modal::task_command_router;
using modal::client::GenericResult;
using modal::client::NetworkAccess;

/// As for exec arguments (Modal's SDKs check the same bound).
constexpr std::size_t kMaxArgsBytes = 65536;
/// Longest TaskContainerWait (the SDKs ask for 10 s).
constexpr double kMaxWaitSecs = 60;
/// Blocking waits are cut into slices this long to notice cancellation and shutdown.
constexpr auto kSlice = std::chrono::milliseconds(100);

grpc::Status invalid(std::string const& message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message);
}

grpc::Status precondition(std::string const& message) {
  return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, message);
}

grpc::Status container_not_found(std::string_view what, std::string_view task_id) {
  return grpc::Status(grpc::StatusCode::NOT_FOUND,
                      absl::StrCat("Container ", std::string(what), " not found in task '",
                                   std::string(task_id), "'"));
}

/// Non-empty, not "main", and an object name (as Sandbox names: [A-Za-z0-9._-], <= 64).
grpc::Status validate_name(std::string_view name) {
  if (name.empty()) return invalid("container_name must not be empty");
  if (name == kMainContainerName) {
    return invalid("the container name \"main\" is reserved for the Sandbox's main container");
  }
  if (!valid_object_name(name)) {
    return invalid(absl::StrCat("Invalid container name '", std::string(name),
                                "': names may contain only alphanumeric characters, dashes, "
                                "periods and underscores, and be at most 64 characters"));
  }
  return grpc::Status::OK;
}

grpc::Status validate_create(tcr::TaskContainerCreateRequest const& req) {
  if (auto st = validate_name(req.container_name()); !st.ok()) return st;
  if (req.image_id().empty()) return invalid("image_id is required");
  if (!req.workdir().empty() && req.workdir().front() != '/') {
    return invalid(absl::StrCat("workdir must be an absolute path, got '", req.workdir(), "'"));
  }
  std::size_t bytes = 0;
  for (auto const& a : req.args()) bytes += a.size();
  if (bytes > kMaxArgsBytes) {
    return invalid(absl::StrCat("args are ", bytes, " bytes in total, more than the limit of ",
                                kMaxArgsBytes));
  }
  if (req.has_network_access() &&
      req.network_access().network_access_type() == NetworkAccess::BLOCKED) {
    return invalid(
        "a sidecar's network cannot be BLOCKED: it would have no way to reach the main "
        "container (use an empty allowlist to block external egress)");
  }
  std::set<std::string> paths;
  for (auto const& m : req.volume_mounts()) {
    if (m.mount_path().empty() || m.mount_path().front() != '/') {
      return invalid(
          absl::StrCat("volume mount path must be absolute, got '", m.mount_path(), "'"));
    }
    std::string const path = mount_key(m.mount_path());
    if (path == "/") return invalid("a Volume cannot be mounted at /");
    if (!paths.insert(path).second) {
      return invalid(absl::StrCat("volume mount path '", path, "' is used more than once"));
    }
  }
  return grpc::Status::OK;
}

/// What the emulator can enforce of a sidecar's outbound policy: the sidecar shares the
/// main container's network, so (as for TaskSetNetworkAccess) an allowlist applies only
/// when it changes nothing: empty in a Sandbox whose network is its own loopback-only
/// namespace, allow-all on the host's network. Open access (the default) is the main
/// container's network as it is.
grpc::Status check_network(tcr::TaskContainerCreateRequest const& req, bool own_namespace) {
  if (!req.has_network_access() ||
      req.network_access().network_access_type() != NetworkAccess::ALLOWLIST) {
    return grpc::Status::OK;
  }
  auto const& access = req.network_access();
  bool const deny_all = access.allowed_cidrs().empty() && access.allowed_domains().empty();
  bool const allow_all =
      std::any_of(access.allowed_cidrs().begin(), access.allowed_cidrs().end(),
                  [](std::string const& c) { return c == "0.0.0.0/0" || c == "::/0"; });
  if (own_namespace && deny_all) return grpc::Status::OK;
  if (!own_namespace && allow_all) return grpc::Status::OK;
  return precondition(
      own_namespace
          ? "in the emulator a sidecar shares its Sandbox's network, which is blocked (only "
            "loopback): only an empty outbound allowlist applies"
          : "in the emulator a sidecar shares its Sandbox's network, the host's, whose outbound "
            "connections it cannot filter (only an allow-all CIDR allowlist such as 0.0.0.0/0 "
            "applies)");
}

absl::StatusOr<std::vector<runtime::VolumeMount>> resolve_volumes(
    Core& core, tcr::TaskContainerCreateRequest const& req) {
  std::vector<runtime::VolumeMount> out;
  for (auto const& m : req.volume_mounts()) {
    auto mount = resolve_volume_mount(core, m);
    if (!mount.ok()) return mount.status();
    out.push_back(*std::move(mount));
  }
  return out;
}

/// The sidecar's environment: Modal's variables, the image's ENV, Secrets in order, the
/// request's variables, then `secret_sources` in order.
absl::StatusOr<std::map<std::string, std::string>> sidecar_environment(
    Core& core, SandboxRecord const& sandbox, tcr::TaskContainerCreateRequest const& req,
    ImageRecord const& image, std::string const& container_id) {
  std::map<std::string, std::string> env = {
      {"MODAL_TASK_ID", sandbox.task_id},         {"MODAL_SANDBOX_ID", sandbox.id},
      {"MODAL_CONTAINER_ID", container_id},       {"MODAL_IMAGE_ID", req.image_id()},
      {"MODAL_ENVIRONMENT", sandbox.environment}, {"MODAL_IS_REMOTE", "1"}};
  for (auto const& [k, v] : image.config.env) env[k] = v;
  for (auto const& id : req.secret_ids()) {
    auto secret = core.secrets().get(id);
    if (!secret.ok()) return secret.status();
    for (auto const& [k, v] : secret->env) env[k] = v;
  }
  for (auto const& [k, v] : req.env()) env[k] = v;
  if (auto st = apply_secret_sources(core, req.secret_sources(), env); !st.ok()) return st;
  return env;
}

/// A sidecar whose command could not start finishes at once, as a container would
/// (127: no such executable, 126: cannot start), instead of failing the RPC.
GenericResult failed_start(absl::Status const& status) {
  bool const missing = status.code() == absl::StatusCode::kNotFound;
  GenericResult r;
  r.set_status(GenericResult::GENERIC_STATUS_FAILURE);
  r.set_exitcode(missing ? 127 : 126);
  r.set_exception(
      absl::StrCat(missing ? "executable file not found: " : "cannot start: ", status.message()));
  return r;
}

std::string status_of(std::optional<GenericResult> const& result) {
  return result ? "terminated" : "running";
}

void fill_main(SandboxRecord const& sandbox, tcr::TaskContainerInfo* info) {
  info->set_container_id(sandbox.task_id);
  info->set_container_name(std::string(kMainContainerName));
  auto result = sandbox.result();
  info->set_status(status_of(result));
  if (result) *info->mutable_result() = *result;
}

void fill_sidecar(SidecarRecord const& rec, tcr::TaskContainerInfo* info) {
  info->set_container_id(rec.id);
  info->set_container_name(rec.name);
  auto result = rec.result();
  info->set_status(status_of(result));
  if (result) *info->mutable_result() = *result;
}

}  // namespace

grpc::Status Router::TaskContainerCreate(grpc::ServerContext* ctx,
                                         tcr::TaskContainerCreateRequest const* req,
                                         tcr::TaskContainerCreateResponse* resp) {
  CallScope scope(core_, ctx, "TaskContainerCreate", Plane::kRouter);
  if (auto st = authorize(scope, ctx, req->task_id()); !st.ok()) return st;
  return create_container(*req, resp);
}

grpc::Status Router::create_container(tcr::TaskContainerCreateRequest const& request,
                                      tcr::TaskContainerCreateResponse* resp) {
  auto const* req = &request;
  if (auto st = validate_create(*req); !st.ok()) return st;
  auto found = core_.sandboxes().get_by_task(req->task_id());
  if (!found.ok()) return to_grpc(found.status());
  std::shared_ptr<SandboxRecord> const sandbox = *found;
  std::shared_ptr<runtime::Sandbox> const main = sandbox->runtime();
  if (main == nullptr || sandbox->finished() || main->finished()) {
    return precondition(absl::StrCat("Sandbox ", sandbox->id, " has already terminated"));
  }
  auto image = core_.images().get(req->image_id());
  if (!image.ok()) return to_grpc(image.status());
  if (!image->succeeded()) {
    return precondition(absl::StrCat("Image '", req->image_id(), "' ",
                                     image->finished() ? "failed to build" : "is still building"));
  }
  if (auto st = check_network(*req, main->network_blocked()); !st.ok()) return st;
  auto volumes = resolve_volumes(core_, *req);
  if (!volumes.ok()) return to_grpc(volumes.status());
  runtime::Runtime* rt = core_.sandboxes().runtime();
  if (rt == nullptr) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the emulator is shutting down");
  }

  auto created = containers_.create(
      req->task_id(), req->container_name(),
      [&](std::string const& id) -> absl::StatusOr<std::shared_ptr<SidecarRecord>> {
        auto env = sidecar_environment(core_, *sandbox, *req, *image, id);
        if (!env.ok()) return env.status();
        runtime::SandboxSpec spec;
        spec.id = id;
        spec.argv.assign(req->args().begin(), req->args().end());
        spec.env = *std::move(env);
        spec.workdir = !req->workdir().empty() ? req->workdir() : image->config.workdir;
        spec.layers = image->layers;
        spec.rootfs = image->config.rootfs;
        spec.user = image->config.user;
        spec.volumes = *volumes;
        if (req->has_pty_info()) spec.pty = pty_options(req->pty_info());
        if (int const netns = main->dup_network_namespace(); netns >= 0) {
          spec.network_namespace = std::make_shared<runtime::internal::UniqueFd>(netns);
        }
        auto started = rt->create_sandbox(std::move(spec));
        if (started.ok()) {
          return std::make_shared<SidecarRecord>(id, req->container_name(), req->task_id(),
                                                 req->image_id(), *std::move(started));
        }
        auto const code = started.status().code();
        if (code == absl::StatusCode::kNotFound || code == absl::StatusCode::kInvalidArgument) {
          return std::make_shared<SidecarRecord>(id, req->container_name(), req->task_id(),
                                                 req->image_id(), failed_start(started.status()));
        }
        if (code == absl::StatusCode::kFailedPrecondition) return started.status();
        return absl::InternalError(
            absl::StrCat("could not start the sidecar: ", started.status().message()));
      });
  if (!created.ok()) return to_grpc(created.status());
  std::shared_ptr<SidecarRecord> const rec = *created;
  // It ends with its Sandbox (at once if the Sandbox finished meanwhile).
  if (rec->runtime() != nullptr) {
    std::weak_ptr<runtime::Sandbox> weak = rec->runtime();
    main->on_finished([weak](runtime::SandboxResult const&) {
      if (auto sidecar = weak.lock()) sidecar->terminate();
    });
  }
  resp->set_container_id(rec->id);
  resp->set_container_name(rec->name);
  core_.log(absl::StrCat("TaskContainerCreate: sidecar ", rec->name, " (", rec->id, ") in task ",
                         req->task_id(), rec->finished() ? " failed to start" : " started"));
  return grpc::Status::OK;
}

grpc::Status Router::TaskContainerGet(grpc::ServerContext* ctx,
                                      tcr::TaskContainerGetRequest const* req,
                                      tcr::TaskContainerGetResponse* resp) {
  CallScope scope(core_, ctx, "TaskContainerGet", Plane::kRouter);
  if (auto st = authorize(scope, ctx, req->task_id()); !st.ok()) return st;
  if (req->container_name().empty()) return invalid("container_name must not be empty");
  auto sandbox = core_.sandboxes().get_by_task(req->task_id());
  if (!sandbox.ok()) return to_grpc(sandbox.status());
  auto const what = absl::StrCat("'", req->container_name(), "'");
  if (req->container_name() == kMainContainerName) {
    if ((*sandbox)->finished() && !req->include_terminated()) {
      return container_not_found(what, req->task_id());
    }
    fill_main(**sandbox, resp->mutable_container());
    return grpc::Status::OK;
  }
  auto rec =
      containers_.find_by_name(req->task_id(), req->container_name(), req->include_terminated());
  if (rec == nullptr) return container_not_found(what, req->task_id());
  fill_sidecar(*rec, resp->mutable_container());
  return grpc::Status::OK;
}

grpc::Status Router::TaskContainerList(grpc::ServerContext* ctx,
                                       tcr::TaskContainerListRequest const* req,
                                       tcr::TaskContainerListResponse* resp) {
  CallScope scope(core_, ctx, "TaskContainerList", Plane::kRouter);
  if (auto st = authorize(scope, ctx, req->task_id()); !st.ok()) return st;
  auto sandbox = core_.sandboxes().get_by_task(req->task_id());
  if (!sandbox.ok()) return to_grpc(sandbox.status());
  if (req->include_terminated() || !(*sandbox)->finished()) {
    fill_main(**sandbox, resp->add_containers());
  }
  for (auto const& rec : containers_.list(req->task_id(), req->include_terminated())) {
    fill_sidecar(*rec, resp->add_containers());
  }
  return grpc::Status::OK;
}

grpc::Status Router::TaskContainerTerminate(grpc::ServerContext* ctx,
                                            tcr::TaskContainerTerminateRequest const* req,
                                            tcr::TaskContainerTerminateResponse* /*resp*/) {
  CallScope scope(core_, ctx, "TaskContainerTerminate", Plane::kRouter);
  if (auto st = authorize(scope, ctx, req->task_id()); !st.ok()) return st;
  if (req->container_id().empty()) return invalid("container_id must not be empty");
  auto sandbox = core_.sandboxes().get_by_task(req->task_id());
  if (!sandbox.ok()) return to_grpc(sandbox.status());
  if (req->container_id() == req->task_id()) {
    return invalid("the main container ends with its Sandbox: use SandboxTerminate");
  }
  auto rec = containers_.find(req->task_id(), req->container_id());
  if (rec == nullptr) {
    return container_not_found(absl::StrCat("'", req->container_id(), "'"), req->task_id());
  }
  rec->terminate();
  core_.log(absl::StrCat("TaskContainerTerminate: sidecar ", rec->name, " (", rec->id, ")"));
  return grpc::Status::OK;
}

grpc::Status Router::TaskContainerWait(grpc::ServerContext* ctx,
                                       tcr::TaskContainerWaitRequest const* req,
                                       tcr::TaskContainerWaitResponse* resp) {
  CallScope scope(core_, ctx, "TaskContainerWait", Plane::kRouter);
  if (auto st = authorize(scope, ctx, req->task_id()); !st.ok()) return st;
  if (req->container_id().empty()) return invalid("container_id must not be empty");
  if (!std::isfinite(req->timeout()) || req->timeout() < 0) {
    return invalid("timeout must be a non-negative number of seconds");
  }
  auto sandbox = core_.sandboxes().get_by_task(req->task_id());
  if (!sandbox.ok()) return to_grpc(sandbox.status());
  std::shared_ptr<SidecarRecord> rec;
  if (req->container_id() != req->task_id()) {
    rec = containers_.find(req->task_id(), req->container_id());
    if (rec == nullptr) {
      return container_not_found(absl::StrCat("'", req->container_id(), "'"), req->task_id());
    }
  }
  auto const deadline =
      runtime::Clock::now() +
      std::chrono::duration_cast<runtime::Clock::duration>(
          std::chrono::duration<double>(std::min<double>(req->timeout(), kMaxWaitSecs)));
  for (;;) {
    auto const slice = std::min(deadline, runtime::Clock::now() + kSlice);
    auto result = rec != nullptr ? rec->wait(slice) : (*sandbox)->wait(slice);
    if (result) {
      *resp->mutable_result() = *std::move(result);
      return grpc::Status::OK;
    }
    if (runtime::Clock::now() >= deadline) return grpc::Status::OK;  // still running
    if (ctx->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
    if (core_.shutting_down()) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the emulator is shutting down");
    }
  }
}

}  // namespace modal::emulator
