// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_CLIENT_STATE_H
#define MODAL_INTERNAL_CLIENT_STATE_H

// How to add a service to the SDK
// -------------------------------
// 1. Protocol: add the messages and RPCs to proto/ (scripts/proto_subset.py copies them
//    from upstream, identical) and name each RPC once in src/internal/rpc.h
//    (MODAL_CONTROL_RPC(QueuePut); or MODAL_ROUTER_RPC for the task command router).
// 2. Public API: include/modal/<service>.h with a `<Noun>Service` value facade holding
//    `std::shared_ptr<internal::ClientState>` (obtained from `Client::<nouns>()`), handle
//    classes holding a `std::shared_ptr<internal::<Noun>State>`, and `<Noun><Verb>Params`
//    aggregates (every field defaulted, only ever appended). Standard types only.
// 3. Calls: `client.call(rpc::QueuePut, req, {.not_found = "Queue 'x' not found"})`.
//    The pipeline adds headers, auth, retries (RetryPolicy::control_plane), deadlines and
//    observation; errors map to modal::Error in internal/status.cc. Environment names
//    default with `client.environment(params.environment)`. Never write a retry loop or a
//    sleep: long polls use `Attempt::again()` inside run_call(); polls sleep through
//    `client.timer()`; streams are a ResumableStream (pipeline().stream() for the control
//    plane) fed into a BytePump when a reader pulls bytes; lists return `Range<T>`.
// 4. Cancellation: a handle that can be detached owns a child of `client.scope()` and
//    passes it as CallOptions::scope; bounded or cancellable calls fill CallControl.
// 5. Per-service caches live in `client.domain<T>()` (T defined by the service).
// 6. Tests: unit tests drive run_call, ResumableStream and ExecChannel users with the
//    fakes in tests/unit/fakes.h; integration tests use the emulator (tests/integration).

#include <spdlog/logger.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <typeindex>

#include "internal/call_pipeline.h"
#include "internal/cancellation.h"
#include "internal/config.h"
#include "internal/connections.h"
#include "internal/heartbeats.h"
#include "internal/rpc.h"
#include "internal/settings.h"
#include "modal/client.h"

namespace modal::internal {

/**
 * Everything a Client and its handles share, by responsibility:
 * - settings(): configuration and logging;
 * - connections(): channels and stubs;
 * - pipeline(): the control-plane call pipeline (headers, auth, retries, observer);
 * - scope(): the cancellation scope that close() cancels (Sandbox scopes are children);
 * - domain<T>(): per-service shared state (caches), owned here, defined by the service.
 * Thread-safe.
 */
class ClientState : public std::enable_shared_from_this<ClientState> {
 public:
  /// Resolves the configuration from `options`, the environment and the config file.
  static std::shared_ptr<ClientState> create(ClientOptions options, EnvLookup const& env);

  ClientState(ResolvedConfig config, ClientOptions options);
  ~ClientState();
  ClientState(ClientState const&) = delete;
  ClientState& operator=(ClientState const&) = delete;

  Settings const& settings() const { return settings_; }
  Connections& connections() { return connections_; }
  CallPipeline& pipeline() { return pipeline_; }
  CancelScope& scope() { return *scope_; }
  std::shared_ptr<CancelScope> const& scope_ptr() const { return scope_; }
  Timer& timer() { return pipeline_.timer(); }
  /// The keep-alive beats of ephemeral objects (one thread, started on first use).
  Heartbeats& heartbeats() { return heartbeats_; }
  /// ClientOptions::heartbeat_interval, else upstream's 300 s.
  Clock::duration heartbeat_interval() const;

  /// The shared state of type T of one service (created on first use; T must be
  /// default-constructible and thread-safe).
  template <typename T>
  T& domain() {
    std::lock_guard lock(domains_mu_);
    auto& slot = domains_[std::type_index(typeid(T))];
    if (!slot) slot = std::make_shared<T>();
    return *static_cast<T*>(slot.get());
  }

  // Shorthands for what every service uses.
  ResolvedConfig const& config() const { return settings_.config(); }
  spdlog::logger& logger() const { return settings_.logger(); }
  Redactor& redactor() const { return settings_.redactor(); }
  /// `requested`, or the client's environment when empty.
  std::string const& environment(std::string const& requested) const {
    return settings_.environment(requested);
  }
  template <typename Req, typename Resp>
  Resp call(UnaryRpc<ModalStub, Req, Resp> const& rpc, Req const& req,
            CallOptions const& opts = {}) {
    return pipeline_.call(rpc, req, opts);
  }
  template <typename Req, typename Resp>
  grpc::Status try_call(UnaryRpc<ModalStub, Req, Resp> const& rpc, Req const& req, Resp* resp,
                        CallOptions const& opts = {}) {
    return pipeline_.try_call(rpc, req, resp, opts);
  }

  /// Cancels every call and sleep in flight (they throw ClientClosedError) and releases
  /// the connections; later calls throw ClientClosedError. Idempotent.
  void close();
  bool closed() const { return scope_->cancelled(); }
  /// @throws ClientClosedError if closed.
  void throw_if_closed() const { scope_->throw_if_cancelled(); }

  /// Test seam: replaces the clock and sleeper of every retry and poll (before any call).
  void set_timer_for_testing(std::shared_ptr<Timer> timer) {
    heartbeats_.set_timer(timer);
    pipeline_.set_timer(std::move(timer));
  }

 private:
  Settings settings_;
  Connections connections_;
  std::shared_ptr<CancelScope> scope_;
  CallPipeline pipeline_;

  std::mutex domains_mu_;
  std::map<std::type_index, std::shared_ptr<void>> domains_;
  // Last: its thread stops (the scope is cancelled by then) before the rest goes.
  Heartbeats heartbeats_;
};

}  // namespace modal::internal

#endif  // MODAL_INTERNAL_CLIENT_STATE_H
