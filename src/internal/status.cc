// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "internal/status.h"

#include <string>

#include "modal_proto/api.pb.h"

namespace modal::internal {

StatusCode to_status_code(grpc::StatusCode code) noexcept {
  auto const n = static_cast<int>(code);
  if (n < 0 || n > static_cast<int>(StatusCode::kUnauthenticated)) return StatusCode::kUnknown;
  return static_cast<StatusCode>(n);
}

void throw_rpc_error(grpc::Status const& status, std::string_view method,
                     std::string_view summary) {
  auto const code = to_status_code(status.error_code());
  std::string const server_message = status.error_message();
  std::string what;
  if (!summary.empty()) {
    what = std::string(summary);
    if (!server_message.empty() && server_message != summary) what += " (" + server_message + ")";
  } else {
    what = std::string(method) + " failed with " + std::string(to_string(code));
    if (!server_message.empty()) what += ": " + server_message;
  }
  std::string m(method);
  switch (status.error_code()) {
    case grpc::StatusCode::NOT_FOUND:
      throw NotFoundError(what, code, m, server_message);
    case grpc::StatusCode::ALREADY_EXISTS:
      throw AlreadyExistsError(what, code, m, server_message);
    case grpc::StatusCode::INVALID_ARGUMENT:
      throw InvalidError(what, code, m, server_message);
    case grpc::StatusCode::FAILED_PRECONDITION:
      throw ConflictError(what, code, m, server_message);
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
      throw AuthError(what, code, m, server_message);
    case grpc::StatusCode::UNAVAILABLE:
      throw ConnectionError(what, code, m, server_message);
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      throw TimeoutError(what, code, m, server_message);
    case grpc::StatusCode::INTERNAL:
      throw InternalFailure(what, code, m, server_message);
    default:
      throw Error(what, code, m, server_message);
  }
}

std::optional<std::chrono::duration<double>> server_retry_after(grpc::Status const& status) {
  if (status.error_details().empty()) return std::nullopt;
  modal::client::RPCStatus details;
  if (!details.ParseFromString(status.error_details())) return std::nullopt;
  for (auto const& any : details.details()) {
    modal::client::RPCRetryPolicy policy;
    if (any.Is<modal::client::RPCRetryPolicy>() && any.UnpackTo(&policy)) {
      return std::chrono::duration<double>(policy.retry_after_secs());
    }
  }
  return std::nullopt;
}

}  // namespace modal::internal
