// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_STORE_FUNCTIONS_H
#define MODAL_EMULATOR_SRC_STORE_FUNCTIONS_H

// Deployed Functions and classes, their bound variants (FunctionBindParams), and Function
// calls with their inputs and outputs.
//
// Definitions (FunctionDef) are added at startup (the built-in fixtures of
// control/function_fixtures.h, the preload file's Functions) and never change; a class is
// one service Function "<Class>.*" with methods. A call (FunctionMap, AttemptStart) holds
// its inputs; each input is pending, running or done. claim() hands out pending inputs to
// run, at most max_containers (FunctionUpdateSchedulingParams, or the bound options'
// concurrency_limit) at a time per Function as called; finish() records an output; each
// output gets an entry id "<n>-0", increasing within the call. FunctionGetOutputs waits
// on the call's condition variable (woken by finish(), cancel() and shutdown()) in short
// slices. A retry (FunctionRetryInputs, AttemptRetry) drops the input's output and makes it
// pending again under a new attempt number; outputs of an older attempt are discarded.
// Cancelling a call terminates its pending inputs and requests a stop of its running ones
// (their std::stop_source); both answer GENERIC_STATUS_TERMINATED. At most
// kMaxConcurrentRuns inputs run at once across all Functions.
//
// Thread-safe: one lock for the store, taken only inside its methods; bodies run outside
// it (control/function_runner.h).

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "modal/value.h"
#include "modal_proto/api.pb.h"

namespace modal::emulator {

/// One run of an input, as a body sees it.
struct FunctionInvocation {
  std::string function_id{};  // the definition's id
  std::string method{};       // "" for a plain Function
  /// The input's payload (blobs resolved), in `data_format`.
  std::string payload{};
  int data_format = 0;
  /// Class parameters of a bound instance, by name.
  std::map<std::string, modal::Value> params{};
  /// Environment of the run: the bound options' Secrets.
  std::map<std::string, std::string> env{};
  /// Prints `data` (one or more lines) to the run's stdout or stderr (a
  /// modal::client::FileDescriptor): the Function's logs (store/logs.h). Set by the runner;
  /// empty (nothing is logged) otherwise.
  std::function<void(int file_descriptor, std::string_view data)> print{};
};

/// What a run produced: a GenericResult status, the CBOR result or the exception text.
struct FunctionOutcome {
  int status = modal::client::GenericResult::GENERIC_STATUS_SUCCESS;
  std::string data{};  // the serialized result (SUCCESS)
  int data_format = modal::client::DATA_FORMAT_CBOR;
  std::string exception{};
  std::string traceback{};
  std::string data_blob_id{};  // instead of data: a blob holding it (large results)

