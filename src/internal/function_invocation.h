// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_FUNCTION_INVOCATION_H
#define MODAL_INTERNAL_FUNCTION_INVOCATION_H

// How one input of a Function runs: the input (CBOR, inline or a blob), the control plane
// (FunctionMap, FunctionGetOutputs, FunctionRetryInputs) or the input plane (AttemptStart,
// AttemptAwait, AttemptRetry), and the result (GenericResult → Value or error).

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "modal/value.h"
#include "modal_proto/api.pb.h"

namespace modal::internal {

class ClientState;
struct FunctionState;

/// From upstream (modal/_utils/blob_utils.py, function_utils.py, _functions.py).
inline constexpr std::uint64_t kMaxObjectSizeBytes = std::uint64_t{2} * 1024 * 1024;
inline constexpr std::uint64_t kMaxAsyncObjectSizeBytes = std::uint64_t{8} * 1024;
inline constexpr std::chrono::seconds kOutputsTimeout{55};
inline constexpr std::uint32_t kMaxSystemRetries = 8;

/// Whether an input of `num_bytes` goes through the blob store: beyond `max_object_size`,
/// or for ASYNC (spawn) beyond `max_async_object_size`.
bool should_upload(std::uint64_t num_bytes, std::uint64_t max_object_size,
                   std::uint64_t max_async_object_size,
                   modal::client::FunctionCallInvocationType type);

/// Fetches a blob's bytes by id.
using BlobFetcher = std::function<std::string(std::string const& blob_id)>;

/// The value of a finished input, or its error: SUCCESS → the decoded data (inline or
/// fetched with `fetch`); TIMEOUT → FunctionTimeoutError; INTERNAL_FAILURE →
/// InternalFailure; every other status → RemoteError with the remote exception text.
/// Only CBOR data is decoded (PICKLE and others → InvalidError).
Value result_value(modal::client::GenericResult const& result,
                   modal::client::DataFormat data_format, BlobFetcher const& fetch);

/// The FunctionInput of a call of `fn`: CBOR `[args, kwargs]`, inline or uploaded.
/// @throws InvalidError if the Function does not accept CBOR input (upstream's message).
modal::client::FunctionInput make_function_input(ClientState& client,
                                                 modal::client::FunctionHandleMetadata const& md,
                                                 std::vector<Value> const& args,
                                                 std::map<std::string, Value> const& kwargs,
                                                 modal::client::FunctionCallInvocationType type);

/// Function::remote: the input plane when the metadata names one, else the control
/// plane; InternalFailure retried up to kMaxSystemRetries times.
Value invoke_remote(FunctionState const& fn, std::vector<Value> const& args,
                    std::map<std::string, Value> const& kwargs);

/// Function::spawn: FunctionMap (ASYNC) on the control plane; returns the call id.
std::string invoke_spawn(FunctionState const& fn, std::vector<Value> const& args,
                         std::map<std::string, Value> const& kwargs);

/// FunctionCall::get: FunctionGetOutputs (clear_on_success=false) until an output comes
/// or `timeout` passes (FunctionTimeoutError "Timeout exceeded: Ns").
Value await_function_call(ClientState& client, std::string const& function_call_id,
                          std::optional<std::chrono::milliseconds> timeout,
                          std::stop_token const& stop);

}  // namespace modal::internal

#endif  // MODAL_INTERNAL_FUNCTION_INVOCATION_H
