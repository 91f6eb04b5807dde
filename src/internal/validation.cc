// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "internal/validation.h"

#include <cctype>

#include "modal/errors.h"

namespace modal::internal {
namespace {

constexpr std::size_t kMaxNameLength = 64;

bool is_app_id(std::string_view name) {
  if (name.size() != 3 + 22 || name.substr(0, 3) != "ap-") return false;
  for (char c : name.substr(3)) {
    if (!std::isalnum(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

bool is_object_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength || is_app_id(name)) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) {
      return false;
    }
  }
  return true;
}

void check_object_name(std::string const& name, std::string_view kind) {
  if (is_object_name(name)) return;
  throw InvalidError("invalid " + std::string(kind) + " name '" + name +
                     "': use at most 64 characters from [A-Za-z0-9._-], not shaped like an App id");
}

}  // namespace modal::internal
