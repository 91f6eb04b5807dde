// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_STORE_ENVIRONMENTS_H
#define MODAL_EMULATOR_SRC_STORE_ENVIRONMENTS_H

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "store/journal.h"

namespace modal::emulator {

/// The environment used when a request says "". It always exists.
inline constexpr std::string_view kDefaultEnvironment = "main";

struct EnvironmentRecord {
  std::string id{};  // en-...
  std::string name{};
  double created_at = 0;
};

/**
 * The emulator's environments: the only state every domain shares, since every named
 * object lives in one. Environments are never deleted, so a name resolved here stays valid.
 * Thread-safe (its own lock, held only inside these methods).
 */
class EnvironmentStore {
 public:
  /// Creates kDefaultEnvironment.
  EnvironmentStore();
  EnvironmentStore(EnvironmentStore const&) = delete;
  EnvironmentStore& operator=(EnvironmentStore const&) = delete;

  /// "" -> kDefaultEnvironment.
  static std::string name_of(std::string_view requested);

  /// The environment `requested` names ("" = default), or NOT_FOUND
  /// "Environment '<requested>' not found".
  absl::StatusOr<EnvironmentRecord> resolve(std::string_view requested) const;

  /// EnvironmentGetOrCreate: UNSPECIFIED looks up (NOT_FOUND), CREATE_IF_MISSING and
  /// CREATE_OVERWRITE_IF_EXISTS create a missing one, CREATE_FAIL_IF_EXISTS fails with
  /// ALREADY_EXISTS on an existing one; any other type is INVALID_ARGUMENT.
  absl::StatusOr<EnvironmentRecord> get_or_create(std::string_view requested,
                                                  int object_creation_type);

  /// From now on created environments are journaled to `log` ({"t": "env", "id", "name",
  /// "at"}). Set it after the replay.
  void set_change_log(ChangeLog* log);
  /// Replays an env change. INVALID_ARGUMENT for a malformed one.
  absl::Status apply(nlohmann::json const& change);
  /// Appends the changes that recreate every environment (ids included) to `out`.
  void snapshot(std::vector<nlohmann::json>& out) const;

 private:
  EnvironmentRecord const& add_locked(std::string const& name);
  /// get_or_create() without the wait; `pending` is set when an environment was made.
  absl::StatusOr<EnvironmentRecord> get_or_create_locked(std::string const& name,
                                                         int object_creation_type,
                                                         PendingChange* pending);
  /// Journals a created environment; answers it.
  EnvironmentRecord const& logged_locked(EnvironmentRecord const& rec, PendingChange* pending);
  ChangeLog* log_ = nullptr;

  mutable std::mutex mu_;
  std::map<std::string, EnvironmentRecord, std::less<>> by_name_;
};

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_STORE_ENVIRONMENTS_H
