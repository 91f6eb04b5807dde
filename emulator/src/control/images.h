// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_CONTROL_IMAGES_H
#define MODAL_EMULATOR_SRC_CONTROL_IMAGES_H

#include "control/handlers.h"

namespace modal::emulator {

/// Images (images.cc): emulated builds and their logs (store: Core::images()).
class ImageHandlers : public DomainHandlers {
 public:
  using DomainHandlers::DomainHandlers;

  MODAL_EMULATOR_UNARY_RPC(ImageGetOrCreate);
  grpc::Status ImageJoinStreaming(
      grpc::ServerContext* ctx, modal::client::ImageJoinStreamingRequest const* req,
      grpc::ServerWriter<modal::client::ImageJoinStreamingResponse>* writer) override;
};

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_CONTROL_IMAGES_H
