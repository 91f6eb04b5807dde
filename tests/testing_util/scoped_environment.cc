// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "testing_util/scoped_environment.h"

#include <cstdlib>
#include <stdexcept>

extern char** environ;  // NOLINT(readability-identifier-naming): POSIX

namespace modal::testing_util {

ScopedEnvironment::ScopedEnvironment(std::initializer_list<Entry> entries) {
  for (auto const& [name, value] : entries) assign(name, value);
}

ScopedEnvironment::~ScopedEnvironment() {
  // Each name was saved once, with its value before the first change.
  for (auto const& [name, value] : saved_) {
    if (value) {
      ::setenv(name.c_str(), value->c_str(), 1);
    } else {
      ::unsetenv(name.c_str());
    }
  }
}

void ScopedEnvironment::set(std::string const& name, std::string const& value) {
  remember(name);
  if (::setenv(name.c_str(), value.c_str(), 1) != 0) {
    throw std::invalid_argument("ScopedEnvironment: cannot set '" + name + "'");
  }
}

void ScopedEnvironment::unset(std::string const& name) {
  remember(name);
  if (::unsetenv(name.c_str()) != 0) {
    throw std::invalid_argument("ScopedEnvironment: cannot unset '" + name + "'");
  }
}

void ScopedEnvironment::assign(std::string const& name, std::optional<std::string> const& value) {
  if (value) {
    set(name, *value);
  } else {
    unset(name);
  }
}

void ScopedEnvironment::unset_with_prefix(std::string_view prefix) {
  // Collect first: unsetenv modifies `environ` while we iterate it.
  std::vector<std::string> names;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view const text(*entry);
    auto const eq = text.find('=');
    auto const name = text.substr(0, eq);
    if (name.substr(0, prefix.size()) == prefix) names.emplace_back(name);
  }
  for (auto const& name : names) unset(name);
}

std::optional<std::string> ScopedEnvironment::get(std::string const& name) {
  char const* value = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe)
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

void ScopedEnvironment::remember(std::string const& name) {
  for (auto const& entry : saved_) {
    if (entry.first == name) return;
  }
  saved_.emplace_back(name, get(name));
}

}  // namespace modal::testing_util
