// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_PROXY_H
#define MODAL_PROXY_H

#include <memory>
#include <string>

namespace modal {
namespace internal {
class ClientState;
}  // namespace internal

/// A Modal Proxy: a static outbound IP for Sandboxes. Cheap to copy; immutable.
struct Proxy {
  /// The Proxy's id.
  std::string proxy_id{};
};

/// Options of `ProxyService::from_name`.
struct ProxyFromNameParams {
  /// Environment name; empty uses the client's.
  std::string environment{};
};

/// Looks up Proxies. Obtain it with `Client::proxies()`. Thread-safe, cheap to copy.
class ProxyService {
 public:
  /// Finds the Proxy named `name`.
  /// @throws NotFoundError if there is no Proxy named `name`.
  Proxy from_name(std::string const& name, ProxyFromNameParams const& params = {}) const;

 private:
  friend class Client;
  explicit ProxyService(std::shared_ptr<internal::ClientState> state) : state_(std::move(state)) {}
  std::shared_ptr<internal::ClientState> state_;
};

}  // namespace modal

#endif  // MODAL_PROXY_H
