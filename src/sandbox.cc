// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Sandboxes: create/from_id/from_name/list and the Sandbox handle's lifecycle, tags,
// tunnels, connect tokens and entrypoint stdio. Exec and readiness: src/sandbox_exec.cc.
#include "modal/sandbox.h"

#include <algorithm>
#include <chrono>
#include <deque>

#include "internal/client_state.h"
#include "internal/image_state.h"
#include "internal/sandbox_params.h"
#include "internal/sandbox_state.h"
#include "internal/sandbox_stdio.h"
#include "internal/secret_state.h"
#include "internal/validation.h"
#include "modal/client.h"
#include "modal/errors.h"

namespace modal {

namespace rpc = internal::rpc;
using modal::client::GenericResult;

namespace internal {

namespace {

/// Seconds of each SandboxWait long poll.
constexpr float kWaitPollSecs = 10;
// Margin on top of a server-side long poll for the per-attempt deadline.
constexpr auto kLongPollMargin = std::chrono::seconds(15);
constexpr int kMaxTaskIdAttempts = 600;
constexpr auto kTaskIdPollInterval = std::chrono::milliseconds(500);
constexpr char kDetachedMessage[] = "Unable to perform operation on a detached sandbox";

/// Exit code of a finished Sandbox's result; nullopt while running.
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

/// One SandboxWait long poll of `timeout_secs`; the exit code if finished.
std::optional<int> wait_once(SandboxState& s, float timeout_secs) {
  modal::client::SandboxWaitRequest req;
  req.set_sandbox_id(s.sandbox_id);
  req.set_timeout(timeout_secs);
  auto opts = s.call_options();
  opts.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::duration<float>(timeout_secs)) +
                 kLongPollMargin;
  auto resp = s.client->call(s.v2 ? rpc::SandboxWaitV2 : rpc::SandboxWait, req, opts);
  if (!resp.has_result()) return std::nullopt;
  return return_code(resp.result());
}

int wait_until_finished(SandboxState& s) {
  while (true) {
    if (auto code = wait_once(s, kWaitPollSecs)) {
      s.client->logger().debug("sandbox {} finished with exit code {}", s.sandbox_id, *code);
      return *code;
    }
  }
}

google::protobuf::RepeatedPtrField<modal::client::SandboxTag> to_proto_tags(
    std::map<std::string, std::string> const& tags) {
  google::protobuf::RepeatedPtrField<modal::client::SandboxTag> out;
  for (auto const& [k, v] : tags) {
    auto* tag = out.Add();
    tag->set_tag_name(k);
    tag->set_tag_value(v);
  }
  return out;
}

}  // namespace

bool is_v1_sandbox_id(std::string_view sandbox_id) {
  constexpr std::string_view kPrefix = "sb-";
  if (sandbox_id.size() != kPrefix.size() + 22 || sandbox_id.substr(0, kPrefix.size()) != kPrefix) {
    return false;
  }
  return std::all_of(sandbox_id.begin() + kPrefix.size(), sandbox_id.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
  });
}

Sandbox SandboxState::make(std::shared_ptr<ClientState> client, std::string sandbox_id,
                           SandboxSeed seed) {
  auto state = std::make_shared<SandboxState>();
  state->scope = client->scope().child(kDetachedMessage);
  state->client = std::move(client);
  state->v2 = !is_v1_sandbox_id(sandbox_id);
  state->sandbox_id = std::move(sandbox_id);
  state->task_id = std::move(seed.task_id);
  state->seeded_router_url = std::move(seed.router_url);
  state->seeded_router_jwt = std::move(seed.router_jwt);
  state->tunnels = std::move(seed.tunnels);
  return Sandbox(std::move(state));
}

CallOptions SandboxState::call_options() const {
  CallOptions opts;
  opts.scope = scope.get();
  return opts;
}

