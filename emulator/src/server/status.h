// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_SERVER_STATUS_H
#define MODAL_EMULATOR_SRC_SERVER_STATUS_H

#include <string>

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace modal::emulator {

/// The stores and the runtime answer absl::Status; handlers return it as a grpc::Status
/// with the same code and message (the two code enums agree numerically).
inline grpc::Status to_grpc(absl::Status const& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

/// INVALID_ARGUMENT with `message`.
inline grpc::Status invalid_argument(std::string message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::move(message));
}

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_SERVER_STATUS_H
