// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_ROUTER_CLIENT_H
#define MODAL_INTERNAL_ROUTER_CLIENT_H

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "internal/exec_channel.h"
#include "internal/retry.h"
#include "internal/rpc.h"

namespace modal::internal {

class ClientState;

/// Where a task's command router lives and the bearer JWT that admits us.
struct RouterAccess {
  std::string url{};
  std::string jwt{};
};

/// "host:port" of a router URL. The URL must be https:// (port 443 by default).
/// @throws Error for any other scheme or a missing host.
std::string router_target(std::string const& url);

/**
 * One Sandbox's session with its task command router: a dedicated gRPC channel, the
 * router JWT (sent as `authorization: Bearer <jwt>`) and Modal's router call policy
 * (RetryPolicy::router() through run_call()).
 *
 * The JWT is refreshed (TaskGetCommandRouterAccess through the control plane) before a
 * call when it expires within 30 s, and once after UNAUTHENTICATED; concurrent callers
 * share one refresh. The session's scope is a child of the Sandbox's: close() (detach),
 * Sandbox::detach() and Client::close() cancel every call and sleep in flight, and later
 * calls throw ClientClosedError. Thread-safe.
 */
class RouterClient final : public ExecChannel, public std::enable_shared_from_this<RouterClient> {
 public:
  /// Fetches fresh access (TaskGetCommandRouterAccess). Throws modal::Error.
  using AccessFetcher = std::function<RouterAccess()>;

  /// Connects to the router named by `access` (plaintext only when the configured
  /// server host is loopback), in `scope` (a Sandbox's). @throws Error for a bad URL or JWT.
  static std::shared_ptr<RouterClient> connect(std::shared_ptr<ClientState> client,
                                               CancelScope& scope, std::string task_id,
                                               RouterAccess access, AccessFetcher fetch);

  RouterClient(std::shared_ptr<ClientState> client, std::shared_ptr<CancelScope> scope,
               std::string task_id, RouterAccess access, AccessFetcher fetch,
               std::shared_ptr<grpc::Channel> channel, bool tls);
  ~RouterClient() override;
  RouterClient(RouterClient const&) = delete;
  RouterClient& operator=(RouterClient const&) = delete;

  std::string const& url() const { return url_; }
  bool tls() const { return tls_; }
  RouterStub& stub() { return *stub_; }
  ClientState& client() { return *client_; }

  /// A unary call under the router policy. @throws modal::Error on failure.
  template <typename Req, typename Resp>
  Resp call(UnaryRpc<RouterStub, Req, Resp> const& rpc, Req const& req,
            CallControl const& control = {}) {
    Resp resp;
    auto status = run_call(*this, rpc.name, RetryPolicy::router(), control, [&](Attempt& a) {
      resp.Clear();
      return rpc(*stub_, a.context(), req, &resp);
    });
    if (!status.ok()) throw_rpc_error_for(status, rpc.name);
    return resp;
  }

  /// Refreshes the JWT if it expires within 30 s.
  void refresh_if_expiring();

  /// Cancels every call in flight; later calls throw ClientClosedError (with `reason`,
  /// else "detached"). Idempotent.
  void close(std::string reason = {});
  bool closed() const { return scope_->cancelled(); }
  /// @throws ClientClosedError if closed (or the Sandbox detached, or the Client closed).
  void throw_if_closed() const { scope_->throw_if_cancelled(); }

  /// The current JWT (tests).
  std::string jwt() const;

  // CallTarget
  std::string_view service() const override;
  std::uint64_t prepare(grpc::ClientContext& ctx, std::string_view method,
                        AttemptMetadata const& md) override;
  bool refresh_credential(std::uint64_t generation) override;
  void observe(std::string_view method, grpc::Status const& status, Clock::duration elapsed,
               int attempt) override;
  CancelScope const& scope() const override { return *scope_; }
  Timer& timer() override;
  spdlog::logger& logger() override;

  // ExecChannel
  std::string const& task_id() const override { return task_id_; }
  std::unique_ptr<grpc::ClientReaderInterface<tcr::TaskExecStdioReadResponse>> stdio_read(
      grpc::ClientContext& ctx, tcr::TaskExecStdioReadRequest const& req) override;
  grpc::Status exec_wait(grpc::ClientContext& ctx, tcr::TaskExecWaitRequest const& req,
                         tcr::TaskExecWaitResponse* resp, StallHook const& on_stall) override;
  grpc::Status exec_poll(grpc::ClientContext& ctx, tcr::TaskExecPollRequest const& req,
                         tcr::TaskExecPollResponse* resp) override;
  grpc::Status stdin_write(grpc::ClientContext& ctx, tcr::TaskExecStdinWriteRequest const& req,
                           tcr::TaskExecStdinWriteResponse* resp,
                           StallHook const& on_stall) override;

 private:
  [[noreturn]] static void throw_rpc_error_for(grpc::Status const& status, std::string_view method);
  void store_jwt_locked(std::string jwt);
  void install_access(RouterAccess access);

  std::shared_ptr<ClientState> client_;
  std::shared_ptr<CancelScope> scope_;
  std::string task_id_;
  std::string url_;
  bool tls_;
  AccessFetcher fetch_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<RouterStub> stub_;

  mutable std::mutex mu_;  // guards the JWT fields
  std::string jwt_;
  std::optional<std::chrono::system_clock::time_point> jwt_exp_;
  std::uint64_t generation_ = 1;

  std::mutex refresh_mu_;  // one refresh at a time
};

}  // namespace modal::internal

#endif  // MODAL_INTERNAL_ROUTER_CLIENT_H
