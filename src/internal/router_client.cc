// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "internal/router_client.h"

#include <absl/strings/ascii.h>
#include <absl/strings/match.h>

#include <algorithm>
#include <charconv>
#include <limits>

#include "internal/client_state.h"
#include "internal/config.h"
#include "internal/jwt.h"
#include "internal/status.h"
#include "modal/errors.h"

namespace modal::internal {
namespace {

constexpr char kRouterService[] = "modal.task_command_router.TaskCommandRouter";
constexpr auto kRefreshBefore = std::chrono::seconds(30);
constexpr char kDetachedMessage[] = "Unable to perform operation on a detached sandbox";

}  // namespace

std::string router_target(std::string const& url) {
  constexpr std::string_view kScheme = "https://";
  if (url.size() < kScheme.size() ||
      absl::AsciiStrToLower(url.substr(0, kScheme.size())) != kScheme) {
    throw Error("task command router URL must be https, got: " + url, StatusCode::kInvalidArgument);
  }
  std::string_view rest = std::string_view(url).substr(kScheme.size());
  rest = rest.substr(0, rest.find_first_of("/?#"));
  std::string host;
  std::string_view port_text;
  if (!rest.empty() && rest.front() == '[') {
    auto const close = rest.find(']');
    if (close == std::string_view::npos) {
      throw Error("invalid task command router URL: " + url, StatusCode::kInvalidArgument);
    }
    host = std::string(rest.substr(0, close + 1));
    auto const after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        throw Error("invalid task command router URL: " + url, StatusCode::kInvalidArgument);
      }
      port_text = after.substr(1);
    }
  } else {
    auto const colon = rest.rfind(':');
    host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) port_text = rest.substr(colon + 1);
  }
  if (host.empty() || host == "[]") {
    throw Error("task command router URL has no host: " + url, StatusCode::kInvalidArgument);
  }
  int port = 443;
  if (!port_text.empty()) {
    auto const [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size()) port = 0;
  }
  if (port <= 0 || port > 65535) {
    throw Error("invalid port in task command router URL: " + url, StatusCode::kInvalidArgument);
  }
  return host + ":" + std::to_string(port);
}

std::shared_ptr<RouterClient> RouterClient::connect(std::shared_ptr<ClientState> client,
                                                    CancelScope& scope, std::string task_id,
                                                    RouterAccess access, AccessFetcher fetch) {
  auto const target = router_target(access.url);
  if (!parse_jwt(access.jwt)) {
    throw Error("the task command router JWT is malformed", StatusCode::kInvalidArgument,
                "TaskGetCommandRouterAccess");
  }
  // Modal's rule: plaintext to the router only when talking to a local server.
  bool const tls = !is_loopback_host(client->config().server.host);
  // A connection of its own (not shared with the control plane or other Sandboxes), so
  // detach really releases it and Sandboxes do not contend for one HTTP/2 connection.
  auto channel = client->connections().dedicated_channel(target, tls);
  client->logger().debug("task {}: command router at {} ({})", task_id, access.url,
                         tls ? "TLS" : "plaintext, local server");
  return std::make_shared<RouterClient>(std::move(client), scope.child(kDetachedMessage),
                                        std::move(task_id), std::move(access), std::move(fetch),
                                        std::move(channel), tls);
}

RouterClient::RouterClient(std::shared_ptr<ClientState> client, std::shared_ptr<CancelScope> scope,
                           std::string task_id, RouterAccess access, AccessFetcher fetch,
                           std::shared_ptr<grpc::Channel> channel, bool tls)
    : client_(std::move(client)),
      scope_(std::move(scope)),
      task_id_(std::move(task_id)),
      url_(std::move(access.url)),
      tls_(tls),
      fetch_(std::move(fetch)),
      channel_(std::move(channel)),
      stub_(modal::task_command_router::TaskCommandRouter::NewStub(channel_)) {
  std::lock_guard lock(mu_);
  store_jwt_locked(std::move(access.jwt));
}

RouterClient::~RouterClient() { close(); }

void RouterClient::close(std::string reason) { scope_->cancel(std::move(reason)); }

void RouterClient::store_jwt_locked(std::string jwt) {
  client_->redactor().add(jwt);
  auto claims = parse_jwt(jwt);
  if (!claims) {
    client_->logger().warn(
        "task {}: the refreshed command router JWT is malformed; refreshing on every "
        "authentication failure instead",
        task_id_);
    jwt_exp_.reset();
  } else {
    jwt_exp_ = claims->expires_at;
  }
  jwt_ = std::move(jwt);
  ++generation_;
}

void RouterClient::install_access(RouterAccess access) {
  std::lock_guard lock(mu_);
  if (access.url != url_) {
    client_->logger().warn("task {}: the command router URL changed during the session", task_id_);
  }
  store_jwt_locked(std::move(access.jwt));
}

std::string RouterClient::jwt() const {
  std::lock_guard lock(mu_);
  return jwt_;
}

