// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "internal/connections.h"

#include <fstream>
#include <sstream>

#include "modal/errors.h"

namespace modal::internal {
namespace {

std::string read_file(char const* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

grpc::ChannelArguments default_channel_arguments() {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(100 * 1024 * 1024);
  args.SetMaxSendMessageSize(100 * 1024 * 1024);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 64 * 1024 * 1024);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  return args;
}

std::shared_ptr<grpc::ChannelCredentials> channel_credentials(bool tls) {
  if (!tls) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  // The system's trust store (Debian's ca-certificates); gRPC's defaults otherwise.
  for (char const* path :
       {"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"}) {
    ssl.pem_root_certs = read_file(path);
    if (!ssl.pem_root_certs.empty()) break;
  }
  return grpc::SslCredentials(ssl);
}

void Connections::throw_if_closed_locked() const {
  if (closed_) throw ClientClosedError("the Modal client is closed");
}

std::shared_ptr<grpc::Channel> Connections::channel(std::string const& target, bool tls) {
  std::lock_guard lock(mu_);
  throw_if_closed_locked();
  auto& ch = channels_[{target, tls}];
  if (!ch) {
    ch = grpc::CreateCustomChannel(target, channel_credentials(tls), default_channel_arguments());
  }
  return ch;
}

std::shared_ptr<grpc::Channel> Connections::dedicated_channel(std::string const& target, bool tls) {
  {
    std::lock_guard lock(mu_);
    throw_if_closed_locked();
  }
  grpc::ChannelArguments args = default_channel_arguments();
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(target, channel_credentials(tls), args);
}

std::shared_ptr<ModalStub> Connections::control_stub() {
  auto ch = channel(server_.target, server_.tls);
  std::lock_guard lock(mu_);
  throw_if_closed_locked();
  if (!stub_) stub_ = modal::client::ModalClient::NewStub(ch);
  return stub_;
}

void Connections::close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  stub_.reset();
  channels_.clear();
}

}  // namespace modal::internal