std::string SandboxState::get_task_id(bool finished_ok) {
  {
    std::lock_guard lock(mu);
    if (!task_id.empty()) return task_id;
  }
  for (int attempt = 0; attempt < kMaxTaskIdAttempts; ++attempt) {
    modal::client::SandboxGetTaskIdRequest req;
    req.set_sandbox_id(sandbox_id);
    auto resp =
        client->call(v2 ? rpc::SandboxGetTaskIdV2 : rpc::SandboxGetTaskId, req, call_options());
    if (finished_ok && resp.has_task_id() && !resp.task_id().empty()) {
      std::lock_guard lock(mu);
      task_id = resp.task_id();
      return task_id;
    }
    if (resp.has_task_result() &&
        resp.task_result().status() != GenericResult::GENERIC_STATUS_UNSPECIFIED) {
      auto const code = return_code(resp.task_result());
      throw ConflictError("Sandbox " + sandbox_id + " has already finished" +
                              (code ? " with exit code " + std::to_string(*code) : std::string()) +
                              "; no further operations are possible",
                          StatusCode::kFailedPrecondition, "SandboxGetTaskId",
                          resp.task_result().exception());
    }
    if (resp.has_task_id() && !resp.task_id().empty()) {
      std::lock_guard lock(mu);
      task_id = resp.task_id();
      return task_id;
    }
    // Not scheduled yet: poll again (a sleep that detach() and Client::close() end).
    client->timer().sleep_until(client->timer().now() + kTaskIdPollInterval, *scope, {});
    scope->throw_if_cancelled();
  }
  throw TimeoutError("timed out waiting for the task id of Sandbox " + sandbox_id);
}

/// SandboxList (V1 Sandboxes) or SandboxListV2 (all) pages, newest first.
SandboxRange list_sandboxes(std::shared_ptr<ClientState> const& state, bool v2,
                            SandboxListParams const& params);

}  // namespace internal

// ---- Tunnel ------------------------------------------------------------------------

std::string Tunnel::url() const {
  if (port == 443) return "https://" + host;
  return "https://" + host + ":" + std::to_string(port);
}

std::pair<std::string, int> Tunnel::tls_socket() const { return {host, port}; }

std::pair<std::string, int> Tunnel::tcp_socket() const {
  if (unencrypted_host.empty() || unencrypted_port == 0) {
    throw InvalidError(
        "this tunnel has no unencrypted TCP endpoint; expose the port with "
        "unencrypted_ports to get one");
  }
  return {unencrypted_host, unencrypted_port};
}

// ---- Sandbox -----------------------------------------------------------------------

std::string const& Sandbox::sandbox_id() const { return state_->sandbox_id; }

int Sandbox::wait() const {
  state_->ensure_attached();
  return internal::wait_until_finished(*state_);
}

std::optional<int> Sandbox::wait_for(std::chrono::milliseconds timeout) const {
  auto& s = *state_;
  s.ensure_attached();
  if (timeout.count() < 0) {
    throw InvalidError("wait_for timeout must not be negative, got " +
                       std::to_string(timeout.count()) + " ms");
  }
  auto& timer = s.client->timer();
  auto const deadline = timer.now() + timeout;
  for (;;) {
    auto const left = std::chrono::duration<float>(deadline - timer.now()).count();
    auto code = internal::wait_once(s, std::clamp(left, 0.0f, internal::kWaitPollSecs));
    if (code || timer.now() >= deadline) return code;
  }
}

std::optional<int> Sandbox::poll() const {
  state_->ensure_attached();
  return internal::wait_once(*state_, 0);
}

std::optional<int> Sandbox::terminate(SandboxTerminateParams const& params) const {
  auto& s = *state_;
  s.ensure_attached();
  if (!s.terminated.exchange(true)) {
    modal::client::SandboxTerminateRequest req;
    req.set_sandbox_id(s.sandbox_id);
    try {
      s.client->call(s.v2 ? rpc::SandboxTerminateV2 : rpc::SandboxTerminate, req, s.call_options());
    } catch (...) {
      s.terminated = false;  // not terminated: the handle stays usable
      throw;
    }
    s.close_router(internal::kTerminatedMessage);
    std::lock_guard lock(s.mu);
    s.task_id.clear();
  }
  if (!params.wait) return std::nullopt;
  return internal::wait_until_finished(s);
}