  /// A result that is not a success: `status` with the exception text.
  static FunctionOutcome failed(int status, std::string exception) {
    FunctionOutcome o;
    o.status = status;
    o.exception = std::move(exception);
    return o;
  }
  /// A successful CBOR result.
  static FunctionOutcome cbor(std::string data) {
    FunctionOutcome o;
    o.data = std::move(data);
    return o;
  }
};

/// Runs an input; should return soon after `stop` is requested.
using FunctionBody = std::function<FunctionOutcome(FunctionInvocation const&, std::stop_token)>;

struct FunctionMethodDef {
  std::string name{};
  bool input_plane = false;
};

/// A deployed Function or class (service Function).
struct FunctionDef {
  std::string id{};           // fu-...
  std::string app{};          // its App's name
  std::string app_id{};       // ap-...: made by add() when empty (one per App name)
  std::string tag{};          // "echo_string", or "EchoCls.*" for a class
  std::string environment{};  // "" = every environment
  bool is_class = false;
  std::vector<FunctionMethodDef> methods{};                     // classes
  std::vector<modal::client::ClassParameterSpec> parameters{};  // classes
  bool input_plane = false;                                     // plain Functions
  std::string input_plane_region{};                             // with input_plane
  bool web = false;                                             // a web endpoint
  bool cbor = true;  // accepts DATA_FORMAT_CBOR (false: PICKLE only, pre-1.2)
  FunctionBody body{};
};

/// A bound variant (FunctionBindParams).
struct BoundFunction {
  std::string id{};
  std::string parent_id{};
  std::map<std::string, modal::Value> params{};
  std::map<std::string, std::string> env{};
  modal::client::FunctionOptions options{};
};

/// What a call runs against: the definition, and the bound variant when called through one.
struct FunctionTarget {
  std::shared_ptr<FunctionDef const> def{};
  std::optional<BoundFunction> bound{};
};

/// One input of a map, resolved (blob contents in payload).
struct NewInput {
  std::string payload{};
  int data_format = 0;
  std::string method{};
};

struct MappedCall {
  std::string call_id{};
  std::string call_jwt{};
  std::vector<std::string> input_ids{};
  std::vector<std::string> input_jwts{};
};

/// An input handed out to run.
struct FunctionWork {
  std::string call_id{};
  std::string input_id{};
  std::string app_id{};
  std::string function_id{};  // as called (definition or bound)
  int idx = 0;
  int attempt = 0;
  FunctionBody body{};
  FunctionInvocation invocation{};
  std::stop_token stop{};
};

struct OutputCopy {
  std::string entry_id{};
  int idx = 0;
  std::string input_id{};
  modal::client::GenericResult result{};
  int data_format = 0;
  double started_at = 0;
  double created_at = 0;
  std::uint32_t retry_count = 0;
};

struct FunctionStatsCopy {
  std::uint32_t backlog = 0;
  std::uint32_t running = 0;
};

/// Inputs running at once in the whole emulator (a thread each); more wait, as backlog.
inline constexpr std::size_t kMaxConcurrentRuns = 256;

class FunctionStore {
 public:
  using Clock = std::chrono::steady_clock;
  using Cancelled = std::function<bool()>;

  /// Adds a definition (its id is made when empty); INVALID_ARGUMENT when (environment,
  /// app, tag) is taken.
  absl::StatusOr<std::string> add(FunctionDef def);
  /// The definition of `tag` in `app`, deployed in `environment` or in every one;
  /// NOT_FOUND otherwise.
  absl::StatusOr<std::shared_ptr<FunctionDef const>> lookup(std::string_view environment,
                                                            std::string_view app,
                                                            std::string_view tag) const;
  /// Whether a definition belongs to the App `app_id`.
  bool knows_app(std::string_view app_id) const;
  /// A definition or a bound variant by id; NOT_FOUND "Function 'id' not found".
  absl::StatusOr<FunctionTarget> target(std::string_view function_id) const;
  /// A bound variant of `function_id` (a definition); answers its id.
  absl::StatusOr<std::string> bind(std::string_view function_id,
                                   std::map<std::string, modal::Value> params,
                                   std::map<std::string, std::string> env,
                                   modal::client::FunctionOptions options);

  /// A call of `function_id` (definition or bound) with these inputs, pending.
  absl::StatusOr<MappedCall> map(std::string_view function_id, std::vector<NewInput> inputs,
                                 int invocation_type);
  /// Marks pending inputs running, within every Function's max_containers, and hands them
  /// out.
  std::vector<FunctionWork> claim();
  /// Records the output of a run (ignored when the attempt is stale or the call was
  /// cancelled). Consumes an injected failure of the Function (fail_next()), if any.
  void finish(std::string const& call_id, int idx, int attempt, FunctionOutcome outcome);

  /// Outputs after `last_entry_id` ("" or "0-0" = from the start), at most `max_values`,
  /// of the inputs named by `input_jwts` (all when empty), waiting until `deadline` for
  /// one. With `clear_on_success`, successful outputs returned are removed. Also answers
  /// the number of unfinished inputs. NOT_FOUND for an unknown call.
  struct Outputs {
    std::vector<OutputCopy> items;
    std::string last_entry_id;
    int unfinished = 0;
  };
  absl::StatusOr<Outputs> outputs(std::string_view call_id, std::string_view last_entry_id,
                                  int max_values, std::vector<std::string> const& input_jwts,
                                  bool clear_on_success, Clock::time_point deadline,
                                  Cancelled const& cancelled = {});
  /// Retries the input named by `input_jwt` of call `call_jwt` with a new payload:
  /// answers its new input jwt. NOT_FOUND / INVALID_ARGUMENT for unknown tokens.
  absl::StatusOr<std::string> retry(std::string_view call_jwt, std::string_view input_jwt,
                                    NewInput input, std::uint32_t retry_count);
  /// The call an input jwt belongs to (input plane attempt tokens are input jwts).
  absl::StatusOr<std::string> call_of_input(std::string_view input_jwt) const;
  /// The call's jwt.
  absl::StatusOr<std::string> call_jwt(std::string_view call_id) const;

