// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "internal/client_state.h"

#include <fstream>
#include <sstream>
#include <thread>

#include "modal/version.h"

namespace modal::internal {
namespace {

constexpr char kService[] = "modal.client.ModalClient";
constexpr char kClientTypeLibmodalGo[] = "9";  // modal.client.ClientType CLIENT_TYPE_LIBMODAL_GO
constexpr char kClientVersion[] = "1.0.0";     // the Python SDK version we behave like
constexpr auto kAuthTokenAttemptTimeout = std::chrono::seconds(5);
constexpr auto kEnvironmentLookupTimeout = std::chrono::seconds(30);

std::string read_file(char const* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

grpc::ChannelArguments default_channel_arguments() {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(100 * 1024 * 1024);
  args.SetMaxSendMessageSize(100 * 1024 * 1024);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 64 * 1024 * 1024);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  return args;
}

std::shared_ptr<grpc::ChannelCredentials> channel_credentials(bool tls) {
  if (!tls) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  // The system's trust store (Debian's ca-certificates); gRPC's defaults otherwise.
  for (char const* path : {"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"}) {
    ssl.pem_root_certs = read_file(path);
    if (!ssl.pem_root_certs.empty()) break;
  }
  return grpc::SslCredentials(ssl);
}

std::shared_ptr<ClientState> ClientState::create(ClientOptions options, EnvLookup const& env) {
  auto config = resolve_config(options, env);
  return std::make_shared<ClientState>(std::move(config), std::move(options));
}

ClientState::ClientState(ResolvedConfig config, ClientOptions options)
    : config_(std::move(config)),
      options_(std::move(options)),
      redactor_(std::make_shared<Redactor>()),
      libmodal_version_("modal-cpp/" + modal::version()),
      sleeper_([](std::chrono::nanoseconds d) { std::this_thread::sleep_for(d); }) {
  redactor_->add(config_.token_secret);
  logger_ = make_logger(options_.log_sink, config_.log_level, redactor_);
  for (auto const& w : config_.warnings) logger_->warn("{}", w);
  logger_->debug("modal-cpp {} using server {} (profile '{}', environment '{}')",
                 modal::version(), config_.server_url, config_.profile_name,
                 config_.environment);
  auth_ = std::make_unique<AuthTokenManager>(
      [this](bool have_token, std::string* token) {
        modal::client::AuthTokenGetResponse resp;
        CallOptions opts;
        opts.timeout = kAuthTokenAttemptTimeout;
        opts.max_retries = have_token ? 0 : 3;
        auto status = try_call("AuthTokenGet", &ModalStub::AuthTokenGet,
                               modal::client::AuthTokenGetRequest{}, &resp, opts);
        if (status.ok()) *token = resp.token();
        return status;
      },
      [] { return std::chrono::system_clock::now(); }, logger_, redactor_);
}

ClientState::~ClientState() { close(); }

void ClientState::check_credentials() const {
  if (config_.token_id.empty() || config_.token_secret.empty()) {
    throw AuthError(
        "missing Modal credentials: set MODAL_TOKEN_ID and MODAL_TOKEN_SECRET, add token_id and "
        "token_secret to a profile in " + config_.config_path +
            ", or pass ClientOptions{.token_id, .token_secret}",
        StatusCode::kUnauthenticated);
  }
}

void ClientState::throw_if_closed() const {
  if (closed_.load()) throw ClientClosedError("the Modal client is closed");
}

std::shared_ptr<grpc::Channel> ClientState::channel(std::string const& target, bool tls) {
  std::lock_guard lock(mu_);
  throw_if_closed();
  auto& ch = channels_[{target, tls}];
  if (!ch) {
    ch = grpc::CreateCustomChannel(target, channel_credentials(tls), default_channel_arguments());
  }
  return ch;
}

std::shared_ptr<ModalStub> ClientState::control_stub() {
  auto ch = channel(config_.server.target, config_.server.tls);
  std::lock_guard lock(mu_);
  if (!stub_) stub_ = modal::client::ModalClient::NewStub(ch);
  return stub_;
}

void ClientState::add_static_headers(grpc::ClientContext& ctx) const {
  ctx.AddMetadata("x-modal-client-type", kClientTypeLibmodalGo);
  ctx.AddMetadata("x-modal-client-version", kClientVersion);
  ctx.AddMetadata("x-modal-libmodal-version", libmodal_version_);
  ctx.AddMetadata("x-modal-token-id", config_.token_id);
  ctx.AddMetadata("x-modal-token-secret", config_.token_secret);
}

void ClientState::prepare_streaming_context(grpc::ClientContext& ctx) {
  throw_if_closed();
  check_credentials();
  add_static_headers(ctx);
  ctx.AddMetadata("x-modal-auth-token", auth_->get());
}

void ClientState::observe(std::string_view service, std::string_view method,
                          grpc::Status const& status, std::chrono::steady_clock::duration elapsed,
                          int attempt) {
  auto const micros = std::chrono::duration_cast<std::chrono::microseconds>(elapsed);
  if (logger_->should_log(spdlog::level::debug)) {
    logger_->debug("{} attempt {} -> {} in {} us", method, attempt,
                   to_string(to_status_code(status.error_code())), micros.count());
  }
  if (!options_.call_observer) return;
  std::string const full = std::string(service) + "/" + std::string(method);
  std::string const message = status.error_message();
  CallInfo info;
  info.method = full;
  info.code = to_status_code(status.error_code());
  info.duration = micros;
  info.attempt = attempt;
  info.message = message;
  try {
    options_.call_observer(info);
  } catch (std::exception const& e) {
    logger_->warn("the call observer threw: {}", e.what());
  } catch (...) {
    logger_->warn("the call observer threw");
  }
}

grpc::Status ClientState::invoke(std::string_view method, CallOptions const& opts,
                                 Attempt const& attempt) {
  throw_if_closed();
  check_credentials();
  std::string auth_token;
  if (method != "AuthTokenGet") auth_token = auth_->get();

  RetryEnvironment env;
  env.options = options_.retry;
  if (opts.max_retries) env.options.max_retries = *opts.max_retries;
  env.max_throttle_wait = config_.max_throttle_wait;
  env.now = [] { return std::chrono::steady_clock::now(); };
  {
    std::lock_guard lock(mu_);
    env.sleep = sleeper_;
  }
  env.logger = logger_.get();
  auto const timeout = opts.timeout ? opts.timeout : options_.rpc_timeout;

  return run_with_retries(env, method, [&](AttemptMetadata const& md) {
    throw_if_closed();
    grpc::ClientContext ctx;
    add_static_headers(ctx);
    if (!auth_token.empty()) ctx.AddMetadata("x-modal-auth-token", auth_token);
    ctx.AddMetadata("x-idempotency-key", md.idempotency_key);
    ctx.AddMetadata("x-retry-attempt", std::to_string(md.retry_attempt));
    ctx.AddMetadata("x-throttle-retry-attempt", std::to_string(md.throttle_retry_attempt));
    if (md.retry_delay) ctx.AddMetadata("x-retry-delay", *md.retry_delay);
    if (md.throttle_retry_delay) ctx.AddMetadata("x-throttle-retry-delay", *md.throttle_retry_delay);
    if (timeout) ctx.set_deadline(std::chrono::system_clock::now() + *timeout);
    auto const start = std::chrono::steady_clock::now();
    auto status = attempt(ctx);
    observe(kService, method, status, std::chrono::steady_clock::now() - start,
            md.retry_attempt + md.throttle_retry_attempt);
    // close() during the call: report it as such rather than as a transport error.
    if (!status.ok()) throw_if_closed();
    return status;
  });
}

std::string ClientState::image_builder_version(std::string const& environment) {
  if (!config_.image_builder_version.empty()) return config_.image_builder_version;
  auto const name = environment.empty() ? config_.environment : environment;
  std::lock_guard lock(environments_mu_);
  if (auto it = builder_versions_.find(name); it != builder_versions_.end()) return it->second;
  modal::client::EnvironmentGetOrCreateRequest req;
  req.set_deployment_name(name);
  CallOptions opts;
  opts.timeout = kEnvironmentLookupTimeout;
  auto resp = call("EnvironmentGetOrCreate", &ModalStub::EnvironmentGetOrCreate, req, opts);
  auto version = resp.metadata().settings().image_builder_version();
  builder_versions_.emplace(name, version);
  return version;
}

void ClientState::close() {
  std::lock_guard lock(mu_);
  closed_.store(true);
  stub_.reset();
  channels_.clear();
}

void ClientState::set_sleeper_for_testing(Sleeper sleeper) {
  std::lock_guard lock(mu_);
  sleeper_ = std::move(sleeper);
}

}  // namespace modal::internal
