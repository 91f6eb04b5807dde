// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_CONNECTIONS_H
#define MODAL_INTERNAL_CONNECTIONS_H

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "internal/config.h"
#include "internal/rpc.h"

namespace modal::internal {

/// gRPC channel settings shared by control-plane and router channels.
grpc::ChannelArguments default_channel_arguments();
/// TLS with the system's root certificates, or plaintext.
std::shared_ptr<grpc::ChannelCredentials> channel_credentials(bool tls);

/**
 * A Client's gRPC channels and stubs: the control-plane channel (created lazily) and
 * dedicated channels for task command routers. After close(), channels are released
 * and asking for one throws ClientClosedError. Thread-safe.
 */
class Connections {
 public:
  explicit Connections(ServerAddress server) : server_(std::move(server)) {}

  /// The control-plane stub. @throws ClientClosedError after close().
  std::shared_ptr<ModalStub> control_stub();
  /// A channel to `target` shared by every caller (cached per target and transport).
  /// @throws ClientClosedError after close().
  std::shared_ptr<grpc::Channel> channel(std::string const& target, bool tls);
  /// A channel with a connection of its own (a Sandbox's router: released with it, and
  /// not contended by other Sandboxes). @throws ClientClosedError after close().
  std::shared_ptr<grpc::Channel> dedicated_channel(std::string const& target, bool tls);

  void close();

 private:
  void throw_if_closed_locked() const;

  ServerAddress const server_;
  std::mutex mu_;
  bool closed_ = false;
  std::map<std::pair<std::string, bool>, std::shared_ptr<grpc::Channel>> channels_;
  std::shared_ptr<ModalStub> stub_;
};

}  // namespace modal::internal

#endif  // MODAL_INTERNAL_CONNECTIONS_H
