// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_CLS_H
#define MODAL_CLS_H

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "modal/function.h"
#include "modal/value.h"

namespace modal {
namespace internal {
class ClientState;
struct ClsState;
}  // namespace internal

/// Options of `ClsService::from_name`.
struct ClsFromNameParams {
  /// Environment name; empty uses the client's.
  std::string environment{};
  /// Look up the class as deployed at this App version; 0 = the current deployment.
  int version = 0;
};

/// Options of `Cls::with_options` (the same as a Function's).
using ClsWithOptionsParams = FunctionWithOptionsParams;
/// Options of `Cls::with_concurrency`.
using ClsWithConcurrencyParams = FunctionWithConcurrencyParams;
/// Options of `Cls::with_batching`.
using ClsWithBatchingParams = FunctionWithBatchingParams;

/**
 * An instance of a deployed class: its methods, bound to the instance's parameters and
 * options. Obtain one with `Cls::instance`.
 *
 * @par Thread Safety
 * Immutable: safe to copy and to use from any number of threads at once.
 */
class ClsInstance {
 public:
  /// The method `name`, as a Function. Sends nothing.
  /// @throws NotFoundError("method 'name' not found on class").
  Function method(std::string const& name) const;
  /// The names of the methods, sorted.
  std::vector<std::string> method_names() const;

 private:
  friend class Cls;
  explicit ClsInstance(std::map<std::string, Function> methods) : methods_(std::move(methods)) {}
  std::map<std::string, Function> methods_;
};

/**
 * A class of a deployed App (a Python `@app.cls`). `instance()` binds its parameters
 * (`modal.parameter()`s) and the options of `with_options` / `with_concurrency` /
 * `with_batching`; methods are called through the instance.
 *
 * @par Thread Safety
 * Immutable: safe to copy and to use from any number of threads at once.
 */
class Cls {
 public:
  /// A copy with `params` merged over this handle's options (later calls win field by
  /// field). Sends nothing. @throws InvalidError for invalid options.
  Cls with_options(ClsWithOptionsParams const& params) const;
  /// A copy with input concurrency set. @throws InvalidError.
  Cls with_concurrency(ClsWithConcurrencyParams const& params) const;
  /// A copy with dynamic batching set. @throws InvalidError.
  Cls with_batching(ClsWithBatchingParams const& params) const;

  /// An instance with `params` (by parameter name). Parameters the class declares with
  /// a default may be left out. Without parameters and options nothing is sent;
  /// otherwise the parameters (a `ClassParameterSet`, sorted by name) and options are
  /// bound with `FunctionBindParams`.
  /// @throws InvalidError for a missing required parameter, an unknown one, or a value
  ///   of the wrong kind (str, int, bool and bytes parameters take Values of that kind).
  ClsInstance instance(std::map<std::string, Value> const& params = {}) const;

 private:
  friend class ClsService;
  explicit Cls(std::shared_ptr<internal::ClsState const> state) : state_(std::move(state)) {}
  std::shared_ptr<internal::ClsState const> state_;
};

/// Looks up classes of deployed Apps. Obtain it with `Client::cls()`.
/// Thread-safe, cheap to copy.
class ClsService {
 public:
  /// The class `name` of the deployed App `app` (`FunctionGet` of "name.*").
  /// @throws NotFoundError("class 'app/name' not found"); InvalidError if its parameters
  ///   are not serialized as protobuf (classes deployed with old Python SDKs).
  Cls from_name(std::string const& app, std::string const& name,
                ClsFromNameParams const& params = {}) const;

 private:
  friend class Client;
  explicit ClsService(std::shared_ptr<internal::ClientState> state) : state_(std::move(state)) {}
  std::shared_ptr<internal::ClientState> state_;
};

}  // namespace modal

#endif  // MODAL_CLS_H