void Sandbox::detach() const {
  auto& s = *state_;
  s.scope->cancel();
  s.close_router(internal::kDetachedMessage);
}

void Sandbox::set_tags(std::map<std::string, std::string> const& tags) const {
  auto& s = *state_;
  s.ensure_usable();
  for (auto const& [k, v] : tags) {
    if (k.empty()) throw InvalidError("tag names must not be empty");
  }
  modal::client::SandboxTagsSetRequest req;
  // V2 Sandboxes are found by id alone: no environment (as upstream's clients).
  if (!s.v2) req.set_environment_name(s.client->config().environment);
  req.set_sandbox_id(s.sandbox_id);
  *req.mutable_tags() = internal::to_proto_tags(tags);
  s.client->call(s.v2 ? internal::rpc::SandboxTagsSetV2 : internal::rpc::SandboxTagsSet, req,
                 s.call_options());
}

std::map<std::string, std::string> Sandbox::get_tags() const {
  auto& s = *state_;
  s.ensure_usable();
  modal::client::SandboxTagsGetRequest req;
  req.set_sandbox_id(s.sandbox_id);
  auto resp = s.client->call(s.v2 ? internal::rpc::SandboxTagsGetV2 : internal::rpc::SandboxTagsGet,
                             req, s.call_options());
  std::map<std::string, std::string> tags;
  for (auto const& tag : resp.tags()) tags[tag.tag_name()] = tag.tag_value();
  return tags;
}

std::map<int, Tunnel> Sandbox::tunnels(std::chrono::milliseconds timeout) const {
  auto& s = *state_;
  s.ensure_usable();
  {
    std::lock_guard lock(s.mu);
    if (s.tunnels) return *s.tunnels;
  }
  if (timeout.count() < 0) {
    throw InvalidError("tunnels timeout must not be negative, got " +
                       std::to_string(timeout.count()) + " ms");
  }
  modal::client::SandboxGetTunnelsRequest req;
  req.set_sandbox_id(s.sandbox_id);
  req.set_timeout(std::chrono::duration<float>(timeout).count());
  auto opts = s.call_options();
  opts.timeout = timeout + internal::kLongPollMargin;
  auto const& rpc = s.v2 ? internal::rpc::SandboxGetTunnelsV2 : internal::rpc::SandboxGetTunnels;
  auto resp = s.client->call(rpc, req, opts);
  if (resp.has_result() && resp.result().status() == GenericResult::GENERIC_STATUS_TIMEOUT) {
    throw SandboxTimeoutError("the tunnels of Sandbox " + s.sandbox_id + " were not ready within " +
                                  std::to_string(timeout.count()) + " ms",
                              StatusCode::kDeadlineExceeded, std::string(rpc.name),
                              resp.result().exception());
  }
  std::map<int, Tunnel> out;
  for (auto const& t : resp.tunnels()) {
    out[static_cast<int>(t.container_port())] =
        Tunnel{.host = t.host(),
               .port = static_cast<int>(t.port()),
               .unencrypted_host = t.unencrypted_host(),
               .unencrypted_port = static_cast<int>(t.unencrypted_port())};
  }
  std::lock_guard lock(s.mu);
  s.tunnels = out;
  return out;
}

