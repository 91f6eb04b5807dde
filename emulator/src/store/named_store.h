// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_STORE_NAMED_STORE_H
#define MODAL_EMULATOR_SRC_STORE_NAMED_STORE_H

// Named, environment-scoped objects: Apps, Secrets, Volumes and Proxies today, Queues,
// Functions and Classes next. Each kind is one NamedStore<Record> owned by Core (see
// store/objects.h); a domain's record derives from NamedObject and adds its payload:
//
//     struct QueueRecord : NamedObject { std::deque<std::string> items; };
//     inline constexpr ObjectKind kQueues{"Queue", "qu", "Queue deployment_name",
//                                         "QueueGetOrCreate"};
//     ...
//     auto queue = core_.queues().get_or_create(req->environment_name(),
//                                              req->deployment_name(),
//                                              req->object_creation_type());
//     if (!queue.ok()) return to_grpc(queue.status());
//
// Every method takes the store's own lock and releases it before returning; records are
// handed out as copies, so no caller ever holds two stores' locks. A store whose records
// are waited on (a Queue's blocking get) adds a condition variable next to `mu_` and waits
// on it inside the store, with only its own lock held.
//
// Ephemeral objects (OBJECT_CREATION_TYPE_EPHEMERAL) expire: the store records when each
// was created or last sent a heartbeat (heartbeat()), and expire_idle() removes those idle
// longer than a timeout. Core's sweeper calls expire_idle() for the kinds whose clients
// heartbeat (Queues, Volumes: EmulatorOptions::ephemeral_timeout). What belongs to a record
// outside the store (a Queue's items, a Volume's directory) is released by the hook of
// set_on_remove(), called for every removal and expiry, outside the store's lock.
//
// Persistence (EmulatorOptions::state_dir): with set_change_log(), every change is appended
// to the journal (store/journal.h) under the store's lock and synced before the method
// returns: {"t": "obj", "k": kind, "rec": record, "bound": whether it holds its name} for a
// creation or overwrite, {"t": "del", "k": kind, "id": id} for a removal or expiry. apply()
// replays them, snapshot() writes the store as such changes. A record's payload is
// converted by to_json / from_json functions next to it (store/objects.h).

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "server/ids.h"
#include "store/environments.h"
#include "store/journal.h"

namespace modal::emulator {

/// What every named object has. NamedStore fills these fields; a domain's record derives
/// from it and adds its payload.
struct NamedObject {
  std::string id{};  // <ObjectKind::id_prefix>-...
  /// The name the object was created with (may be "" for anonymous ones).
  std::string name{};
  /// The resolved environment name.
  std::string environment{};
  /// EPHEMERAL / ANONYMOUS_OWNED_BY_APP: reachable by id only, never bound to `name`.
  bool anonymous = false;
  double created_at = 0;
  /// OBJECT_CREATION_TYPE_EPHEMERAL: expires without heartbeats (NamedStore::expire_idle).
  bool ephemeral = false;
};

/// The NamedObject fields of a journal record (store/journal.h).
inline void named_to_json(nlohmann::json& j, NamedObject const& o) {
  j = {{"id", o.id},          {"name", o.name},     {"env", o.environment},
       {"anon", o.anonymous}, {"at", o.created_at}, {"eph", o.ephemeral}};
}
/// Reads what named_to_json() wrote; throws nlohmann::json::exception on a malformed record.
inline void named_from_json(nlohmann::json const& j, NamedObject& o) {
  j.at("id").get_to(o.id);
  j.at("name").get_to(o.name);
  j.at("env").get_to(o.environment);
  j.at("anon").get_to(o.anonymous);
  j.at("at").get_to(o.created_at);
  j.at("eph").get_to(o.ephemeral);
}

/// What CREATE_OVERWRITE_IF_EXISTS does to an existing object.
enum class Overwrite {
  /// A new object (new id) takes the name; the old one stays reachable by id (Apps, Volumes).
  kNewObject,
  /// The object keeps its id; its payload is filled again (Secrets replace their keys).
  kInPlace,
};

/// Describes one kind of named object; the strings go into the statuses Modal's server
/// answers with.
struct ObjectKind {
  /// "App": NOT_FOUND "App 'x' not found", ALREADY_EXISTS "App 'x' already exists".
  std::string_view kind{};
  /// Id prefix: "ap" -> "ap-...".
  std::string_view id_prefix{};
  /// INVALID_ARGUMENT "<name_field> must not be empty" when creating without a name.
  std::string_view name_field{};
  /// INVALID_ARGUMENT "Unsupported object_creation_type N for <rpc>".
  std::string_view rpc{};
  Overwrite overwrite = Overwrite::kNewObject;
};

/// What a *GetOrCreate request does, from its object_creation_type and whether the name is
/// bound already.
enum class Creation {
  kUseExisting,      // UNSPECIFIED or CREATE_IF_MISSING, and the name exists
  kCreateNamed,      // a CREATE_* type and the name is free
  kCreateAnonymous,  // EPHEMERAL or ANONYMOUS_OWNED_BY_APP: no name is bound
  kOverwrite,        // CREATE_OVERWRITE_IF_EXISTS and the name exists
};

/// The object_creation_type rules, or the failure: NOT_FOUND (lookup of a free name),
/// INVALID_ARGUMENT (creating without a name, an unsupported type), ALREADY_EXISTS
/// (CREATE_FAIL_IF_EXISTS of a bound name). Used by NamedStore::get_or_create.
absl::StatusOr<Creation> decide_creation(ObjectKind const& kind, int object_creation_type,
                                         bool exists, std::string_view name);

/// Whether objects created with this object_creation_type are ephemeral (EPHEMERAL only:
/// ANONYMOUS_OWNED_BY_APP objects live as long as their App).
bool is_ephemeral_creation(int object_creation_type);

/// NOT_FOUND "<kind> '<what>' not found".
absl::Status object_not_found(std::string_view kind, std::string_view what);

/**
 * Objects of one kind by id, and per environment by name. Thread-safe: one lock per store.
 */
template <typename Record>
class NamedStore {
  static_assert(std::is_base_of_v<NamedObject, Record>, "records derive from NamedObject");

