// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_FUNCTION_STATE_H
#define MODAL_INTERNAL_FUNCTION_STATE_H

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "modal/cls.h"
#include "modal/function.h"
#include "modal_proto/api.pb.h"

namespace modal::internal {

class ClientState;

/// The options a Function or Cls handle carries until they are bound (Go's
/// functionOptions): every field unset until a with_* call sets it; later calls win.
struct FunctionOptions {
  std::optional<double> cpu{};
  std::optional<double> cpu_limit{};
  std::optional<int> memory_mib{};
  std::optional<int> memory_limit_mib{};
  std::optional<std::string> gpu{};
  std::optional<std::map<std::string, std::string>> env{};
  std::optional<std::vector<Secret>> secrets{};
  std::optional<std::map<std::string, Volume>> volumes{};
  std::optional<Retries> retries{};
  std::optional<int> max_containers{};
  std::optional<int> buffer_containers{};
  std::optional<std::chrono::milliseconds> scaledown_window{};
  std::optional<std::chrono::milliseconds> timeout{};
  std::optional<int> max_concurrent_inputs{};
  std::optional<int> target_concurrent_inputs{};
  std::optional<int> batch_max_size{};
  std::optional<std::chrono::milliseconds> batch_wait{};
  std::optional<std::string> routing_region{};

  /// Whether any option is set.
  bool any() const;
};

/// `over` merged onto `base`: each option set in `over` wins.
FunctionOptions merge_options(FunctionOptions const& base, FunctionOptions const& over);
/// The options of `params` (empty containers stay unset). @throws InvalidError.
FunctionOptions options_of(FunctionWithOptionsParams const& params);
FunctionOptions options_of(FunctionWithConcurrencyParams const& params);
FunctionOptions options_of(FunctionWithBatchingParams const& params);

/// Checks every local rule of the options (no RPC). @throws InvalidError.
void validate_options(FunctionOptions const& options);
/// @throws InvalidError unless `retries` is within Modal's ranges.
void validate_retries(Retries const& retries);

/// The FunctionOptions proto of `options` (validated), with `secret_ids` the ids of
/// options.secrets plus the Secret made from options.env. Volumes must be hydrated.
modal::client::FunctionOptions build_function_options_proto(
    FunctionOptions const& options, std::vector<std::string> const& secret_ids);

/// The serialized ClassParameterSet for `params` under `schema`: one value per schema
/// entry (a missing one takes the spec's default), sorted by name.
/// @throws InvalidError for a missing required parameter, an unknown one, a Value of the
///   wrong kind, or a parameter type this SDK cannot send.
std::string encode_parameter_set(
    google::protobuf::RepeatedPtrField<modal::client::ClassParameterSpec> const& schema,
    std::map<std::string, Value> const& params);

/// FunctionBindParams of `function_id` with `params` and `options`: hydrates the env
/// Secret and the Secrets' ids, then binds. Returns the response.
modal::client::FunctionBindParamsResponse bind_parameters(
    ClientState& client, std::string const& function_id, FunctionOptions const& options,
    google::protobuf::RepeatedPtrField<modal::client::ClassParameterSpec> const& schema,
    std::map<std::string, Value> const& params);

/// The shared, immutable state behind a modal::Function.
struct FunctionState {
  std::shared_ptr<ClientState> client{};
  std::string function_id{};
  modal::client::FunctionHandleMetadata metadata{};
  FunctionOptions options{};

  static Function make(std::shared_ptr<ClientState> client, std::string function_id,
                       modal::client::FunctionHandleMetadata metadata,
                       FunctionOptions options = {}) {
    auto s = std::make_shared<FunctionState>();
    s->client = std::move(client);
    s->function_id = std::move(function_id);
    s->metadata = std::move(metadata);
    s->options = std::move(options);
    return Function(std::move(s));
  }
  static FunctionState const& of(Function const& f) { return *f.state_; }
};

/// The shared, immutable state behind a modal::Cls.
struct ClsState {
  std::shared_ptr<ClientState> client{};
  std::string service_function_id{};
  modal::client::FunctionHandleMetadata metadata{};
  FunctionOptions options{};
};

}  // namespace modal::internal

#endif  // MODAL_INTERNAL_FUNCTION_STATE_H