SandboxConnectToken Sandbox::create_connect_token(
    SandboxCreateConnectTokenParams const& params) const {
  auto& s = *state_;
  s.ensure_usable();
  int const port = params.port.value_or(8080);
  if (port < 1 || port > 65535) {
    throw InvalidError("create_connect_token expects a port in [1, 65535], got " +
                       std::to_string(port));
  }
  modal::client::SandboxCreateConnectTokenRequest req;
  req.set_sandbox_id(s.sandbox_id);
  req.set_user_metadata(params.user_metadata);
  req.set_port(static_cast<std::uint32_t>(port));
  auto resp = s.client->call(
      s.v2 ? internal::rpc::SandboxCreateConnectTokenV2 : internal::rpc::SandboxCreateConnectToken,
      req, s.call_options());
  s.client->redactor().add(resp.token());
  return SandboxConnectToken{.url = resp.url(), .token = resp.token()};
}

StreamReader Sandbox::stdout_stream() const {
  auto& s = *state_;
  s.ensure_usable();
  // V2: the entrypoint's stdio is the router's (connected now, before `mu` is taken).
  auto router = s.v2 ? s.router_client(/*finished_ok=*/true) : nullptr;
  std::lock_guard lock(s.mu);
  if (!s.stdout_reader) {
    s.stdout_reader.emplace(
        s.v2 ? internal::make_sandbox_router_output_source(std::move(router), s.sandbox_id, false)
             : internal::make_sandbox_log_source(s.client, s.scope, s.sandbox_id, false));
  }
  return *s.stdout_reader;
}

StreamReader Sandbox::stderr_stream() const {
  auto& s = *state_;
  s.ensure_usable();
  auto router = s.v2 ? s.router_client(/*finished_ok=*/true) : nullptr;
  std::lock_guard lock(s.mu);
  if (!s.stderr_reader) {
    s.stderr_reader.emplace(
        s.v2 ? internal::make_sandbox_router_output_source(std::move(router), s.sandbox_id, true)
             : internal::make_sandbox_log_source(s.client, s.scope, s.sandbox_id, true));
  }
  return *s.stderr_reader;
}

StreamWriter Sandbox::stdin_stream() const {
  auto& s = *state_;
  s.ensure_usable();
  auto router = s.v2 ? s.router_client(/*finished_ok=*/true) : nullptr;
  std::lock_guard lock(s.mu);
  if (!s.stdin_writer) {
    s.stdin_writer.emplace(
        s.v2 ? internal::make_sandbox_router_stdin_sink(std::move(router))
             : internal::make_sandbox_stdin_sink(s.client, s.scope, s.sandbox_id));
  }
  return *s.stdin_writer;
}

// ---- SandboxService ----------------------------------------------------------------

Sandbox SandboxService::create(App const& app, Image const& image,
                               SandboxCreateParams const& params) const {
  state_->throw_if_closed();
  // As npm modal 0.11: V2 unless switched off or the Sandbox needs a GPU (V1 only).
  if (state_->config().sandbox_v2 && params.gpu.empty()) {
    return experimental_create(app, image, params);
  }
  if (app.app_id.empty()) {
    throw InvalidError("the App has no id; get it with client.apps().from_name(...)");
  }
  internal::validate_sandbox_params(params);

  internal::SandboxCreateIds ids;
  ids.app_id = app.app_id;
  ids.image_id = internal::ImageState::ensure_built(image, app);
  for (auto const& secret : params.secrets) {
    ids.secret_ids.push_back(internal::SecretState::ensure_id(secret));
  }
  if (!params.env.empty()) {
    // Environment variables travel as an ephemeral Secret (as from_map Secrets do).
    ids.secret_ids.push_back(internal::SecretState::create_ephemeral(
        *state_, state_->environment(app.environment), params.env));
  }
  for (auto const& [path, mount] : params.cloud_bucket_mounts) {
    if (mount.params.secret) {
      ids.bucket_secret_ids[path] = internal::SecretState::ensure_id(*mount.params.secret);
    }
  }

  auto const req = internal::build_sandbox_create_request(params, ids);
  auto resp = state_->call(internal::rpc::SandboxCreate, req,
                           {.already_exists = "a running Sandbox named '" + params.name +
                                              "' already exists in App '" + app.name + "'"});
  state_->logger().debug("created sandbox {}", resp.sandbox_id());
  auto sandbox = internal::SandboxState::make(state_, resp.sandbox_id());
  internal::SandboxState::of(sandbox).probe = params.readiness_probe;
  return sandbox;
}