 public:
  /// Fills a record's payload (its NamedObject fields are set by the store).
  using Fill = std::function<void(Record&)>;
  /// Releases what belongs to a removed or expired record outside the store.
  using OnRemove = std::function<void(Record const&)>;
  /// The clock of heartbeats and expiry (replaceable in tests).
  using Clock = std::chrono::steady_clock;

  NamedStore(EnvironmentStore const& environments, ObjectKind kind)
      : environments_(environments), kind_(kind) {}
  NamedStore(NamedStore const&) = delete;
  NamedStore& operator=(NamedStore const&) = delete;

  ObjectKind const& kind() const { return kind_; }

  /// A *GetOrCreate request: resolves `environment` ("" = default; NOT_FOUND when it does
  /// not exist), then follows decide_creation(). `fill` fills a new object, and an existing
  /// one overwritten in place (Overwrite::kInPlace).
  absl::StatusOr<Record> get_or_create(std::string_view environment, std::string_view name,
                                       int object_creation_type, Fill const& fill = {}) {
    auto env = environments_.resolve(environment);
    if (!env.ok()) return env.status();
    PendingChange pending;
    absl::StatusOr<Record> rec = [&]() -> absl::StatusOr<Record> {
      std::lock_guard lock(mu_);
      auto bound = by_name_.find(NameKey(env->name, name));
      auto what = decide_creation(kind_, object_creation_type, bound != by_name_.end(), name);
      if (!what.ok()) return what.status();
      switch (*what) {
        case Creation::kUseExisting:
          return by_id_.at(bound->second);
        case Creation::kCreateAnonymous:
          return logged_locked(insert_locked(env->name, name, /*anonymous=*/true, fill,
                                             is_ephemeral_creation(object_creation_type)),
                               &pending);
        case Creation::kOverwrite:
          if (kind_.overwrite == Overwrite::kInPlace) {
            Record& existing = by_id_.at(bound->second);
            if (fill) fill(existing);
            existing.created_at = unix_now();
            return logged_locked(existing, &pending);
          }
          break;  // a new object takes the name
        case Creation::kCreateNamed:
          break;
      }
      return logged_locked(insert_locked(env->name, name, /*anonymous=*/false, fill), &pending);
    }();
    if (!rec.ok()) return rec;
    if (auto st = pending.wait(); !st.ok()) return st;
    return rec;
  }

