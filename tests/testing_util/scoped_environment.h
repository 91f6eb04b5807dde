// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_TESTING_UTIL_SCOPED_ENVIRONMENT_H
#define MODAL_TESTING_UTIL_SCOPED_ENVIRONMENT_H

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace modal::testing_util {

/**
 * Sets and unsets environment variables for the lifetime of the object; the destructor
 * restores every variable it touched to its value before the first change (or unsets it).
 *
 * @code
 * ScopedEnvironment env{{"MODAL_TOKEN_ID", "ak-1"}, {"MODAL_PROFILE", std::nullopt}};
 * env.unset_with_prefix("MODAL_");  // nothing from the developer's shell leaks in
 * @endcode
 *
 * @par Thread Safety
 * setenv/unsetenv are not thread-safe: create, change and destroy it while no other
 * thread reads the environment (e.g. at the start and end of a test).
 */
class ScopedEnvironment {
 public:
  /// A variable and its new value; std::nullopt unsets it.
  using Entry = std::pair<std::string, std::optional<std::string>>;

  ScopedEnvironment() = default;
  ScopedEnvironment(std::initializer_list<Entry> entries);
  ~ScopedEnvironment();
  ScopedEnvironment(ScopedEnvironment const&) = delete;
  ScopedEnvironment& operator=(ScopedEnvironment const&) = delete;

  /// Sets `name` to `value` (overwriting).
  void set(std::string const& name, std::string const& value);
  /// Unsets `name`.
  void unset(std::string const& name);
  /// Sets `name` to `value`, or unsets it when `value` is std::nullopt.
  void assign(std::string const& name, std::optional<std::string> const& value);
  /// Unsets every variable whose name starts with `prefix`, e.g. "MODAL_".
  void unset_with_prefix(std::string_view prefix);

  /// The current value of `name`, std::nullopt when unset.
  static std::optional<std::string> get(std::string const& name);

 private:
  void remember(std::string const& name);

  // Original values, in order of first change; each name appears once.
  std::vector<Entry> saved_;
};

}  // namespace modal::testing_util

#endif  // MODAL_TESTING_UTIL_SCOPED_ENVIRONMENT_H