Sandbox SandboxService::experimental_create(App const& app, Image const& image,
                                            SandboxCreateParams const& params) const {
  state_->throw_if_closed();
  if (app.app_id.empty()) {
    throw InvalidError("the App has no id; get it with client.apps().from_name(...)");
  }
  if (!params.gpu.empty()) {
    throw InvalidError(
        "GPUs are not supported by experimental_create (V2 Sandboxes); create a V1 "
        "Sandbox with ClientOptions::sandbox_v2 = false or MODAL_SANDBOX_V2=0");
  }
  internal::validate_sandbox_params(params);

  internal::SandboxCreateIds ids;
  ids.app_id = app.app_id;
  ids.image_id = internal::ImageState::ensure_built(image, app);
  // V2 takes variables natively: from_map Secrets and env (which wins) travel as
  // ephemeral_secrets, not as ephemeral Secrets; named Secrets by id (as the Go SDK).
  auto [ephemeral, secret_ids] = internal::SecretState::split(params.secrets, params.env);
  ids.secret_ids = std::move(secret_ids);
  for (auto const& [path, mount] : params.cloud_bucket_mounts) {
    if (mount.params.secret) {
      ids.bucket_secret_ids[path] = internal::SecretState::ensure_id(*mount.params.secret);
    }
  }

  auto v1 = internal::build_sandbox_create_request(params, ids);
  modal::client::SandboxCreateV2Request req;
  req.set_app_id(v1.app_id());
  *req.mutable_definition() = std::move(*v1.mutable_definition());
  *req.mutable_tags() = std::move(*v1.mutable_tags());
  if (!ephemeral.empty()) {
    req.mutable_ephemeral_secrets()->mutable_contents()->insert(ephemeral.begin(), ephemeral.end());
  }
  auto resp = state_->call(internal::rpc::SandboxCreateV2, req,
                           {.already_exists = "a running Sandbox named '" + params.name +
                                              "' already exists in App '" + app.name + "'"});
  state_->logger().debug("created V2 sandbox {}", resp.sandbox_id());
  if (resp.sandbox_id().empty()) {
    throw Error("SandboxCreateV2 returned no sandbox id", StatusCode::kInternal, "SandboxCreateV2");
  }
  internal::SandboxSeed seed;
  seed.task_id = resp.task_id();
  if (resp.has_command_router_access()) {
    seed.router_url = resp.command_router_access().url();
    seed.router_jwt = resp.command_router_access().jwt();
  }
  // The tunnels, when the reply has one for every requested port (else fetched later).
  auto const& ports = req.definition().open_ports().ports();
  if (!resp.tunnels().empty() && resp.tunnels_size() == ports.size()) {
    std::map<int, Tunnel> tunnels;
    for (auto const& t : resp.tunnels()) {
      tunnels[static_cast<int>(t.container_port())] =
          Tunnel{.host = t.host(),
                 .port = static_cast<int>(t.port()),
                 .unencrypted_host = t.unencrypted_host(),
                 .unencrypted_port = static_cast<int>(t.unencrypted_port())};
    }
    seed.tunnels = std::move(tunnels);
  }
  auto sandbox = internal::SandboxState::make(state_, resp.sandbox_id(), std::move(seed));
  internal::SandboxState::of(sandbox).probe = params.readiness_probe;
  return sandbox;
}

Sandbox SandboxService::from_id(std::string const& sandbox_id) const {
  state_->throw_if_closed();
  if (sandbox_id.empty()) throw InvalidError("Sandbox id must not be empty");
  return internal::SandboxState::make(state_, sandbox_id);
}