  /// The object bound to `name` in `environment` ("" = default), else NOT_FOUND (for the
  /// environment or the object).
  absl::StatusOr<Record> lookup(std::string_view environment, std::string_view name) const {
    auto env = environments_.resolve(environment);
    if (!env.ok()) return env.status();
    std::lock_guard lock(mu_);
    auto bound = by_name_.find(NameKey(env->name, name));
    if (bound == by_name_.end()) return object_not_found(kind_.kind, name);
    return by_id_.at(bound->second);
  }

  /// The object with this id, else NOT_FOUND "<kind> '<id>' not found".
  absl::StatusOr<Record> get(std::string_view id) const {
    std::lock_guard lock(mu_);
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return object_not_found(kind_.kind, id);
    return it->second;
  }

  bool contains(std::string_view id) const {
    std::lock_guard lock(mu_);
    return by_id_.count(id) != 0;
  }

  /// Deletes the object and releases its name; NOT_FOUND if there is no such id. The
  /// set_on_remove() hook runs after the store's lock is released.
  absl::Status remove(std::string_view id) {
    Record removed;
    OnRemove hook;
    PendingChange pending;
    {
      std::lock_guard lock(mu_);
      auto it = by_id_.find(id);
      if (it == by_id_.end()) return object_not_found(kind_.kind, id);
      removed = erase_locked(it);
      pending = log_removal_locked(removed.id);
      hook = on_remove_;
    }
    if (hook) hook(removed);
    return pending.wait();
  }

  /// A heartbeat of the object: an ephemeral one is not idle from now on (a no-op for the
  /// others). NOT_FOUND "<kind> '<id>' not found" once it is gone (removed or expired).
  absl::Status heartbeat(std::string_view id) {
    std::lock_guard lock(mu_);
    if (by_id_.find(id) == by_id_.end()) return object_not_found(kind_.kind, id);
    auto seen = last_seen_.find(id);
    if (seen != last_seen_.end()) seen->second = now_locked();
    return absl::OkStatus();
  }

  /// Removes every ephemeral object whose last heartbeat (or creation) is more than
  /// `timeout` ago, runs the set_on_remove() hook for each outside the lock, and answers
  /// their ids.
  std::vector<std::string> expire_idle(Clock::duration timeout) {
    std::vector<Record> expired;
    OnRemove hook;
    PendingChange pending;  // the last removal's: waiting for it waits for every one
    {
      std::lock_guard lock(mu_);
      auto const now = now_locked();
      for (auto seen = last_seen_.begin(); seen != last_seen_.end();) {
        auto const idle = now - seen->second;
        auto const id = seen++->first;  // erase_locked() drops the entry
        if (idle <= timeout) continue;
        auto it = by_id_.find(id);
        if (it == by_id_.end()) continue;
        expired.push_back(erase_locked(it));
        pending = log_removal_locked(expired.back().id);
      }
      hook = on_remove_;
    }
    // Nobody waits for an expiry: a failure shows in the next change's sync.
    (void)pending.wait();
    std::vector<std::string> ids;
    ids.reserve(expired.size());
    for (auto const& rec : expired) {
      if (hook) hook(rec);
      ids.push_back(rec.id);
    }
    return ids;
  }

  /// The hook run for every removed or expired record, outside the store's lock (it may
  /// take other stores' locks). Set it before the store is shared (Core's constructor).
  void set_on_remove(OnRemove hook) {
    std::lock_guard lock(mu_);
    on_remove_ = std::move(hook);
  }

  /// Tests: the clock heartbeats and expiry are measured by (default Clock::now). Set it
  /// before the store is shared.
  void set_clock(std::function<Clock::time_point()> now) {
    std::lock_guard lock(mu_);
    clock_ = std::move(now);
  }

  std::size_t size() const {
    std::lock_guard lock(mu_);
    return by_id_.size();
  }

  /// Completes a replayed record (apply()) with what is not journaled (a Volume's
  /// directory). Set it before the replay.
  void set_on_restore(std::function<void(Record&)> hook) {
    std::lock_guard lock(mu_);
    on_restore_ = std::move(hook);
  }

  /// From now on every change is appended to `log` (and synced before the method returns).
  /// Set it before the store is shared, after the replay.
  void set_change_log(ChangeLog* log) {
    std::lock_guard lock(mu_);
    log_ = log;
  }

