// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_FUNCTION_H
#define MODAL_FUNCTION_H

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "modal/function_call.h"
#include "modal/logs.h"
#include "modal/secret.h"
#include "modal/value.h"
#include "modal/volume.h"

namespace modal {
namespace internal {
class ClientState;
struct FunctionState;
}  // namespace internal

/// Options of `FunctionService::from_name`.
struct FunctionFromNameParams {
  /// Environment name; empty uses the client's.
  std::string environment{};
  /// Look up the Function as deployed at this App version; 0 = the current deployment.
  int version = 0;
};

/**
 * How Modal retries the inputs of a Function that fail (`FunctionWithOptionsParams::retries`).
 * The defaults are Modal's; the ranges are checked when the options are set
 * (InvalidError): max_retries 0–10, backoff_coefficient 1.0–10.0, initial_delay 0–60 s,
 * max_delay 1–60 s.
 */
struct Retries {
  /// Retries after the first failure.
  int max_retries = 0;
  /// Each delay is the previous one times this.
  double backoff_coefficient = 2.0;
  /// Delay before the first retry.
  std::chrono::milliseconds initial_delay{1000};
  /// Upper bound on any one delay.
  std::chrono::milliseconds max_delay{60000};
};

/**
 * Runtime overrides of a Function's or a class's static configuration
 * (`Function::with_options`, `Cls::with_options`). Unset fields (and empty containers)
 * leave the deployed value; a later `with_options` wins field by field. Checked when set
 * (InvalidError): cpu and memory_mib positive, limits not below the requests and only with
 * them, a well-formed gpu ("T4", "A100:2"), scaledown_window and timeout whole seconds of
 * at least 1 s, retries within the ranges of `Retries`, counts not negative.
 */
struct FunctionWithOptionsParams {
  /// CPU cores requested (fractional allowed).
  std::optional<double> cpu{};
  /// Hard CPU limit in cores (needs `cpu`).
  std::optional<double> cpu_limit{};
  /// Memory requested, in MiB.
  std::optional<int> memory_mib{};
  /// Hard memory limit in MiB (needs `memory_mib`).
  std::optional<int> memory_limit_mib{};
  /// GPU: "TYPE" or "TYPE:COUNT", e.g. "A10G" or "H100:2".
  std::optional<std::string> gpu{};
  /// Environment variables, sent as an ephemeral Secret added to `secrets`.
  std::map<std::string, std::string> env{};
  /// Secrets, replacing the deployed ones.
  std::vector<Secret> secrets{};
  /// Volumes by mount path, replacing the deployed ones.
  std::map<std::string, Volume> volumes{};
  /// Input retry policy.
  std::optional<Retries> retries{};
  /// Most containers running at once.
  std::optional<int> max_containers{};
  /// Idle containers kept ready beyond the current need.
  std::optional<int> buffer_containers{};
  /// How long an idle container lives (whole seconds, at least 1 s).
  std::optional<std::chrono::milliseconds> scaledown_window{};
  /// Timeout of each input (whole seconds, at least 1 s).
  std::optional<std::chrono::milliseconds> timeout{};
  /// The region whose input plane serves the calls.
  std::optional<std::string> routing_region{};
};

/// Input concurrency of each container (`Function::with_concurrency`, `Cls::with_concurrency`).
struct FunctionWithConcurrencyParams {
  /// Most inputs a container runs at once (at least 1).
  int max_inputs = 0;
  /// Inputs per container the autoscaler aims for (at most max_inputs).
  std::optional<int> target_inputs{};
};

/// Dynamic batching (`Function::with_batching`, `Cls::with_batching`).
struct FunctionWithBatchingParams {
  /// Most inputs in one batch (at least 1).
  int max_batch_size = 0;
  /// How long to wait for a batch to fill (whole milliseconds, not negative).
  std::chrono::milliseconds wait{0};
};

/// What `Function::get_current_stats` reports.
struct FunctionStats {
  /// Inputs waiting for a container.
  int backlog = 0;
  /// Containers running the Function.
  int num_total_runners = 0;
};

/// Options of `Function::update_autoscaler`; unset fields keep their current value.
struct FunctionUpdateAutoscalerParams {
  /// Containers kept running even without inputs.
  std::optional<std::uint32_t> min_containers{};
  /// Most containers running at once.
  std::optional<std::uint32_t> max_containers{};
  /// Idle containers kept ready beyond the current need.
  std::optional<std::uint32_t> buffer_containers{};
  /// How long an idle container lives (sent in whole seconds, truncated).
  std::optional<std::chrono::milliseconds> scaledown_window{};
};

/// The autoscaler settings in force, as `Function::update_autoscaler` returns them.
struct FunctionAutoscalerSettings {
  std::optional<std::uint32_t> min_containers{};           ///< Minimum containers.
  std::optional<std::uint32_t> max_containers{};           ///< Maximum containers.
  std::optional<std::uint32_t> buffer_containers{};        ///< Buffer containers.
  std::optional<std::chrono::seconds> scaledown_window{};  ///< Idle lifetime.
};

/**
 * A Function of a deployed App (or a method of a class instance, see `ClsInstance`).
 * Obtain one with `FunctionService::from_name`.
 *
 * Arguments and results are `modal::Value`s, sent as CBOR `[args, kwargs]` (the Function
 * must have been deployed with Modal's Python SDK 1.2 or later). Inputs beyond the
 * Function's size limit (2 MiB by default; 8 KiB for `spawn`) and large outputs travel
 * through Modal's blob store over HTTP.
 *
 * @par Thread Safety
 * Immutable: safe to copy and to call from any number of threads at once; each call
 * keeps its own state. Calls block the calling thread; none starts a thread.
 */
class Function {
 public:
  /// The Function's id ("fu-...").
  std::string const& function_id() const;

