// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "modal/client.h"

#include "internal/client_state.h"

namespace modal {

Client::Client() : Client(ClientOptions{}) {}

Client::Client(ClientOptions options)
    : state_(internal::ClientState::create(std::move(options), internal::process_env())) {}

AppService Client::apps() const { return AppService(state_); }
ClsService Client::cls() const { return ClsService(state_); }
FunctionCallService Client::function_calls() const { return FunctionCallService(state_); }
FunctionService Client::functions() const { return FunctionService(state_); }
ImageService Client::images() const { return ImageService(state_); }
ProxyService Client::proxies() const { return ProxyService(state_); }
QueueService Client::queues() const { return QueueService(state_); }
SandboxService Client::sandboxes() const { return SandboxService(state_); }
SecretService Client::secrets() const { return SecretService(state_); }
VolumeService Client::volumes() const { return VolumeService(state_); }

std::string const& Client::environment() const { return state_->config().environment; }
std::string const& Client::server_url() const { return state_->config().server_url; }

void Client::close() { state_->close(); }

}  // namespace modal
