// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_SECRET_STATE_H
#define MODAL_INTERNAL_SECRET_STATE_H

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "modal/secret.h"

namespace modal::internal {

class ClientState;

/// The shared state behind a modal::Secret.
struct SecretState {
  std::shared_ptr<ClientState> client{};
  std::string name{};
  std::string environment{};
  /// Key/values of a from_map Secret (empty for deployed ones).
  std::map<std::string, std::string> entries{};
  bool from_map = false;

  std::mutex mu;
  std::string id{};  // guarded by mu

  /// The server id of `secret`, creating the ephemeral Secret on first use (once, even
  /// with concurrent callers; a failure is not cached). @throws modal::Error.
  static std::string ensure_id(Secret const& secret);
  /// Creates an ephemeral Secret holding `entries` in `environment` (how environment
  /// variables of Sandboxes and image layers travel); returns its id. @throws modal::Error.
  static std::string create_ephemeral(ClientState& client, std::string const& environment,
                                      std::map<std::string, std::string> const& entries);
  /// True for from_map Secrets, whose entries may travel as plain env vars instead.
  static bool is_from_map(Secret const& secret) { return secret.state_->from_map; }
  static std::map<std::string, std::string> const& entries_of(Secret const& secret) {
    return secret.state_->entries;
  }

  /// An environment as plain variables plus Secrets by id (how exec, sidecars and V2
  /// Sandboxes send one): the entries of from_map Secrets in order, then `env`, which wins;
  /// the ids of the other Secrets in order (hydrated with ensure_id). @throws modal::Error.
  struct Split {
    std::map<std::string, std::string> env{};
    std::vector<std::string> secret_ids{};
  };
  static Split split(std::vector<Secret> const& secrets,
                     std::map<std::string, std::string> const& env);
};

}  // namespace modal::internal

#endif  // MODAL_INTERNAL_SECRET_STATE_H
