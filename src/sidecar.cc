// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Sandbox::experimental_sidecars(): sidecar containers through the Sandbox's command
// router (TaskContainerCreate / Get / List / Terminate / Wait; exec and TaskReloadVolumes
// with the sidecar's container id), as the Go SDK's sandbox_sidecar.go.
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "internal/client_state.h"
#include "internal/router_client.h"
#include "internal/sandbox_exec.h"
#include "internal/sandbox_state.h"
#include "internal/secret_state.h"
#include "internal/status.h"
#include "internal/validation.h"
#include "modal/errors.h"
#include "modal/sandbox.h"
#include "modal/sidecar.h"

namespace modal {
namespace internal {
namespace {

using modal::client::GenericResult;

constexpr std::string_view kMainContainerName = "main";
/// Seconds of each TaskContainerWait long poll (as Go's containerWaitPollTimeout).
constexpr float kContainerWaitPollSecs = 10;
/// Margin on top of the server-side long poll for the call's deadline.
constexpr auto kLongPollMargin = std::chrono::seconds(15);

void validate_name(std::string const& name) {
  if (name.empty()) throw InvalidError("sidecar name must not be empty");
  if (name == kMainContainerName) {
    throw InvalidError(
        "the name \"main\" is reserved for the Sandbox's main container. Use the Sandbox "
        "methods directly to interact with it");
  }
}

/// Exit code of a finished container's result (as Sandbox::wait); nullopt while running.
std::optional<int> return_code(GenericResult const& result) {
  switch (result.status()) {
    case GenericResult::GENERIC_STATUS_UNSPECIFIED:
      return std::nullopt;
    case GenericResult::GENERIC_STATUS_TIMEOUT:
      return 124;
    case GenericResult::GENERIC_STATUS_TERMINATED:
      return 137;
    default:
      return result.exitcode();
  }
}

/// A unary router call whose NOT_FOUND message starts with `summary` (status.h).
template <typename Req, typename Resp>
Resp call_with_summary(RouterClient& router, UnaryRpc<RouterStub, Req, Resp> const& rpc,
                       Req const& req, std::string const& summary,
                       CallControl const& control = {}) {
  Resp resp;
  auto status = run_call(router, rpc.name, RetryPolicy::router(), control, [&](Attempt& a) {
    resp.Clear();
    return rpc(router.stub(), a.context(), req, &resp);
  });
  if (!status.ok()) {
    throw_rpc_error(status, rpc.name,
                    status.error_code() == grpc::StatusCode::NOT_FOUND ? summary : std::string());
  }
  return resp;
}

modal::client::NetworkAccess outbound_network_access(SidecarCreateParams const& params) {
  modal::client::NetworkAccess access;
  if (!params.outbound_cidr_allowlist && !params.outbound_domain_allowlist) {
    access.set_network_access_type(modal::client::NetworkAccess::OPEN);
    return access;
  }
  access.set_network_access_type(modal::client::NetworkAccess::ALLOWLIST);
  if (params.outbound_cidr_allowlist) {
    for (auto const& cidr : *params.outbound_cidr_allowlist) access.add_allowed_cidrs(cidr);
  }
  if (params.outbound_domain_allowlist) {
    for (auto const& d : *params.outbound_domain_allowlist) access.add_allowed_domains(d);
  }
  return access;
}

}  // namespace

/// The shared state of a SidecarContainer and its copies.
struct SidecarState {
  std::shared_ptr<Sandbox const> sandbox;
  std::string container_id;
  std::string container_name;

  std::mutex mu;
  std::optional<GenericResult> result;  // guarded by mu; a terminal result once known

  static SidecarContainer make(std::shared_ptr<Sandbox const> sandbox, std::string id,
                               std::string name,
                               std::optional<GenericResult> result = std::nullopt) {
    auto state = std::make_shared<SidecarState>();
    state->sandbox = std::move(sandbox);
    state->container_id = std::move(id);
    state->container_name = std::move(name);
    if (result && result->status() != GenericResult::GENERIC_STATUS_UNSPECIFIED) {
      state->result = std::move(result);
    }
    return SidecarContainer(std::move(state));
  }

  std::optional<int> cached_code() {
    std::lock_guard lock(mu);
    if (!result) return std::nullopt;
    return return_code(*result);
  }

  /// One TaskContainerWait of `timeout_secs`; the exit code if finished (then cached).
  std::optional<int> wait_once(float timeout_secs) {
    if (auto code = cached_code()) return code;
    auto router = SandboxState::of(*sandbox).router_client();
    task_command_router::TaskContainerWaitRequest req;
    req.set_task_id(router->task_id());
    req.set_container_id(container_id);
    req.set_timeout(timeout_secs);
    auto const deadline =
        Clock::now() +
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<float>(timeout_secs)) +
        kLongPollMargin;
    auto resp = router->call(rpc::TaskContainerWait, req, {.deadline = deadline, .stop = {}});
    if (!resp.has_result()) return std::nullopt;
    auto code = return_code(resp.result());
    if (!code) return std::nullopt;
    std::lock_guard lock(mu);
    result = resp.result();
    return code;
  }
};

}  // namespace internal

SidecarService Sandbox::experimental_sidecars() const {
  return SidecarService(std::make_shared<Sandbox const>(*this));
}

