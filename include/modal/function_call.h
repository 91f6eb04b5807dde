// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_FUNCTION_CALL_H
#define MODAL_FUNCTION_CALL_H

#include <chrono>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>

#include "modal/logs.h"
#include "modal/value.h"

namespace modal {
namespace internal {
class ClientState;
}  // namespace internal

/// Options of `FunctionCall::get`.
struct FunctionCallGetParams {
  /// How long to wait for the output: unset waits as long as it takes, zero checks once.
  /// Past it: FunctionTimeoutError.
  std::optional<std::chrono::milliseconds> timeout{};
  /// Requesting a stop ends the wait with CancelledError.
  std::stop_token stop{};
};

/// Options of `FunctionCall::cancel`.
struct FunctionCallCancelParams {
  /// Also stop the containers running the input.
  bool terminate_containers = false;
};

/**
 * One input of a Function started with `Function::spawn` (or found again by id with
 * `FunctionCallService::from_id`, possibly from another Client or process). Its output
 * stays available to `get()` any number of times.
 *
 * @par Thread Safety
 * Immutable: safe to copy and to use from any number of threads at once.
 */
class FunctionCall {
 public:
  /// The call's id ("fc-...").
  std::string const& id() const { return id_; }
  /// The id of the Function it runs ("" if the server did not say).
  std::string const& function_id() const { return function_id_; }

  /// Waits for the output (`FunctionGetOutputs` long polls of up to 55 s) and returns it.
  /// @throws FunctionTimeoutError("Timeout exceeded: ...") if none came within
  ///   `params.timeout`; RemoteError / FunctionTimeoutError / InternalFailure as
  ///   `Function::remote` for a failed input; CancelledError once `params.stop` is
  ///   requested; InvalidError for a negative timeout.
  Value get(FunctionCallGetParams const& params = {}) const;

  /// Cancels the input (`FunctionCallCancel`).
  void cancel(FunctionCallCancelParams const& params = {}) const;

  /// The call's logs: what its input printed. Sends nothing.
  FunctionCallLogs logs() const;

 private:
  friend class Function;
  friend class FunctionCallService;
  FunctionCall(std::shared_ptr<internal::ClientState> client, std::string id,
               std::string function_id, std::string app_id)
      : client_(std::move(client)),
        id_(std::move(id)),
        function_id_(std::move(function_id)),
        app_id_(std::move(app_id)) {}
  std::shared_ptr<internal::ClientState> client_;
  std::string id_;
  std::string function_id_;
  std::string app_id_;  // for logs()
};

/// Finds FunctionCalls by id. Obtain it with `Client::function_calls()`.
/// Thread-safe, cheap to copy.
class FunctionCallService {
 public:
  /// The FunctionCall `id` (`FunctionCallFromId`).
  /// @throws InvalidError for an empty id; NotFoundError if there is no such call.
  FunctionCall from_id(std::string const& id) const;

 private:
  friend class Client;
  explicit FunctionCallService(std::shared_ptr<internal::ClientState> state)
      : state_(std::move(state)) {}
  std::shared_ptr<internal::ClientState> state_;
};

}  // namespace modal

#endif  // MODAL_FUNCTION_CALL_H
