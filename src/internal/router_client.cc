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
#include "internal/retry.h"
#include "internal/status.h"
#include "modal/errors.h"

namespace modal::internal {
namespace {

constexpr char kRouterService[] = "modal.task_command_router.TaskCommandRouter";
constexpr auto kRefreshBefore = std::chrono::seconds(30);
constexpr char kDetachedMessage[] = "Unable to perform operation on a detached sandbox";

std::chrono::system_clock::time_point to_system(std::chrono::steady_clock::time_point t) {
  return std::chrono::system_clock::now() +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(
             t - std::chrono::steady_clock::now());
}

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
                                                    std::string task_id, RouterAccess access,
                                                    AccessFetcher fetch) {
  auto const target = router_target(access.url);
  if (!parse_jwt(access.jwt)) {
    throw Error("the task command router JWT is malformed", StatusCode::kInvalidArgument,
                "TaskGetCommandRouterAccess");
  }
  // Modal's rule: plaintext to the router only when talking to a local server.
  bool const tls = !is_loopback_host(client->config().server.host);
  grpc::ChannelArguments args = default_channel_arguments();
  // A connection of its own (not shared with the control plane or other Sandboxes), so
  // detach really releases it and Sandboxes do not contend for one HTTP/2 connection.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto channel = grpc::CreateCustomChannel(target, channel_credentials(tls), args);
  client->logger().debug("task {}: command router at {} ({})", task_id, access.url,
                         tls ? "TLS" : "plaintext, local server");
  return std::make_shared<RouterClient>(std::move(client), std::move(task_id), std::move(access),
                                        std::move(fetch), std::move(channel), tls);
}

RouterClient::RouterClient(std::shared_ptr<ClientState> client, std::string task_id,
                           RouterAccess access, AccessFetcher fetch,
                           std::shared_ptr<grpc::Channel> channel, bool tls)
    : client_(std::move(client)),
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

std::string RouterClient::jwt() const {
  std::lock_guard lock(mu_);
  return jwt_;
}

void RouterClient::throw_if_closed() const {
  if (closed_.load()) throw ClientClosedError(kDetachedMessage);
  client_->throw_if_closed();
}

RouterClient::Call::~Call() { owner_.unregister(&ctx_); }

void RouterClient::unregister(grpc::ClientContext* ctx) {
  std::lock_guard lock(mu_);
  calls_.erase(ctx);
}

std::unique_ptr<RouterClient::Call> RouterClient::new_call() {
  throw_if_closed();
  refresh_if_expiring();
  std::unique_ptr<Call> call(new Call(*this));
  std::lock_guard lock(mu_);
  if (closed_.load()) throw ClientClosedError(kDetachedMessage);
  call->ctx_.AddMetadata("authorization", "Bearer " + jwt_);
  call->generation_ = generation_;
  calls_.insert(&call->ctx_);
  return call;
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
    auto access = fetch_();
    std::lock_guard lock(mu_);
    if (access.url != url_) {
      client_->logger().warn("task {}: the command router URL changed during the session",
                             task_id_);
    }
    store_jwt_locked(std::move(access.jwt));
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

void RouterClient::refresh_after(std::uint64_t generation) {
  std::lock_guard refresh_lock(refresh_mu_);
  {
    std::lock_guard lock(mu_);
    if (generation_ != generation) return;  // someone refreshed since that call
  }
  throw_if_closed();
  client_->logger().debug("task {}: refreshing the command router JWT", task_id_);
  auto access = fetch_();
  std::lock_guard lock(mu_);
  if (access.url != url_) {
    client_->logger().warn("task {}: the command router URL changed during the session", task_id_);
  }
  store_jwt_locked(std::move(access.jwt));
}

bool RouterClient::sleep_for(std::chrono::nanoseconds d) {
  std::unique_lock lock(mu_);
  return !closed_cv_.wait_for(lock, d, [this] { return closed_.load(); });
}

void RouterClient::observe(std::string_view method, grpc::Status const& status,
                           std::chrono::steady_clock::duration elapsed, int attempt) {
  client_->observe(kRouterService, method, status, elapsed, attempt);
}

void RouterClient::throw_error(grpc::Status const& status, std::string_view method) {
  if (closed_.load() && status.error_code() == grpc::StatusCode::CANCELLED) {
    throw ClientClosedError(kDetachedMessage, StatusCode::kCancelled, std::string(method));
  }
  throw_rpc_error(status, method);
}

grpc::Status RouterClient::run(std::string_view method, RouterRetryPolicy const& policy,
                               std::function<grpc::Status(grpc::ClientContext&)> const& attempt) {
  using Clock = std::chrono::steady_clock;
  auto delay = std::chrono::duration<double, std::milli>(policy.base_delay);
  int retries = 0;
  int attempt_no = 0;
  for (;;) {
    grpc::Status status;
    bool auth_retried = false;
    for (;;) {
      auto call = new_call();
      auto& ctx = call->context();
      if (policy.deadline) {
        auto const remaining = std::max<Clock::duration>(*policy.deadline - Clock::now(),
                                                         std::chrono::milliseconds(1));
        ctx.set_deadline(to_system(Clock::now() + remaining));
      } else if (policy.attempt_timeout) {
        ctx.set_deadline(std::chrono::system_clock::now() + *policy.attempt_timeout);
      }
      auto const start = Clock::now();
      status = attempt(ctx);
      observe(method, status, Clock::now() - start, attempt_no++);
      if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED && !auth_retried) {
        refresh_after(call->generation());
        auth_retried = true;
        continue;
      }
      break;
    }
    if (status.ok()) return status;
    if (closed_.load() && status.error_code() == grpc::StatusCode::CANCELLED) {
      throw ClientClosedError(kDetachedMessage, StatusCode::kCancelled, std::string(method));
    }
    client_->throw_if_closed();
    if (policy.deadline && Clock::now() >= *policy.deadline) {
      return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "Timeout expired");
    }
    if (!is_retryable(status.error_code()) || retries >= policy.max_retries) return status;
    auto sleep = std::chrono::duration_cast<Clock::duration>(delay);
    if (policy.deadline) sleep = std::min<Clock::duration>(sleep, *policy.deadline - Clock::now());
    client_->logger().debug("{} failed with code {} ({}); retry {} in {} us", method,
                            static_cast<int>(status.error_code()), status.error_message(),
                            retries + 1,
                            std::chrono::duration_cast<std::chrono::microseconds>(sleep).count());
    if (sleep.count() > 0 && !sleep_for(sleep)) throw ClientClosedError(kDetachedMessage);
    delay *= policy.factor;
    ++retries;
  }
}

void RouterClient::close() {
  {
    std::lock_guard lock(mu_);
    if (closed_.exchange(true)) return;
    for (auto* ctx : calls_) ctx->TryCancel();
  }
  closed_cv_.notify_all();
}

}  // namespace modal::internal