  /// Replays a change of this store ("t" "obj" or "del" with "k" = kind().kind): puts the
  /// record back as it was (an ephemeral one counts as seen now), or removes it (running
  /// the set_on_remove() hook; an unknown id is no error). INVALID_ARGUMENT for a malformed
  /// change.
  absl::Status apply(nlohmann::json const& change) {
    Record removed;
    OnRemove hook;
    try {
      std::lock_guard lock(mu_);
      if (change.at("t") == "del") {
        auto it = by_id_.find(change.at("id").template get<std::string>());
        if (it == by_id_.end()) return absl::OkStatus();
        removed = erase_locked(it);
        hook = on_remove_;
      } else {
        Record rec = change.at("rec").template get<Record>();
        bool const bound = change.at("bound").template get<bool>();
        if (rec.id.empty()) return absl::InvalidArgumentError("a record without an id");
        if (on_restore_) on_restore_(rec);
        if (rec.ephemeral) last_seen_[rec.id] = now_locked();
        if (bound && !rec.anonymous) by_name_[NameKey(rec.environment, rec.name)] = rec.id;
        std::string const id = rec.id;
        by_id_[id] = std::move(rec);
        return absl::OkStatus();
      }
    } catch (nlohmann::json::exception const& e) {
      return absl::InvalidArgumentError(
          absl::StrCat("malformed ", std::string(kind_.kind), " change: ", e.what()));
    }
    if (hook) hook(removed);
    return absl::OkStatus();
  }

  /// Appends to `out` the changes that recreate every object (apply() reads them).
  void snapshot(std::vector<nlohmann::json>& out) const {
    std::lock_guard lock(mu_);
    for (auto const& [id, rec] : by_id_) out.push_back(change_locked(rec));
  }

 private:
  /// (environment name, object name).
  using NameKey = std::pair<std::string, std::string>;

  Clock::time_point now_locked() const { return clock_ ? clock_() : Clock::now(); }

  /// {"t": "obj", ...} for `rec` as it is now.
  nlohmann::json change_locked(Record const& rec) const {
    auto bound = by_name_.find(NameKey(rec.environment, rec.name));
    return {{"t", "obj"},
            {"k", kind_.kind},
            {"rec", rec},
            {"bound", bound != by_name_.end() && bound->second == rec.id}};
  }

  /// Journals a created or overwritten record; answers it.
  Record logged_locked(Record const& rec, PendingChange* pending) {
    if (log_ != nullptr) *pending = PendingChange(log_, change_locked(rec));
    return rec;
  }

  PendingChange log_removal_locked(std::string const& id) {
    if (log_ == nullptr) return {};
    return PendingChange(log_, {{"t", "del"}, {"k", kind_.kind}, {"id", id}});
  }

  /// Drops the record (and its name, and its heartbeat) and answers it.
  Record erase_locked(typename std::map<std::string, Record, std::less<>>::iterator it) {
    auto bound = by_name_.find(NameKey(it->second.environment, it->second.name));
    if (bound != by_name_.end() && bound->second == it->second.id) by_name_.erase(bound);
    if (auto seen = last_seen_.find(it->first); seen != last_seen_.end()) last_seen_.erase(seen);
    Record rec = std::move(it->second);
    by_id_.erase(it);
    return rec;
  }

  Record insert_locked(std::string const& environment, std::string_view name, bool anonymous,
                       Fill const& fill, bool ephemeral = false) {
    Record rec;
    rec.id = new_id(kind_.id_prefix);
    rec.name = std::string(name);
    rec.environment = environment;
    rec.anonymous = anonymous;
    rec.created_at = unix_now();
    rec.ephemeral = ephemeral;
    if (fill) fill(rec);
    if (ephemeral) last_seen_[rec.id] = now_locked();
    if (!anonymous) by_name_[NameKey(environment, name)] = rec.id;
    std::string const id = rec.id;
    return by_id_[id] = std::move(rec);
  }

  EnvironmentStore const& environments_;
  ObjectKind const kind_;
  mutable std::mutex mu_;
  std::map<std::string, Record, std::less<>> by_id_;
  std::map<NameKey, std::string> by_name_;  // named objects only
  /// Ephemeral objects only: id -> last heartbeat (or creation).
  std::map<std::string, Clock::time_point, std::less<>> last_seen_;
  OnRemove on_remove_;
  std::function<Clock::time_point()> clock_;
  ChangeLog* log_ = nullptr;
  std::function<void(Record&)> on_restore_;
};

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_STORE_NAMED_STORE_H
