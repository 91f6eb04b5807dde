// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "store/environments.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "modal_proto/api.pb.h"
#include "server/ids.h"

namespace modal::emulator {

EnvironmentStore::EnvironmentStore() {
  std::lock_guard lock(mu_);
  add_locked(std::string(kDefaultEnvironment));
}

std::string EnvironmentStore::name_of(std::string_view requested) {
  return std::string(requested.empty() ? kDefaultEnvironment : requested);
}

absl::StatusOr<EnvironmentRecord> EnvironmentStore::resolve(std::string_view requested) const {
  std::lock_guard lock(mu_);
  auto it = by_name_.find(name_of(requested));
  if (it == by_name_.end()) {
    return absl::NotFoundError("Environment '" + std::string(requested) + "' not found");
  }
  return it->second;
}

absl::StatusOr<EnvironmentRecord> EnvironmentStore::get_or_create(std::string_view requested,
                                                                  int object_creation_type) {
  std::string const name = name_of(requested);
  std::lock_guard lock(mu_);
  auto it = by_name_.find(name);
  bool const exists = it != by_name_.end();
  switch (object_creation_type) {
    case modal::client::OBJECT_CREATION_TYPE_UNSPECIFIED:
      if (!exists) return absl::NotFoundError(absl::StrCat("Environment '", name, "' not found"));
      return it->second;
    case modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING:
    case modal::client::OBJECT_CREATION_TYPE_CREATE_OVERWRITE_IF_EXISTS:
      return exists ? it->second : add_locked(name);
    case modal::client::OBJECT_CREATION_TYPE_CREATE_FAIL_IF_EXISTS:
      if (exists) {
        return absl::AlreadyExistsError(absl::StrCat("Environment '", name, "' already exists"));
      }
      return add_locked(name);
    default:
      return absl::InvalidArgumentError(absl::StrCat("Unsupported object_creation_type ",
                                                     object_creation_type,
                                                     " for EnvironmentGetOrCreate"));
  }
}

EnvironmentRecord const& EnvironmentStore::add_locked(std::string const& name) {
  EnvironmentRecord rec;
  rec.id = new_id("en");
  rec.name = name;
  rec.created_at = unix_now();
  return by_name_[name] = std::move(rec);
}

}  // namespace modal::emulator