void RouterClient::refresh_if_expiring() {
  auto expiring = [this] {
    std::lock_guard lock(mu_);
    return jwt_exp_ && *jwt_exp_ - std::chrono::system_clock::now() <= kRefreshBefore;
  };
  if (!expiring()) return;
  std::lock_guard refresh_lock(refresh_mu_);
  if (!expiring()) return;  // another caller refreshed meanwhile
  throw_if_closed();
  try {
    install_access(fetch_());
  } catch (Error const& e) {
    // Keep using the current JWT while it is still valid.
    std::lock_guard lock(mu_);
    if (jwt_exp_ && *jwt_exp_ > std::chrono::system_clock::now()) {
      client_->logger().warn("task {}: could not refresh the command router JWT: {}", task_id_,
                             e.what());
      return;
    }
    throw;
  }
}

bool RouterClient::refresh_credential(std::uint64_t generation) {
  std::lock_guard refresh_lock(refresh_mu_);
  {
    std::lock_guard lock(mu_);
    if (generation_ != generation) return true;  // someone refreshed since that call
  }
  throw_if_closed();
  client_->logger().debug("task {}: refreshing the command router JWT", task_id_);
  install_access(fetch_());
  return true;
}

std::string_view RouterClient::service() const { return kRouterService; }

std::uint64_t RouterClient::prepare(grpc::ClientContext& ctx, std::string_view /*method*/,
                                    AttemptMetadata const& /*md*/) {
  refresh_if_expiring();
  std::lock_guard lock(mu_);
  ctx.AddMetadata("authorization", "Bearer " + jwt_);
  return generation_;
}

void RouterClient::observe(std::string_view method, grpc::Status const& status,
                           Clock::duration elapsed, int attempt) {
  client_->pipeline().observe(kRouterService, method, status, elapsed, attempt);
}

Timer& RouterClient::timer() { return client_->timer(); }

spdlog::logger& RouterClient::logger() { return client_->logger(); }

void RouterClient::throw_rpc_error_for(grpc::Status const& status, std::string_view method) {
  throw_rpc_error(status, method);
}

std::unique_ptr<grpc::ClientReaderInterface<tcr::TaskExecStdioReadResponse>>
RouterClient::stdio_read(grpc::ClientContext& ctx, tcr::TaskExecStdioReadRequest const& req) {
  return rpc::TaskExecStdioRead(*stub_, ctx, req);
}

namespace {

/// Runs one unary call on a completion queue of its own, driven by this thread, and blocks
/// until it completes, calling `on_stall` (if set) every kStallAfter meanwhile. The
/// response is parsed on this thread. (With gRPC's callback API it was parsed on gRPC's
/// callback thread and handed over through gRPC's queue, whose locking ThreadSanitizer
/// cannot see in Debian's uninstrumented libgrpc: every call was reported as a race.)
template <typename Resp, typename Start>
grpc::Status await_unary(grpc::ClientContext& ctx, Start const& start, Resp* resp,
                         StallHook const& on_stall) {
  grpc::CompletionQueue cq;
  std::unique_ptr<grpc::ClientAsyncResponseReader<Resp>> const reader = start(cq);
  grpc::Status status;
  int finished = 0;  // its address is the completion's tag
  reader->Finish(resp, &status, &finished);
  void* tag = nullptr;
  bool ok = false;
  try {
    while (cq.AsyncNext(&tag, &ok, std::chrono::system_clock::now() + kStallAfter) ==
           grpc::CompletionQueue::TIMEOUT) {
      if (on_stall) on_stall();
    }
  } catch (...) {
    // The queue must not go while the call is in flight: end the call, then rethrow.
    ctx.TryCancel();
    cq.Next(&tag, &ok);
    cq.Shutdown();
    while (cq.Next(&tag, &ok)) {
    }
    throw;
  }
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return status;
}

}  // namespace

grpc::Status RouterClient::exec_wait(grpc::ClientContext& ctx, tcr::TaskExecWaitRequest const& req,
                                     tcr::TaskExecWaitResponse* resp, StallHook const& on_stall) {
  return await_unary(
      ctx, [&](grpc::CompletionQueue& cq) { return stub_->AsyncTaskExecWait(&ctx, req, &cq); },
      resp, on_stall);
}

grpc::Status RouterClient::exec_poll(grpc::ClientContext& ctx, tcr::TaskExecPollRequest const& req,
                                     tcr::TaskExecPollResponse* resp) {
  return rpc::TaskExecPoll(*stub_, ctx, req, resp);
}

grpc::Status RouterClient::stdin_write(grpc::ClientContext& ctx,
                                       tcr::TaskExecStdinWriteRequest const& req,
                                       tcr::TaskExecStdinWriteResponse* resp,
                                       StallHook const& on_stall) {
  return await_unary(
      ctx,
      [&](grpc::CompletionQueue& cq) { return stub_->AsyncTaskExecStdinWrite(&ctx, req, &cq); },
      resp, on_stall);
}

}  // namespace modal::internal
