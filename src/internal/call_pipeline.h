// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_CALL_PIPELINE_H
#define MODAL_INTERNAL_CALL_PIPELINE_H

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "internal/auth_token_manager.h"
#include "internal/connections.h"
#include "internal/resumable_stream.h"
#include "internal/retry.h"
#include "internal/rpc.h"
#include "internal/settings.h"
#include "internal/status.h"

namespace modal::internal {

/// Per-call knobs of a control-plane call.
struct CallOptions {
  /// Deadline of each attempt (default: ClientOptions::rpc_timeout, else none).
  std::optional<std::chrono::milliseconds> timeout{};
  /// Overrides RetryOptions::max_retries for this call.
  std::optional<int> max_retries{};
  /// The message of the NotFoundError thrown for NOT_FOUND, e.g. "App 'x' not found".
  std::string not_found{};
  /// The message of the AlreadyExistsError thrown for ALREADY_EXISTS.
  std::string already_exists{};
  /// Overall deadline and stop token.
  CallControl control{};
  /// The scope the call belongs to when narrower than the Client's (a Sandbox's).
  CancelScope const* scope = nullptr;
  /// Adjusts this call's retry policy (after max_retries and timeout are applied), e.g. a
  /// lookup that is retried while the object is not found yet. Empty: none.
  std::function<void(RetryPolicy&)> adjust_policy{};
};

/// Throws the modal::Error for a failed call, with the summaries of `opts`.
[[noreturn]] void throw_call_error(grpc::Status const& status, std::string_view method,
                                   CallOptions const& opts);

/**
 * The control-plane call pipeline, in Modal's order: static headers (client type and
 * version, token id and secret) → auth token → retries (idempotency key and retry
 * headers, server-directed throttling) → per-attempt deadline; every attempt is
 * reported to the CallObserver. Thread-safe.
 */
class CallPipeline final : public CallTarget {
 public:
  CallPipeline(Settings const& settings, Connections& connections,
               std::shared_ptr<CancelScope> scope, std::shared_ptr<Timer> timer);

  /// One unary call. @throws modal::Error on failure (summaries from `opts`).
  template <typename Req, typename Resp>
  Resp call(UnaryRpc<ModalStub, Req, Resp> const& rpc, Req const& req,
            CallOptions const& opts = {}) {
    Resp resp;
    auto status = try_call(rpc, req, &resp, opts);
    if (!status.ok()) throw_call_error(status, rpc.name, opts);
    return resp;
  }

  /// Like call(), returning the final status instead of throwing for RPC failures.
  /// Still throws for local failures (closed client, missing credentials, auth).
  template <typename Req, typename Resp>
  grpc::Status try_call(UnaryRpc<ModalStub, Req, Resp> const& rpc, Req const& req, Resp* resp,
                        CallOptions const& opts = {}) {
    auto stub = begin_call();
    return run_call(
        *this, rpc.name, unary_policy(opts), opts.control,
        [&](Attempt& attempt) {
          resp->Clear();
          return rpc(*stub, attempt.context(), req, resp);
        },
        opts.scope);
  }

  /// A server stream read to its end through ResumableStream (reopened at the caller's
  /// cursor after breaks and, with CleanEnd::kReopen, after each long poll).
  /// @throws modal::Error when it fails.
  template <typename Req, typename Resp>
  void stream(StreamRpc<ModalStub, Req, Resp> const& rpc,
              std::type_identity_t<std::function<Req()>> const& request, CleanEnd clean_end,
              std::type_identity_t<std::function<bool(Resp&)>> on_message,
              CallOptions const& opts = {}) {
    auto stub = begin_call();
    ResumableStream<Resp> s;
    s.method = rpc.name;
    s.policy = stream_policy();
    s.clean_end = clean_end;
    s.open = [&](grpc::ClientContext& ctx) { return rpc(*stub, ctx, request()); };
    s.on_message = std::move(on_message);
    auto status = s.run(*this, opts.control, opts.scope);
    if (!status.ok()) throw_call_error(status, rpc.name, opts);
  }

  /// The retry policy of unary calls: ClientOptions::retry, MODAL_MAX_THROTTLE_WAIT.
  RetryPolicy unary_policy(CallOptions const& opts) const;
  /// Streams: the same backoff, 10 failures in a row, no idempotency metadata.
  RetryPolicy stream_policy() const;

  /// Reports one attempt of `service`/`method` (CallObserver and DEBUG log).
  void observe(std::string_view service, std::string_view method, grpc::Status const& status,
               Clock::duration elapsed, int attempt);

  // CallTarget
  std::string_view service() const override;
  std::uint64_t prepare(grpc::ClientContext& ctx, std::string_view method,
                        AttemptMetadata const& md) override;
  bool refresh_credential(std::uint64_t) override { return false; }
  void observe(std::string_view method, grpc::Status const& status, Clock::duration elapsed,
               int attempt) override {
    observe(service(), method, status, elapsed, attempt);
  }
  CancelScope const& scope() const override { return *scope_; }
  Timer& timer() override;
  spdlog::logger& logger() override { return settings_.logger(); }

  /// Test seam: replaces the clock and sleeper (before any call).
  void set_timer(std::shared_ptr<Timer> timer);

 private:
  /// Checks that the call may start; the stub to use. @throws ClientClosedError, AuthError.
  std::shared_ptr<ModalStub> begin_call();

  Settings const& settings_;
  Connections& connections_;
  std::shared_ptr<CancelScope> scope_;
  mutable std::mutex mu_;
  std::shared_ptr<Timer> timer_;
  std::unique_ptr<AuthTokenManager> auth_;
};

}  // namespace modal::internal

#endif  // MODAL_INTERNAL_CALL_PIPELINE_H