namespace {

Sandbox lookup_by_name(std::shared_ptr<internal::ClientState> const& state, bool v2,
                       std::string const& app_name, std::string const& name,
                       SandboxFromNameParams const& params) {
  if (app_name.empty()) throw InvalidError("App name must not be empty");
  if (name.empty()) throw InvalidError("Sandbox name must not be empty");
  internal::check_object_name(app_name, "App");
  internal::check_object_name(name, "Sandbox");
  modal::client::SandboxGetFromNameRequest req;
  req.set_sandbox_name(name);
  req.set_app_name(app_name);
  req.set_environment_name(state->environment(params.environment));
  if (v2) req.set_include_terminated(params.include_terminated);
  auto resp = state->call(
      v2 ? internal::rpc::SandboxGetFromNameV2 : internal::rpc::SandboxGetFromName, req,
      {.not_found = "Sandbox with name '" + name + "' not found in App '" + app_name + "'"});
  return internal::SandboxState::make(state, resp.sandbox_id());
}

}  // namespace

Sandbox SandboxService::from_name(std::string const& app_name, std::string const& name,
                                  SandboxFromNameParams const& params) const {
  state_->throw_if_closed();
  if (params.include_terminated || state_->config().sandbox_v2) {
    try {
      return lookup_by_name(state_, true, app_name, name, params);
    } catch (NotFoundError const&) {
      // Only running V2 Sandboxes were asked for: a V1 Sandbox may hold the name.
      if (params.include_terminated) throw;
    }
  }
  return lookup_by_name(state_, false, app_name, name, params);
}

Sandbox SandboxService::experimental_from_name(std::string const& app_name, std::string const& name,
                                               SandboxFromNameParams const& params) const {
  state_->throw_if_closed();
  return lookup_by_name(state_, true, app_name, name, params);
}

SandboxRange SandboxService::list(SandboxListParams const& params) const {
  state_->throw_if_closed();
  if (state_->config().sandbox_v2) return experimental_list(params);
  return internal::list_sandboxes(state_, false, params);
}

SandboxRange SandboxService::experimental_list(SandboxListParams const& params) const {
  state_->throw_if_closed();
  if (params.app_id.empty()) {
    state_->logger().warn(
        "experimental_list without an app_id lists across the whole environment, which Modal "
        "deprecates; pass SandboxListParams::app_id to scope the query");
  }
  return internal::list_sandboxes(state_, true, params);
}

namespace internal {

SandboxRange list_sandboxes(std::shared_ptr<ClientState> const& state, bool v2,
                            SandboxListParams const& params) {
  // The pager: SandboxList pages, newest first, each asking for Sandboxes created before
  // the oldest of the previous page.
  struct Pager {
    std::shared_ptr<internal::ClientState> client{};
    modal::client::SandboxListRequest request{};
    std::deque<std::string> page{};  // ids not yet handed out
    bool exhausted = false;
    bool v2 = false;

    std::optional<Sandbox> next() {
      while (page.empty()) {
        if (exhausted) return std::nullopt;
        auto resp =
            client->call(v2 ? internal::rpc::SandboxListV2 : internal::rpc::SandboxList, request);
        if (resp.sandboxes().empty()) {
          exhausted = true;
          continue;
        }
        for (auto const& info : resp.sandboxes()) page.push_back(info.id());
        request.set_before_timestamp(resp.sandboxes().rbegin()->created_at());
      }
      auto id = std::move(page.front());
      page.pop_front();
      return internal::SandboxState::make(client, std::move(id));
    }
  };
  auto pager = std::make_shared<Pager>();
  pager->client = state;
  pager->v2 = v2;
  pager->request.set_app_id(params.app_id);
  pager->request.set_before_timestamp(0);
  // V2 scopes by App; the environment only when there is none (as upstream's clients).
  if (!v2 || params.app_id.empty()) {
    pager->request.set_environment_name(state->environment(params.environment));
  }
  pager->request.set_include_finished(false);
  *pager->request.mutable_tags() = internal::to_proto_tags(params.tags);
  return SandboxRange([pager] { return pager->next(); });
}

}  // namespace internal

}  // namespace modal
