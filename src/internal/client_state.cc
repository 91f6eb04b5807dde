// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "internal/client_state.h"

#include <string>

#include "modal/errors.h"

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
      pipeline_(settings_, connections_, scope_, Timer::system()),
      heartbeats_(Timer::system(), scope_,
                  [this](std::string const& message) { logger().debug("{}", message); }) {
  if (auto const& interval = settings_.options().heartbeat_interval;
      interval && interval->count() <= 0) {
    throw InvalidError("ClientOptions::heartbeat_interval must be positive, got " +
                       std::to_string(interval->count()) + " ms");
  }
}

Clock::duration ClientState::heartbeat_interval() const {
  return settings_.options().heartbeat_interval.value_or(std::chrono::seconds(300));
}

ClientState::~ClientState() { close(); }

void ClientState::close() {
  scope_->cancel();
  connections_.close();
}

}  // namespace modal::internal
