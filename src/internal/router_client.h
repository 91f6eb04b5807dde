// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_ROUTER_CLIENT_H
#define MODAL_INTERNAL_ROUTER_CLIENT_H

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "modal_proto/task_command_router.grpc.pb.h"

namespace modal::internal {

class ClientState;

using RouterStub = modal::task_command_router::TaskCommandRouter::Stub;

template <typename Req, typename Resp>
using RouterMethod = grpc::Status (RouterStub::*)(grpc::ClientContext*, Req const&, Resp*);

/// Where a task's command router lives and the bearer JWT that admits us.
struct RouterAccess {
  std::string url;
  std::string jwt;
};

/// "host:port" of a router URL. The URL must be https:// (port 443 by default).
/// @throws Error for any other scheme or a missing host.
std::string router_target(std::string const& url);

/// Retry policy of router calls: transient codes (DEADLINE_EXCEEDED, UNAVAILABLE,
/// CANCELLED, INTERNAL, UNKNOWN) retried with `base_delay` × `factor`^n, at most
/// `max_retries` times.
struct RouterRetryPolicy {
  std::chrono::milliseconds base_delay{10};
  double factor = 2.0;
  int max_retries = 10;
  /// Overall deadline (RD policy): every attempt gets the remaining time as its gRPC
  /// deadline; DEADLINE_EXCEEDED and CANCELLED are not retried.
  std::optional<std::chrono::steady_clock::time_point> deadline;
  /// Per-attempt gRPC deadline (ignored when `deadline` is set).
  std::optional<std::chrono::milliseconds> attempt_timeout;
};

/**
 * One Sandbox's session with its task command router: a dedicated gRPC channel, the
 * router JWT (sent as `authorization: Bearer <jwt>`) and Modal's router call policy.
 *
 * The JWT is refreshed (TaskGetCommandRouterAccess through the control plane) before a
 * call when it expires within 30 s, and once after UNAUTHENTICATED; concurrent callers
 * share one refresh. close() cancels every call in flight and makes later calls throw
 * ClientClosedError. Thread-safe.
 */
class RouterClient : public std::enable_shared_from_this<RouterClient> {
 public:
  /// Fetches fresh access (TaskGetCommandRouterAccess). Throws modal::Error.
  using AccessFetcher = std::function<RouterAccess()>;

  /// Connects to the router named by `access` (plaintext only when the configured
  /// server host is loopback). @throws Error for a bad URL or JWT.
  static std::shared_ptr<RouterClient> connect(std::shared_ptr<ClientState> client,
                                               std::string task_id, RouterAccess access,
                                               AccessFetcher fetch);

  RouterClient(std::shared_ptr<ClientState> client, std::string task_id, RouterAccess access,
               AccessFetcher fetch, std::shared_ptr<grpc::Channel> channel, bool tls);
  ~RouterClient();
  RouterClient(RouterClient const&) = delete;
  RouterClient& operator=(RouterClient const&) = delete;

  std::string const& task_id() const { return task_id_; }
  std::string const& url() const { return url_; }
  bool tls() const { return tls_; }
  RouterStub& stub() { return *stub_; }
  ClientState& client() { return *client_; }

  // ---- building blocks (used by exec streams) ----

  /// A registered call context: cancelled by close(); unregisters on destruction.
  class Call {
   public:
    ~Call();
    Call(Call const&) = delete;
    Call& operator=(Call const&) = delete;
    grpc::ClientContext& context() { return ctx_; }
    /// The JWT generation the call was authorized with (for refresh_after()).
    std::uint64_t generation() const { return generation_; }

   private:
    friend class RouterClient;
    explicit Call(RouterClient& owner) : owner_(owner) {}
    RouterClient& owner_;
    grpc::ClientContext ctx_;
    std::uint64_t generation_ = 0;
  };
  /// A fresh context carrying the (proactively refreshed) bearer JWT, registered for
  /// cancellation. @throws ClientClosedError after close().
  std::unique_ptr<Call> new_call();

  /// Refreshes the JWT if it is the one of `generation` (UNAUTHENTICATED seen); another
  /// caller's refresh since then counts. @throws modal::Error if the refresh fails.
  void refresh_after(std::uint64_t generation);
  /// Refreshes the JWT if it expires within 30 s (or its expiry is unknown and `force`).
  void refresh_if_expiring();

  /// Sleeps `d`, returning early (false) if the client is closed meanwhile.
  bool sleep_for(std::chrono::nanoseconds d);

  /// Reports one attempt to the client's CallObserver / debug log.
  void observe(std::string_view method, grpc::Status const& status,
               std::chrono::steady_clock::duration elapsed, int attempt);

  /// Throws the modal::Error for a failed router call: ClientClosedError once closed,
  /// else the mapped RPC error.
  [[noreturn]] void throw_error(grpc::Status const& status, std::string_view method);

  // ---- the policy ----

  /// Runs `attempt` under the router policy (auth retry once on UNAUTHENTICATED inside
  /// transient retries). `attempt` issues one RPC with the given context. Returns the
  /// final status (OK or the last error); with an overall deadline, an error observed
  /// after it becomes DEADLINE_EXCEEDED. @throws ClientClosedError when closed.
  grpc::Status run(std::string_view method, RouterRetryPolicy const& policy,
                   std::function<grpc::Status(grpc::ClientContext&)> const& attempt);

  /// A unary call under run(); throws modal::Error on failure.
  template <typename Req, typename Resp>
  Resp call(std::string_view method, RouterMethod<Req, Resp> fn, Req const& req,
            RouterRetryPolicy const& policy = {}) {
    Resp resp;
    auto status = run(method, policy, [&](grpc::ClientContext& ctx) {
      resp.Clear();
      return ((*stub_).*fn)(&ctx, req, &resp);
    });
    if (!status.ok()) throw_error(status, method);
    return resp;
  }

  /// Cancels every call in flight; later calls throw ClientClosedError. Idempotent.
  void close();
  bool closed() const { return closed_.load(); }
  /// @throws ClientClosedError if closed (or the Client was closed).
  void throw_if_closed() const;

  /// The current JWT (tests).
  std::string jwt() const;

 private:
  void unregister(grpc::ClientContext* ctx);
  void store_jwt_locked(std::string jwt);

  std::shared_ptr<ClientState> client_;
  std::string task_id_;
  std::string url_;
  bool tls_;
  AccessFetcher fetch_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<RouterStub> stub_;

  mutable std::mutex mu_;  // guards the JWT fields, calls_
  std::condition_variable closed_cv_;
  std::string jwt_;
  std::optional<std::chrono::system_clock::time_point> jwt_exp_;
  std::uint64_t generation_ = 1;
  std::set<grpc::ClientContext*> calls_;
  std::atomic<bool> closed_{false};

  std::mutex refresh_mu_;  // one refresh at a time
};

}  // namespace modal::internal

#endif  // MODAL_INTERNAL_ROUTER_CLIENT_H