  struct CallInfo {
    std::string function_id;
    std::string app;
    int num_inputs = 0;
    std::string app_id;
    double created_at = 0;  // Unix seconds
    // Inputs by state (FunctionCallGetInfo): pending or running, and done by status.
    int pending = 0;
    int succeeded = 0;
    int failed = 0;  // FAILURE, INIT_FAILURE, INTERNAL_FAILURE
    int timed_out = 0;
    int cancelled = 0;  // TERMINATED
  };
  absl::StatusOr<CallInfo> call_info(std::string_view call_id) const;
  /// Cancels the call: pending inputs are terminated, running ones asked to stop.
  absl::Status cancel(std::string_view call_id);

  /// Backlog and running inputs of `function_id` (definition or bound).
  absl::StatusOr<FunctionStatsCopy> stats(std::string_view function_id) const;
  /// Merges `settings` into the Function's; answers the current ones. A max_containers
  /// bounds its concurrent runs from now on (0: unbounded).
  absl::StatusOr<modal::client::AutoscalerSettings> update_scheduling(
      std::string_view function_id, modal::client::AutoscalerSettings const& settings);

  /// The next `count` outputs of definition `function_id` are INTERNAL_FAILURE.
  void fail_next(std::string const& function_id, int count);

  /// Stops every running input, wakes every waiter; later waits do not wait.
  void shutdown();

 private:
  enum class State { kPending, kRunning, kDone };
  struct Input {
    int idx = 0;
    std::string input_id;
    std::string payload;
    int data_format = 0;
    std::string method;
    int attempt = 0;
    std::uint32_t retry_count = 0;
    State state = State::kPending;
    std::uint64_t seq = 0;  // FIFO order across calls
    std::shared_ptr<std::stop_source> stop;
    double started_at = 0;
    int final_status = 0;  // the GenericResult status once kDone
  };
  struct Output {
    std::uint64_t entry = 0;
    int idx = 0;
    int attempt = 0;
    std::string input_id;
    modal::client::GenericResult result;
    int data_format = 0;
    double started_at = 0;
    double created_at = 0;
    std::uint32_t retry_count = 0;
  };
  struct Call {
    std::string id;
    std::string jwt;
    std::string function_id;  // as called (definition or bound)
    std::string def_id;
    int invocation_type = 0;
    std::vector<Input> inputs;
    std::vector<Output> outputs;
    std::uint64_t next_entry = 1;
    bool cancelled = false;
    double created_at = 0;
    std::condition_variable cv;
  };
  struct Scheduling {
    modal::client::AutoscalerSettings settings;
    std::uint32_t running = 0;
  };

  absl::StatusOr<FunctionTarget> target_locked(std::string_view function_id) const;
  std::shared_ptr<Call> find_call_locked(std::string_view id) const;
  std::uint32_t max_containers_locked(std::string const& function_id) const;
  void record_locked(Call& call, Input& in, FunctionOutcome outcome);
  static std::string input_jwt(Call const& call, Input const& in);

  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<FunctionDef const>, std::less<>> defs_;
  std::map<std::string, BoundFunction, std::less<>> bound_;
  std::map<std::string, std::shared_ptr<Call>, std::less<>> calls_;
  std::map<std::string, std::string, std::less<>> call_by_jwt_;
  std::map<std::string, Scheduling, std::less<>> scheduling_;  // by function id as called
  std::map<std::string, int, std::less<>> fail_next_;          // by definition id
  std::map<std::string, std::string, std::less<>> app_ids_;    // App name -> made app_id
  std::uint64_t next_seq_ = 1;
  bool shutting_down_ = false;
};

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_STORE_FUNCTIONS_H
