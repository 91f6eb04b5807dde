// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_STATE_H
#define MODAL_EMULATOR_SRC_STATE_H

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace modal::emulator {

/// The environment used when a request says "".
inline constexpr std::string_view kDefaultEnvironment = "main";

struct EnvironmentRecord {
  std::string id;  // en-...
  std::string name;
  double created_at = 0;
};

struct AppRecord {
  std::string id;  // ap-...
  std::string name;
  std::string environment;
  /// Ephemeral/anonymous Apps are not reachable by name.
  bool ephemeral = false;
  double created_at = 0;
};

struct SecretRecord {
  std::string id;  // st-...
  /// Deployment name; empty for anonymous (ephemeral) Secrets.
  std::string name;
  std::string environment;
  std::map<std::string, std::string> env;
  double created_at = 0;
};

/// An image from ImageGetOrCreate (images.cc). Builds are emulated: nothing is pulled or
/// built, commands of sandboxes run on the host's own userland.
struct ImageRecord {
  std::string id;  // im-...
  /// The registry tag from "FROM <tag>" of the first dockerfile command ("" if none).
  std::string tag;
  std::vector<std::string> dockerfile_commands;
  std::string builder_version;
  double created_at = 0;
  /// Build log lines, in order; ImageJoinStreaming entry ids are 1-based indexes into it.
  std::vector<std::string> build_log;
  /// GENERIC_STATUS_SUCCESS (1) or GENERIC_STATUS_FAILURE (2), with `exception` on failure.
  int status = 0;
  std::string exception;
};

/// A Volume from VolumeGetOrCreate (volumes.cc). Mounts are recorded, not performed.
struct VolumeRecord {
  std::string id;  // vo-...
  /// Deployment name; empty for ephemeral Volumes.
  std::string name;
  std::string environment;
  double created_at = 0;
};

/// A Proxy, created at startup from EmulatorOptions::proxies (proxies.cc).
struct ProxyRecord {
  std::string id;  // pr-...
  std::string name;
  std::string environment;
  double created_at = 0;
};

/// (environment name, object name): the key of every named, environment-scoped object.
using NameKey = std::pair<std::string, std::string>;

/**
 * The emulator's in-memory store. Plain data guarded by one mutex: lock `mu` for every
 * read or write (`std::lock_guard lock(state.mu);`) and keep critical sections short (never
 * block or call out while holding it). Maps are keyed by object id; `*_by_name` maps bind
 * names, per environment, to ids.
 *
 * Sandboxes, images, ... are added here as their RPCs are implemented.
 */
struct State {
  mutable std::mutex mu;

  std::map<std::string, EnvironmentRecord> environments;  // by name
  std::map<std::string, AppRecord> apps;                  // by id
  std::map<NameKey, std::string> apps_by_name;
  std::map<std::string, SecretRecord> secrets;  // by id
  std::map<NameKey, std::string> secrets_by_name;
  std::map<std::string, ImageRecord> images;  // by id
  /// Content key (builder version + serialized Image definition) -> image id (caching).
  std::map<std::string, std::string> images_by_key;
  std::map<std::string, VolumeRecord> volumes;  // by id
  std::map<NameKey, std::string> volumes_by_name;
  std::map<std::string, ProxyRecord> proxies;  // by id
  std::map<NameKey, std::string> proxies_by_name;

  // ---- helpers; the caller holds `mu` ----

  /// "" -> "main".
  static std::string environment_name(std::string_view requested) {
    return requested.empty() ? std::string(kDefaultEnvironment) : std::string(requested);
  }
  /// The environment named `requested` ("" = default), or nullptr if it does not exist.
  EnvironmentRecord const* find_environment(std::string_view requested) const {
    auto it = environments.find(environment_name(requested));
    return it == environments.end() ? nullptr : &it->second;
  }
  /// Creates the environment (which must not exist yet) and returns it.
  EnvironmentRecord& add_environment(std::string const& name);

  AppRecord* find_app(std::string const& id) {
    auto it = apps.find(id);
    return it == apps.end() ? nullptr : &it->second;
  }
  SecretRecord* find_secret(std::string const& id) {
    auto it = secrets.find(id);
    return it == secrets.end() ? nullptr : &it->second;
  }
};

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_STATE_H
