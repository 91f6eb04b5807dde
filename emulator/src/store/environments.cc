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
  PendingChange pending;
  absl::StatusOr<EnvironmentRecord> rec;
  {
    std::lock_guard lock(mu_);
    rec = get_or_create_locked(name_of(requested), object_creation_type, &pending);
  }
  if (!rec.ok()) return rec;
  if (auto st = pending.wait(); !st.ok()) return st;
  return rec;
}

absl::StatusOr<EnvironmentRecord> EnvironmentStore::get_or_create_locked(std::string const& name,
                                                                         int object_creation_type,
                                                                         PendingChange* pending) {
  auto it = by_name_.find(name);
  bool const exists = it != by_name_.end();
  switch (object_creation_type) {
    case modal::client::OBJECT_CREATION_TYPE_UNSPECIFIED:
      if (!exists) return absl::NotFoundError(absl::StrCat("Environment '", name, "' not found"));
      return it->second;
    case modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING:
    case modal::client::OBJECT_CREATION_TYPE_CREATE_OVERWRITE_IF_EXISTS:
      return exists ? it->second : logged_locked(add_locked(name), pending);
    case modal::client::OBJECT_CREATION_TYPE_CREATE_FAIL_IF_EXISTS:
      if (exists) {
        return absl::AlreadyExistsError(absl::StrCat("Environment '", name, "' already exists"));
      }
      return logged_locked(add_locked(name), pending);
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

EnvironmentRecord const& EnvironmentStore::logged_locked(EnvironmentRecord const& rec,
                                                         PendingChange* pending) {
  if (log_ != nullptr) {
    *pending = PendingChange(
        log_, {{"t", "env"}, {"id", rec.id}, {"name", rec.name}, {"at", rec.created_at}});
  }
  return rec;
}

void EnvironmentStore::set_change_log(ChangeLog* log) {
  std::lock_guard lock(mu_);
  log_ = log;
}

absl::Status EnvironmentStore::apply(nlohmann::json const& change) {
  try {
    EnvironmentRecord rec;
    change.at("id").get_to(rec.id);
    change.at("name").get_to(rec.name);
    change.at("at").get_to(rec.created_at);
    if (rec.name.empty()) return absl::InvalidArgumentError("an environment without a name");
    std::lock_guard lock(mu_);
    by_name_[rec.name] = std::move(rec);
  } catch (nlohmann::json::exception const& e) {
    return absl::InvalidArgumentError(absl::StrCat("malformed environment change: ", e.what()));
  }
  return absl::OkStatus();
}

void EnvironmentStore::snapshot(std::vector<nlohmann::json>& out) const {
  std::lock_guard lock(mu_);
  for (auto const& [name, rec] : by_name_) {
    out.push_back({{"t", "env"}, {"id", rec.id}, {"name", rec.name}, {"at", rec.created_at}});
  }
}

}  // namespace modal::emulator
