// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "internal/client_state.h"

namespace modal::internal {

namespace {
constexpr char kClosedMessage[] = "the Modal client is closed";
}  // namespace

std::shared_ptr<ClientState> ClientState::create(ClientOptions options, EnvLookup const& env) {
  auto config = resolve_config(options, env);
  return std::make_shared<ClientState>(std::move(config), std::move(options));
}

ClientState::ClientState(ResolvedConfig config, ClientOptions options)
    : settings_(std::move(config), std::move(options)),
      connections_(settings_.config().server),
      scope_(CancelScope::root(kClosedMessage)),
      pipeline_(settings_, connections_, scope_, Timer::system()) {}

ClientState::~ClientState() { close(); }

void ClientState::close() {
  scope_->cancel();
  connections_.close();
}

}  // namespace modal::internal
