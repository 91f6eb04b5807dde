// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Sandbox::exec, Sandbox::wait_until_ready and the Sandbox's command router session.
#include <chrono>
#include <climits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "internal/client_state.h"
#include "internal/container_process_state.h"
#include "internal/router_client.h"
#include "internal/sandbox_exec.h"
#include "internal/sandbox_state.h"
#include "internal/secret_state.h"
#include "internal/status.h"
#include "internal/uuid.h"
#include "internal/validation.h"
#include "modal/errors.h"
#include "modal/sandbox.h"

namespace modal {
namespace internal {
namespace {

namespace tcr = modal::task_command_router;
using Clock = std::chrono::steady_clock;

// Linux allows 2^17 bytes of arguments; the rest is headroom for the runtime's own.
constexpr std::size_t kMaxArgBytes = std::size_t{1} << 16;

RouterAccess fetch_router_access(ClientState& client, std::string const& task_id,
                                 CancelScope const* scope) {
  modal::client::TaskGetCommandRouterAccessRequest req;
  req.set_task_id(task_id);
  auto resp = client.call(rpc::TaskGetCommandRouterAccess, req, {.scope = scope});
  return RouterAccess{resp.url(), resp.jwt()};
}

void validate_exec(std::vector<std::string> const& argv, SandboxExecParams const& params) {
  if (argv.empty()) throw InvalidError("exec needs a command: argv must not be empty");
  validate_command_bytes(argv);
  if (!params.workdir.empty() && params.workdir.front() != '/') {
    throw InvalidError("workdir must be an absolute path, got: \"" + params.workdir + "\"");
  }
  if (params.timeout) {
    auto const ms = params.timeout->count();
    if (ms < 0) {
      throw InvalidError("timeout must be non-negative, got " + std::to_string(ms) + " ms");
    }
    if (ms % 1000 != 0) {
      throw InvalidError("timeout must be a whole number of seconds, got " + std::to_string(ms) +
                         " ms");
    }
  }
  for (auto const& [key, value] : params.env) {
    if (!is_env_var_name(key)) {
      throw InvalidError("invalid environment variable name '" + key +
                         "': names must match [A-Za-z_][A-Za-z0-9_]*");
    }
  }
}

}  // namespace

void validate_command_bytes(std::vector<std::string> const& argv) {
  std::size_t total = 0;
  for (auto const& a : argv) total += a.size();
  if (total > kMaxArgBytes) {
    throw InvalidError("Total length of CMD arguments must be less than " +
                       std::to_string(kMaxArgBytes) + " bytes. Got " + std::to_string(total) +
                       " bytes.");
  }
}

modal::client::PTYInfo default_pty_info() {
  modal::client::PTYInfo pty;
  pty.set_enabled(true);
  pty.set_winsz_rows(24);
  pty.set_winsz_cols(80);
  pty.set_env_term("xterm-256color");
  pty.set_env_colorterm("truecolor");
  pty.set_pty_type(modal::client::PTYInfo::PTY_TYPE_SHELL);
  pty.set_no_terminate_on_idle_stdin(true);
  return pty;
}

std::string format_duration(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + " s";
  return std::to_string(d.count()) + " ms";
}

std::string describe(Probe const& probe) {
  if (probe.tcp_port()) return "TCP probe on port " + std::to_string(*probe.tcp_port());
  std::string cmd;
  for (auto const& a : probe.exec_argv()) cmd += (cmd.empty() ? "" : " ") + a;
  return "exec probe `" + cmd + "`";
}

void SandboxState::ensure_usable() const {
  ensure_attached();
  if (terminated) {
    throw ClientClosedError(kTerminatedMessage);
  }
}

std::shared_ptr<RouterClient> SandboxState::router_client(bool finished_ok) {
  ensure_usable();
  {
    std::lock_guard lock(mu);
    if (router) return router;
  }
  std::lock_guard create_lock(router_mu);
  {
    std::lock_guard lock(mu);
    if (router) return router;
  }
  scope->throw_if_cancelled();
  std::string const task_id = get_task_id(finished_ok);
  auto client_state = client;
  std::weak_ptr<CancelScope const> weak_scope = scope;
  auto fetch = [client_state, task_id, weak_scope] {
    auto s = weak_scope.lock();
    return fetch_router_access(*client_state, task_id, s.get());
  };
  // A V2 create reply's router access serves the first connection (no round trip).
  RouterAccess first;
  {
    std::lock_guard lock(mu);
    first =
        RouterAccess{std::exchange(seeded_router_url, {}), std::exchange(seeded_router_jwt, {})};
  }
  if (first.url.empty() || first.jwt.empty()) first = fetch();
  auto created = RouterClient::connect(client, *scope, task_id, std::move(first), fetch);
  std::lock_guard lock(mu);
  scope->throw_if_cancelled();  // detached meanwhile: `created` closes with its scope
  if (terminated) {
    created->close(kTerminatedMessage);
    ensure_usable();
  }
  router = created;
  return created;
}

void SandboxState::close_router(std::string const& reason) {
  std::shared_ptr<RouterClient> r;
  {
    std::lock_guard lock(mu);
    r = std::move(router);
    router.reset();
  }
  if (r) r->close(reason);
}

}  // namespace internal

ContainerProcess Sandbox::exec(std::vector<std::string> argv,
                               SandboxExecParams const& params) const {
  return internal::exec_in_container(*state_, std::move(argv), params, "");
}

namespace internal {

ContainerProcess exec_in_container(SandboxState& s, std::vector<std::string> argv,
                                   SandboxExecParams const& params,
                                   std::string const& container_id) {
  internal::validate_exec(argv, params);
  s.ensure_usable();

  // from_map Secrets travel as plain variables (params.env wins); the others by id.
  auto [env, secret_ids] = internal::SecretState::split(params.secrets, params.env);

  auto router = s.router_client();

  internal::tcr::TaskExecStartRequest req;
  std::string exec_id = internal::uuid4();
  req.set_task_id(router->task_id());
  req.set_exec_id(exec_id);
  for (auto& a : argv) req.add_command_args(std::move(a));
  req.set_stdout_config(params.stdout_behavior == StdioBehavior::kPipe
                            ? internal::tcr::TASK_EXEC_STDOUT_CONFIG_PIPE
                            : internal::tcr::TASK_EXEC_STDOUT_CONFIG_DEVNULL);
  req.set_stderr_config(params.stderr_behavior == StdioBehavior::kPipe
                            ? internal::tcr::TASK_EXEC_STDERR_CONFIG_PIPE
                            : internal::tcr::TASK_EXEC_STDERR_CONFIG_DEVNULL);
  std::optional<std::chrono::seconds> timeout;
  if (params.timeout && params.timeout->count() > 0) {
    timeout = std::chrono::duration_cast<std::chrono::seconds>(*params.timeout);
    req.set_timeout_secs(static_cast<std::uint32_t>(timeout->count()));
  }
  if (!params.workdir.empty()) req.set_workdir(params.workdir);
  for (auto& id : secret_ids) req.add_secret_ids(std::move(id));
  if (params.pty) *req.mutable_pty_info() = internal::default_pty_info();
  req.set_runtime_debug(false);
  for (auto& [k, v] : env) (*req.mutable_env())[k] = std::move(v);
  req.set_container_id(container_id);  // "" = the main container

  // The deadline counts from before the request leaves, so it never falls after the
  // server's own timeout kill.
  internal::ExecDeadline deadline;
  if (timeout) deadline = internal::Clock::now() + *timeout;
  router->call(internal::rpc::TaskExecStart, req);
  if (container_id.empty()) {
    s.client->logger().debug("sandbox {}: started exec {}", s.sandbox_id, exec_id);
  } else {
    s.client->logger().debug("sandbox {}: started exec {} in container {}", s.sandbox_id, exec_id,
                             container_id);
  }
  return internal::ContainerProcessState::make(std::move(router), std::move(exec_id), params,
                                               deadline);
}

}  // namespace internal

void Sandbox::wait_until_ready(std::chrono::milliseconds timeout) const {
  auto& s = *state_;
  s.ensure_usable();
  if (timeout.count() <= 0) {
    throw InvalidError("timeout must be positive, got " + std::to_string(timeout.count()) + " ms");
  }
  auto const deadline = internal::Clock::now() + timeout;
  auto router = s.router_client();
  auto policy = internal::RetryPolicy::router();
  policy.max_retries = INT_MAX;  // transient failures are retried until the deadline
  internal::tcr::SandboxWaitUntilReadyTcrRequest req;
  req.set_task_id(router->task_id());
  internal::tcr::SandboxWaitUntilReadyTcrResponse resp;
  auto const& rpc = internal::rpc::SandboxWaitUntilReady;
  auto status = internal::run_call(
      *router, rpc.name, policy, {.deadline = deadline}, [&](internal::Attempt& attempt) {
        auto const remaining = std::max<internal::Clock::duration>(
            deadline - internal::Clock::now(), std::chrono::milliseconds(1));
        req.set_timeout(std::chrono::duration<float>(remaining).count());
        resp.Clear();
        return rpc(router->stub(), attempt.context(), req, &resp);
      });
  if (status.ok()) return;
  if (internal::Clock::now() >= deadline) {
    std::string what =
        "Sandbox " + s.sandbox_id + " was not ready within " + internal::format_duration(timeout);
    if (s.probe) what += " (" + internal::describe(*s.probe) + ")";
    throw TimeoutError(what, StatusCode::kDeadlineExceeded, std::string(rpc.name));
  }
  std::string summary;
  if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
    summary = "Sandbox " + s.sandbox_id + " cannot become ready";
  }
  internal::throw_rpc_error(status, rpc.name, summary);
}

}  // namespace modal
