// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_CLIENT_STATE_H
#define MODAL_INTERNAL_CLIENT_STATE_H

#include <grpcpp/grpcpp.h>
#include <spdlog/logger.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "internal/auth_token_manager.h"
#include "internal/config.h"
#include "internal/logging.h"
#include "internal/retry.h"
#include "internal/status.h"
#include "modal/client.h"
#include "modal_proto/api.grpc.pb.h"

namespace modal::internal {

using ModalStub = modal::client::ModalClient::Stub;

template <typename Req, typename Resp>
using UnaryMethod = grpc::Status (ModalStub::*)(grpc::ClientContext*, Req const&, Resp*);

/// Per-call knobs of the control-plane pipeline.
struct CallOptions {
  /// Deadline of each attempt (default: ClientOptions::rpc_timeout, else none).
  std::optional<std::chrono::milliseconds> timeout;
  /// Overrides RetryOptions::max_retries for this call.
  std::optional<int> max_retries;
};

/// gRPC channel settings shared by control-plane and router channels.
grpc::ChannelArguments default_channel_arguments();
/// TLS with the system's root certificates, or plaintext.
std::shared_ptr<grpc::ChannelCredentials> channel_credentials(bool tls);

/**
 * Everything a Client and its handles share: configuration, logger, channels and the
 * control-plane call pipeline. The pipeline applies, in Modal's order: static headers
 * (client type and version, token id and secret) → auth token → retries (idempotency
 * key and retry headers, server-directed throttling) → per-attempt deadline, and
 * reports every attempt to the CallObserver. Thread-safe.
 */
class ClientState : public std::enable_shared_from_this<ClientState> {
 public:
  /// Resolves the configuration from `options`, the environment and the config file.
  static std::shared_ptr<ClientState> create(ClientOptions options, EnvLookup const& env);

  ClientState(ResolvedConfig config, ClientOptions options);
  ~ClientState();

  ResolvedConfig const& config() const { return config_; }
  spdlog::logger& logger() const { return *logger_; }
  std::shared_ptr<spdlog::logger> const& logger_ptr() const { return logger_; }
  Redactor& redactor() { return *redactor_; }
  RetryOptions const& retry_options() const { return options_.retry; }

  /// Runs one logical unary call through the pipeline. @throws modal::Error on failure.
  template <typename Req, typename Resp>
  Resp call(std::string_view method, UnaryMethod<Req, Resp> fn, Req const& req,
            CallOptions const& opts = {}) {
    Resp resp;
    auto status = try_call(method, fn, req, &resp, opts);
    if (!status.ok()) throw_rpc_error(status, method);
    return resp;
  }

  /// Like call(), returning the final status instead of throwing for RPC failures.
  /// Still throws for local failures (closed client, missing credentials, auth).
  template <typename Req, typename Resp>
  grpc::Status try_call(std::string_view method, UnaryMethod<Req, Resp> fn, Req const& req,
                        Resp* resp, CallOptions const& opts = {}) {
    auto stub = control_stub();
    return invoke(method, opts, [&](grpc::ClientContext& ctx) {
      resp->Clear();
      return ((*stub).*fn)(&ctx, req, resp);
    });
  }

  /// Prepares `ctx` for a server-streaming control-plane call: static headers and the
  /// auth token (streaming calls are not retried by the pipeline).
  void prepare_streaming_context(grpc::ClientContext& ctx);

  /// The control-plane stub. @throws ClientClosedError after close().
  std::shared_ptr<ModalStub> control_stub();
  /// A channel to `target` (cached per target and transport, created lazily).
  /// @throws ClientClosedError after close().
  std::shared_ptr<grpc::Channel> channel(std::string const& target, bool tls);

  /// Reports one attempt to the CallObserver (and the DEBUG log).
  void observe(std::string_view service, std::string_view method, grpc::Status const& status,
               std::chrono::steady_clock::duration elapsed, int attempt);

  /// The image builder version for `environment` ("" = the client's): the configured one,
  /// else the environment's setting from EnvironmentGetOrCreate, looked up once per
  /// environment name and cached for the client's lifetime. @throws modal::Error.
  std::string image_builder_version(std::string const& environment);

  void close();
  bool closed() const { return closed_.load(); }
  /// @throws ClientClosedError if closed.
  void throw_if_closed() const;

  /// Test seams: replace the sleeper and clocks used by retries and auth tokens.
  void set_sleeper_for_testing(Sleeper sleeper);

 private:
  using Attempt = std::function<grpc::Status(grpc::ClientContext&)>;
  grpc::Status invoke(std::string_view method, CallOptions const& opts, Attempt const& attempt);
  void add_static_headers(grpc::ClientContext& ctx) const;
  void check_credentials() const;

  ResolvedConfig config_;
  ClientOptions options_;
  std::shared_ptr<Redactor> redactor_;
  std::shared_ptr<spdlog::logger> logger_;
  std::unique_ptr<AuthTokenManager> auth_;
  std::string libmodal_version_;

  mutable std::mutex mu_;
  std::atomic<bool> closed_{false};
  std::map<std::pair<std::string, bool>, std::shared_ptr<grpc::Channel>> channels_;
  std::shared_ptr<ModalStub> stub_;
  Sleeper sleeper_;

  std::mutex environments_mu_;  // one lookup at a time; held across the RPC
  std::map<std::string, std::string> builder_versions_;  // environment name → version
};

}  // namespace modal::internal

#endif  // MODAL_INTERNAL_CLIENT_STATE_H
