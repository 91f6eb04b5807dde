// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_TESTS_EMULATOR_EMULATOR_TEST_UTIL_H
#define MODAL_TESTS_EMULATOR_EMULATOR_TEST_UTIL_H

#include <chrono>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/client_unary_call.h>

#include "modal/emulator.h"
#include "modal_proto/api.grpc.pb.h"

namespace modal::emulator::testing {

/// Which credentials a test context carries.
struct Credentials {
  std::string token_id = "ak-emulator";
  std::string token_secret = "as-emulator";
  /// Sent as x-modal-auth-token when non-empty.
  std::string auth_token{};
  /// Leave out x-modal-token-id / -secret entirely.
  bool omit = false;
};

/// A raw generated stub talking plaintext gRPC to an emulator.
class RawClient {
 public:
  explicit RawClient(std::string const& address)
      : channel_(grpc::CreateChannel(address, grpc::InsecureChannelCredentials())),
        stub_(modal::client::ModalClient::NewStub(channel_)) {}

  /// A context with a 10 s deadline and the given credentials.
  static std::unique_ptr<grpc::ClientContext> context(Credentials const& creds = {}) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!creds.omit) {
      ctx->AddMetadata("x-modal-token-id", creds.token_id);
      ctx->AddMetadata("x-modal-token-secret", creds.token_secret);
    }
    if (!creds.auth_token.empty()) ctx->AddMetadata("x-modal-auth-token", creds.auth_token);
    return ctx;
  }

  modal::client::ModalClient::Stub& stub() { return *stub_; }
  std::shared_ptr<grpc::Channel> const& channel() const { return channel_; }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<modal::client::ModalClient::Stub> stub_;
};

}  // namespace modal::emulator::testing

#endif  // MODAL_TESTS_EMULATOR_EMULATOR_TEST_UTIL_H
