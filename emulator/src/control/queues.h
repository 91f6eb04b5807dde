// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_CONTROL_QUEUES_H
#define MODAL_EMULATOR_SRC_CONTROL_QUEUES_H

#include "control/handlers.h"

namespace modal::emulator {

/// Queues (queues.cc; stores: Core::queues() for names and ids, Core::queue_items() for
/// the items, store/queues.h).
class QueueHandlers : public DomainHandlers {
 public:
  using DomainHandlers::DomainHandlers;

  MODAL_EMULATOR_UNARY_RPC(QueueGetOrCreate);
  MODAL_EMULATOR_UNARY_RPC(QueueGet);
  MODAL_EMULATOR_UNARY_RPC(QueueLen);
  MODAL_EMULATOR_UNARY_RPC(QueueNextItems);
  grpc::Status QueueHeartbeat(grpc::ServerContext* ctx,
                              modal::client::QueueHeartbeatRequest const* req,
                              google::protobuf::Empty* resp) override;
  grpc::Status QueueDelete(grpc::ServerContext* ctx, modal::client::QueueDeleteRequest const* req,
                           google::protobuf::Empty* resp) override;
  grpc::Status QueuePut(grpc::ServerContext* ctx, modal::client::QueuePutRequest const* req,
                        google::protobuf::Empty* resp) override;
  grpc::Status QueueClear(grpc::ServerContext* ctx, modal::client::QueueClearRequest const* req,
                          google::protobuf::Empty* resp) override;
};

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_CONTROL_QUEUES_H
