// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_APP_H
#define MODAL_APP_H

#include <memory>
#include <string>

namespace modal {
namespace internal {
class ClientState;
}  // namespace internal

/// A Modal App: the namespace that Sandboxes, Functions and Images belong to.
struct App {
  /// The App's id ("ap-...").
  std::string app_id{};
  /// The App's name.
  std::string name{};
  /// The environment the App was looked up in ("" = the server's default).
  std::string environment{};
};

/// Options of `AppService::from_name`.
struct AppFromNameParams {
  /// Environment name; empty uses the client's.
  std::string environment{};
  /// Create the App if it does not exist.
  bool create_if_missing = false;
};

/// Looks up Apps. Obtain it with `Client::apps()`. Thread-safe, cheap to copy.
class AppService {
 public:
  /// Finds the App named `name`, creating it when `params.create_if_missing`.
  /// @throws NotFoundError if it does not exist and was not to be created.
  App from_name(std::string const& name, AppFromNameParams const& params = {}) const;

 private:
  friend class Client;
  explicit AppService(std::shared_ptr<internal::ClientState> state) : state_(std::move(state)) {}
  std::shared_ptr<internal::ClientState> state_;
};

}  // namespace modal

#endif  // MODAL_APP_H