SidecarContainer SidecarService::create(std::string const& name, Image const& image,
                                        SidecarCreateParams const& params) const {
  auto& s = internal::SandboxState::of(*sandbox_);
  internal::validate_name(name);
  std::string const image_id = image.image_id();
  if (image_id.empty()) {
    throw InvalidError(
        "sidecar image must already be built. Call image.build(app) first or use "
        "client.images().from_id(...)");
  }
  if (!params.workdir.empty() && params.workdir.front() != '/') {
    throw InvalidError("workdir must be an absolute path, got: \"" + params.workdir + "\"");
  }
  internal::validate_command_bytes(params.command);
  for (auto const& [key, value] : params.env) {
    if (!internal::is_env_var_name(key)) {
      throw InvalidError("invalid environment variable name '" + key +
                         "': names must match [A-Za-z_][A-Za-z0-9_]*");
    }
  }
  s.ensure_usable();

  // from_map Secrets travel as plain variables (params.env wins); the others by id.
  auto [env, secret_ids] = internal::SecretState::split(params.secrets, params.env);

  auto router = s.router_client();
  internal::tcr::TaskContainerCreateRequest req;
  req.set_task_id(router->task_id());
  req.set_container_name(name);
  req.set_image_id(image_id);
  for (auto const& a : params.command) req.add_args(a);
  for (auto& [k, v] : env) (*req.mutable_env())[k] = std::move(v);
  req.set_workdir(params.workdir);
  for (auto& id : secret_ids) req.add_secret_ids(std::move(id));
  *req.mutable_network_access() = internal::outbound_network_access(params);
  if (params.pty) *req.mutable_pty_info() = internal::default_pty_info();
  auto resp = router->call(internal::rpc::TaskContainerCreate, req);
  std::string container_name = resp.container_name().empty() ? name : resp.container_name();
  s.client->logger().debug("sandbox {}: created sidecar {} ({})", s.sandbox_id, container_name,
                           resp.container_id());
  return internal::SidecarState::make(sandbox_, resp.container_id(), std::move(container_name));
}

SidecarContainer SidecarService::get(std::string const& name,
                                     SidecarGetParams const& params) const {
  auto& s = internal::SandboxState::of(*sandbox_);
  internal::validate_name(name);
  auto router = s.router_client();
  internal::tcr::TaskContainerGetRequest req;
  req.set_task_id(router->task_id());
  req.set_container_name(name);
  req.set_include_terminated(params.include_terminated);
  auto resp = internal::call_with_summary(*router, internal::rpc::TaskContainerGet, req,
                                          "Sidecar container \"" + name + "\" not found");
  if (!resp.has_container()) {
    throw ExecutionError("server returned no container for sidecar \"" + name + "\"");
  }
  auto const& info = resp.container();
  return internal::SidecarState::make(
      sandbox_, info.container_id(), info.container_name(),
      info.has_result() ? std::optional(info.result()) : std::nullopt);
}

std::vector<SidecarContainer> SidecarService::list(SidecarListParams const& params) const {
  auto& s = internal::SandboxState::of(*sandbox_);
  auto router = s.router_client();
  internal::tcr::TaskContainerListRequest req;
  req.set_task_id(router->task_id());
  req.set_include_terminated(params.include_terminated);
  auto resp = router->call(internal::rpc::TaskContainerList, req);
  std::vector<SidecarContainer> out;
  for (auto const& info : resp.containers()) {
    if (info.container_name() == internal::kMainContainerName) continue;
    out.push_back(internal::SidecarState::make(
        sandbox_, info.container_id(), info.container_name(),
        info.has_result() ? std::optional(info.result()) : std::nullopt));
  }
  return out;
}

std::string const& SidecarContainer::container_id() const { return state_->container_id; }
std::string const& SidecarContainer::container_name() const { return state_->container_name; }

ContainerProcess SidecarContainer::exec(std::vector<std::string> argv,
                                        SidecarExecParams const& params) const {
  return internal::exec_in_container(internal::SandboxState::of(*state_->sandbox), std::move(argv),
                                     params, state_->container_id);
}

SandboxFilesystem SidecarContainer::filesystem() const {
  return SandboxFilesystem(state_->sandbox, state_->container_id);
}

int SidecarContainer::wait() const {
  for (;;) {
    if (auto code = state_->wait_once(internal::kContainerWaitPollSecs)) return *code;
  }
}

std::optional<int> SidecarContainer::poll() const { return state_->wait_once(0); }

std::optional<int> SidecarContainer::terminate(SidecarTerminateParams const& params) const {
  auto router = internal::SandboxState::of(*state_->sandbox).router_client();
  internal::tcr::TaskContainerTerminateRequest req;
  req.set_task_id(router->task_id());
  req.set_container_id(state_->container_id);
  router->call(internal::rpc::TaskContainerTerminate, req);
  if (!params.wait) return std::nullopt;
  return wait();
}

void SidecarContainer::reload_volumes(SidecarReloadVolumesParams const& params) const {
  if (params.timeout.count() < 0) throw InvalidError("Timeout must not be negative");
  auto const timeout = params.timeout.count() == 0
                           ? std::chrono::milliseconds(std::chrono::seconds(55))
                           : params.timeout;
  auto router = internal::SandboxState::of(*state_->sandbox).router_client();
  internal::tcr::TaskReloadVolumesRequest req;
  req.set_task_id(router->task_id());
  req.set_container_id(state_->container_id);
  router->call(internal::rpc::TaskReloadVolumes, req,
               {.deadline = internal::Clock::now() + timeout, .stop = {}});
}

}  // namespace modal
