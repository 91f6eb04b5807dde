// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_TESTS_INTEGRATION_RAW_CONTROL_H
#define MODAL_TESTS_INTEGRATION_RAW_CONTROL_H

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "modal/emulator.h"
#include "modal_proto/api.grpc.pb.h"

namespace modal::testing {

/**
 * An emulator's control plane over plain gRPC, bypassing the SDK (no retries, no handles,
 * so no heartbeats): for calls the SDK does not make, or makes differently.
 *
 *     RawControl raw(emu());
 *     auto ctx = raw.context();
 *     ASSERT_TRUE(raw->QueueLen(ctx.get(), req, &resp).ok());
 */
class RawControl {
 public:
  explicit RawControl(emulator::Emulator const& emu)
      : stub_(modal::client::ModalClient::NewStub(
            grpc::CreateChannel(emu.address(), grpc::InsecureChannelCredentials()))),
        token_id_(emu.options().token_id),
        token_secret_(emu.options().token_secret) {}

  /// A context for one call, carrying the emulator's credentials.
  std::unique_ptr<grpc::ClientContext> context() const {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("x-modal-token-id", token_id_);
    ctx->AddMetadata("x-modal-token-secret", token_secret_);
    return ctx;
  }

  modal::client::ModalClient::Stub* operator->() const { return stub_.get(); }

 private:
  std::unique_ptr<modal::client::ModalClient::Stub> stub_;
  std::string token_id_;
  std::string token_secret_;
};

}  // namespace modal::testing

#endif  // MODAL_TESTS_INTEGRATION_RAW_CONTROL_H