  /// Runs one input and returns its result. Polls for the output in slices of up to 55 s
  /// for as long as it takes; an input lost to an internal failure is retried up to 8
  /// times. Uses the Function's input plane when it has one.
  /// @throws InvalidError for a web Function, a Function without CBOR input support, or
  ///   arguments CBOR cannot carry; RemoteError (the remote exception's text) if the
  ///   Function raised; FunctionTimeoutError if the input timed out on Modal;
  ///   InternalFailure if internal failures persisted.
  Value remote(std::vector<Value> const& args = {},
               std::map<std::string, Value> const& kwargs = {}) const;

  /// Starts one input and returns its FunctionCall at once (always on the control plane).
  /// @throws InvalidError as remote().
  FunctionCall spawn(std::vector<Value> const& args = {},
                     std::map<std::string, Value> const& kwargs = {}) const;

  /// The Function's backlog and number of runners.
  FunctionStats get_current_stats() const;

  /// Overrides the autoscaler of the deployed Function; returns the settings now in force.
  /// @throws InternalFailure if the server does not return them.
  FunctionAutoscalerSettings update_autoscaler(
      FunctionUpdateAutoscalerParams const& params = {}) const;

  /// The URL of a web Function; "" for other Functions. Sends nothing.
  std::string const& web_url() const;

  /// A copy with `params` merged over this handle's options (applied by instance()).
  /// Sends nothing. @throws InvalidError for invalid options.
  Function with_options(FunctionWithOptionsParams const& params) const;
  /// A copy with input concurrency set (applied by instance()). @throws InvalidError.
  Function with_concurrency(FunctionWithConcurrencyParams const& params) const;
  /// A copy with dynamic batching set (applied by instance()). @throws InvalidError.
  Function with_batching(FunctionWithBatchingParams const& params) const;
  /// The Function with the options of with_options / with_concurrency / with_batching
  /// bound (`FunctionBindParams`); without options, a copy (nothing is sent).
  Function instance() const;

  /// The Function's logs: what its inputs printed (filtered by this Function's id, in its
  /// App's logs). Sends nothing.
  FunctionLogs logs() const;

 private:
  friend class FunctionService;
  friend class ClsInstance;
  friend struct internal::FunctionState;
  explicit Function(std::shared_ptr<internal::FunctionState const> state)
      : state_(std::move(state)) {}
  std::shared_ptr<internal::FunctionState const> state_;
};

/// Looks up Functions of deployed Apps. Obtain it with `Client::functions()`.
/// Thread-safe, cheap to copy.
class FunctionService {
 public:
  /// The Function `name` of the deployed App `app` (`FunctionGet`); its metadata is
  /// kept in the handle.
  /// @throws InvalidError if `name` contains a '.' (a class method: use `Client::cls()`);
  ///   NotFoundError("Function 'app/name' not found").
  Function from_name(std::string const& app, std::string const& name,
                     FunctionFromNameParams const& params = {}) const;

 private:
  friend class Client;
  explicit FunctionService(std::shared_ptr<internal::ClientState> state)
      : state_(std::move(state)) {}
  std::shared_ptr<internal::ClientState> state_;
};

}  // namespace modal

#endif  // MODAL_FUNCTION_H
