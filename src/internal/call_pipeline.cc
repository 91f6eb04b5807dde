// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "internal/call_pipeline.h"

#include "modal/errors.h"

namespace modal::internal {
namespace {

constexpr char kService[] = "modal.client.ModalClient";
constexpr char kClientTypeLibmodalGo[] = "9";  // modal.client.ClientType CLIENT_TYPE_LIBMODAL_GO
constexpr char kClientVersion[] = "1.0.0";     // the Python SDK version we behave like
constexpr auto kAuthTokenAttemptTimeout = std::chrono::seconds(5);
constexpr int kMaxStreamRetries = 10;

}  // namespace

void throw_call_error(grpc::Status const& status, std::string_view method,
                      CallOptions const& opts) {
  std::string const server = status.error_message();
  std::string_view summary;
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
    // A missing environment is what is not found, not the object looked up in it.
    summary = server.rfind("Environment '", 0) == 0 ? std::string_view(server)
                                                    : std::string_view(opts.not_found);
  }
  if (status.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
    // The server names what exists; ours is only for a server that says nothing.
    summary = server.empty() ? std::string_view(opts.already_exists) : std::string_view(server);
  }
  throw_rpc_error(status, method, summary);
}

CallPipeline::CallPipeline(Settings const& settings, Connections& connections,
                           std::shared_ptr<CancelScope> scope, std::shared_ptr<Timer> timer)
    : settings_(settings),
      connections_(connections),
      scope_(std::move(scope)),
      timer_(std::move(timer)) {
  auth_ = std::make_unique<AuthTokenManager>(
      [this](bool have_token, std::string* token) {
        modal::client::AuthTokenGetResponse resp;
        CallOptions opts;
        opts.timeout = kAuthTokenAttemptTimeout;
        opts.max_retries = have_token ? 0 : 3;
        auto status =
            try_call(rpc::AuthTokenGet, modal::client::AuthTokenGetRequest{}, &resp, opts);
        if (status.ok()) *token = resp.token();
        return status;
      },
      [] { return std::chrono::system_clock::now(); }, settings_.logger_ptr(),
      settings_.redactor_ptr());
}

std::shared_ptr<ModalStub> CallPipeline::begin_call() {
  scope_->throw_if_cancelled();
  auto const& config = settings_.config();
  if (config.token_id.empty() || config.token_secret.empty()) {
    throw AuthError(
        "missing Modal credentials: set MODAL_TOKEN_ID and MODAL_TOKEN_SECRET, add token_id and "
        "token_secret to a profile in " +
            config.config_path + ", or pass ClientOptions{.token_id, .token_secret}",
        StatusCode::kUnauthenticated);
  }
  return connections_.control_stub();
}

RetryPolicy CallPipeline::unary_policy(CallOptions const& opts) const {
  auto policy =
      RetryPolicy::control_plane(settings_.options().retry, settings_.config().max_throttle_wait);
  if (opts.max_retries) policy.max_retries = *opts.max_retries;
  auto const timeout = opts.timeout ? opts.timeout : settings_.options().rpc_timeout;
  if (timeout) policy.attempt_timeout = *timeout;
  if (opts.adjust_policy) opts.adjust_policy(policy);
  return policy;
}

RetryPolicy CallPipeline::stream_policy() const {
  auto policy = RetryPolicy::control_plane(settings_.options().retry, std::nullopt);
  policy.max_retries = kMaxStreamRetries;
  policy.idempotency = false;
  policy.throttling = false;
  return policy;
}

std::string_view CallPipeline::service() const { return kService; }

std::uint64_t CallPipeline::prepare(grpc::ClientContext& ctx, std::string_view method,
                                    AttemptMetadata const& md) {
  auto const& config = settings_.config();
  ctx.AddMetadata("x-modal-client-type", kClientTypeLibmodalGo);
  ctx.AddMetadata("x-modal-client-version", kClientVersion);
  ctx.AddMetadata("x-modal-libmodal-version", settings_.libmodal_version());
  ctx.AddMetadata("x-modal-token-id", config.token_id);
  ctx.AddMetadata("x-modal-token-secret", config.token_secret);
  if (method != rpc::AuthTokenGet.name) ctx.AddMetadata("x-modal-auth-token", auth_->get());
  if (!md.idempotency_key.empty()) {
    ctx.AddMetadata("x-idempotency-key", md.idempotency_key);
    ctx.AddMetadata("x-retry-attempt", std::to_string(md.retry_attempt));
    ctx.AddMetadata("x-throttle-retry-attempt", std::to_string(md.throttle_retry_attempt));
    if (md.retry_delay) ctx.AddMetadata("x-retry-delay", *md.retry_delay);
    if (md.throttle_retry_delay) {
      ctx.AddMetadata("x-throttle-retry-delay", *md.throttle_retry_delay);
    }
  }
  return 0;
}

void CallPipeline::observe(std::string_view service, std::string_view method,
                           grpc::Status const& status, Clock::duration elapsed, int attempt) {
  auto const micros = std::chrono::duration_cast<std::chrono::microseconds>(elapsed);
  auto& log = settings_.logger();
  if (log.should_log(spdlog::level::debug)) {
    log.debug("{} attempt {} -> {} in {} us", method, attempt,
              to_string(to_status_code(status.error_code())), micros.count());
  }
  auto const& observer = settings_.options().call_observer;
  if (!observer) return;
  std::string const full = std::string(service) + "/" + std::string(method);
  std::string const message = status.error_message();
  CallInfo info;
  info.method = full;
  info.code = to_status_code(status.error_code());
  info.duration = micros;
  info.attempt = attempt;
  info.message = message;
  try {
    observer(info);
  } catch (std::exception const& e) {
    log.warn("the call observer threw: {}", e.what());
  } catch (...) {
    log.warn("the call observer threw");
  }
}

Timer& CallPipeline::timer() {
  std::lock_guard lock(mu_);
  return *timer_;
}

void CallPipeline::set_timer(std::shared_ptr<Timer> timer) {
  std::lock_guard lock(mu_);
  timer_ = std::move(timer);
}

}  // namespace modal::internal
