// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_CONTROL_IMAGES_H
#define MODAL_EMULATOR_SRC_CONTROL_IMAGES_H

#include "control/handlers.h"

namespace modal::emulator {

/// Images (images.cc): builds and their logs, lookups, names (store: Core::images()).
class ImageHandlers : public DomainHandlers {
 public:
  using DomainHandlers::DomainHandlers;

  MODAL_EMULATOR_UNARY_RPC(ImageGetOrCreate);
  MODAL_EMULATOR_UNARY_RPC(ImageFromId);
  MODAL_EMULATOR_UNARY_RPC(ImageGetByTag);
  MODAL_EMULATOR_UNARY_RPC(ImagePublish);
  grpc::Status ImageDelete(grpc::ServerContext* ctx, modal::client::ImageDeleteRequest const* req,
                           google::protobuf::Empty* resp) override;
  grpc::Status ImageJoinStreaming(
      grpc::ServerContext* ctx, modal::client::ImageJoinStreamingRequest const* req,
      grpc::ServerWriter<modal::client::ImageJoinStreamingResponse>* writer) override;
};

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_CONTROL_IMAGES_H
