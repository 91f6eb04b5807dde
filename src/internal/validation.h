// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_VALIDATION_H
#define MODAL_INTERNAL_VALIDATION_H

#include <string>
#include <string_view>

namespace modal::internal {

/// True if `name` matches ^[A-Za-z_][A-Za-z0-9_]*$ (a portable environment variable name).
constexpr bool is_env_var_name(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char const c = name[i];
    bool const alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    bool const digit = c >= '0' && c <= '9';
    if (!(alpha || (i > 0 && digit))) return false;
  }
  return true;
}

/// True for names Modal accepts for Apps, Secrets, Volumes, Queues, Sandboxes, ...: at
/// most 64 characters from [A-Za-z0-9._-], not shaped like an App id (ap- + 22 alnum).
bool is_object_name(std::string_view name);

/// @throws InvalidError("invalid <kind> name '<name>': ...") unless is_object_name().
void check_object_name(std::string const& name, std::string_view kind);

}  // namespace modal::internal

#endif  // MODAL_INTERNAL_VALIDATION_H
