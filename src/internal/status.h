// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_STATUS_H
#define MODAL_INTERNAL_STATUS_H

#include <grpcpp/support/status.h>

#include <chrono>
#include <optional>
#include <string_view>

#include "modal/errors.h"

namespace modal::internal {

StatusCode to_status_code(grpc::StatusCode code) noexcept;

/**
 * The one place where a failed RPC becomes a modal::Error. `summary`, when given,
 * replaces the generic first part of the message (e.g. "App 'x' not found"); the
 * server's message is always kept (Error::server_message and appended to what()).
 *
 * NOT_FOUND → NotFoundError, ALREADY_EXISTS → AlreadyExistsError, INVALID_ARGUMENT →
 * InvalidError, FAILED_PRECONDITION → ConflictError, UNAUTHENTICATED and
 * PERMISSION_DENIED → AuthError, UNAVAILABLE → ConnectionError, DEADLINE_EXCEEDED →
 * TimeoutError, INTERNAL → InternalFailure, anything else → Error.
 */
[[noreturn]] void throw_rpc_error(grpc::Status const& status, std::string_view method,
                                  std::string_view summary = {});

/// The server-directed retry delay (modal.client.RPCRetryPolicy in the status details).
std::optional<std::chrono::duration<double>> server_retry_after(grpc::Status const& status);

}  // namespace modal::internal

#endif  // MODAL_INTERNAL_STATUS_H
