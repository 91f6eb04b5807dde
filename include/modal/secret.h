// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_SECRET_H
#define MODAL_SECRET_H

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace modal {
namespace internal {
class ClientState;
struct SecretState;
}  // namespace internal

/**
 * A Modal Secret: a set of environment variables injected into Sandboxes and Functions.
 *
 * Secrets from `SecretService::from_name` exist on the server. Secrets from
 * `SecretService::from_map` are created lazily, as ephemeral Secrets, the first time
 * they are used, at most once however many threads use them.
 *
 * @par Thread Safety
 * Safe to copy and use from any number of threads; copies share one state.
 */
class Secret {
 public:
  /// The server id ("st-..."), or "" for a from_map Secret not used yet.
  std::string secret_id() const;
  /// The deployed name, or "" for a from_map Secret.
  std::string const& name() const;

 private:
  friend class SecretService;
  friend struct internal::SecretState;
  explicit Secret(std::shared_ptr<internal::SecretState> state) : state_(std::move(state)) {}
  std::shared_ptr<internal::SecretState> state_;
};

/// Options of `SecretService::from_name`.
struct SecretFromNameParams {
  /// Environment name; empty uses the client's.
  std::string environment{};
  /// Keys the Secret must contain; the server rejects the lookup otherwise.
  std::vector<std::string> required_keys{};
};

/// Options of `SecretService::from_map`.
struct SecretFromMapParams {
  /// Environment the Secret is created in; empty uses the client's.
  std::string environment{};
};

/// Options of `SecretService::remove`.
struct SecretDeleteParams {
  /// Environment name; empty uses the client's.
  std::string environment{};
  /// Succeed when the Secret does not exist.
  bool allow_missing = false;
};

/// Looks up, creates and deletes Secrets. Obtain it with `Client::secrets()`.
/// Thread-safe, cheap to copy.
class SecretService {
 public:
  /// Looks up a deployed Secret. @throws NotFoundError if there is none named `name`.
  Secret from_name(std::string const& name, SecretFromNameParams const& params = {}) const;
  /// A Secret holding `entries`, created on first use. Sends nothing now.
  /// @throws InvalidError if a key is not a valid environment variable name.
  Secret from_map(std::map<std::string, std::string> entries,
                  SecretFromMapParams const& params = {}) const;
  /// Deletes the Secret named `name` (C++ reserves `delete`).
  /// @throws NotFoundError if it does not exist, unless `params.allow_missing`.
  void remove(std::string const& name, SecretDeleteParams const& params = {}) const;

 private:
  friend class Client;
  explicit SecretService(std::shared_ptr<internal::ClientState> state) : state_(std::move(state)) {}
  std::shared_ptr<internal::ClientState> state_;
};

}  // namespace modal

#endif  // MODAL_SECRET_H
