// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_STORE_OBJECTS_H
#define MODAL_EMULATOR_SRC_STORE_OBJECTS_H

// The named objects of the control plane and their stores (store/named_store.h). Add a
// kind here: its record, its ObjectKind and its store alias; Core owns the store. Each
// record has to_json / from_json for the journal (store/journal.h): the NamedObject fields
// (named_to_json) plus its payload.

#include <map>
#include <string>

#include "store/named_store.h"

namespace modal::emulator {

/// AppGetOrCreate (control/apps.cc).
struct AppRecord : NamedObject {};
inline void to_json(nlohmann::json& j, AppRecord const& r) { named_to_json(j, r); }
inline void from_json(nlohmann::json const& j, AppRecord& r) { named_from_json(j, r); }
inline constexpr ObjectKind kApps{"App", "ap", "App name", "AppGetOrCreate"};
using AppStore = NamedStore<AppRecord>;

/// SecretGetOrCreate / SecretDelete (control/secrets.cc).
struct SecretRecord : NamedObject {
  std::map<std::string, std::string> env;
};
inline void to_json(nlohmann::json& j, SecretRecord const& r) {
  named_to_json(j, r);
  j["values"] = r.env;
}
inline void from_json(nlohmann::json const& j, SecretRecord& r) {
  named_from_json(j, r);
  j.at("values").get_to(r.env);
}
inline constexpr ObjectKind kSecrets{"Secret", "st", "Secret deployment_name", "SecretGetOrCreate",
                                     Overwrite::kInPlace};
using SecretStore = NamedStore<SecretRecord>;

/// VolumeGetOrCreate / VolumeDelete / VolumeHeartbeat (control/volumes.cc). Its contents
/// are the directory `dir` (Core::volume_root()/<id>), bound into the Sandboxes that mount
/// it; removing the record removes the directory (Core's removal hook).
struct VolumeRecord : NamedObject {
  std::string dir{};
};
/// `dir` is not journaled: it is Core::volume_root()/<id> in whatever directory the state
/// is in at the time (Core sets it on replay).
inline void to_json(nlohmann::json& j, VolumeRecord const& r) { named_to_json(j, r); }
inline void from_json(nlohmann::json const& j, VolumeRecord& r) { named_from_json(j, r); }
inline constexpr ObjectKind kVolumes{"Volume", "vo", "Volume deployment_name", "VolumeGetOrCreate"};
using VolumeStore = NamedStore<VolumeRecord>;

/// QueueGetOrCreate / QueueDelete / QueueHeartbeat (control/queues.cc). The items live in
/// QueueItemStore (store/queues.h), keyed by the queue's id.
struct QueueRecord : NamedObject {};
inline void to_json(nlohmann::json& j, QueueRecord const& r) { named_to_json(j, r); }
inline void from_json(nlohmann::json const& j, QueueRecord& r) { named_from_json(j, r); }
inline constexpr ObjectKind kQueues{"Queue", "qu", "Queue deployment_name", "QueueGetOrCreate"};
using QueueStore = NamedStore<QueueRecord>;

/// ProxyGet (control/proxies.cc): created at startup only (EmulatorOptions::proxies).
struct ProxyRecord : NamedObject {};
inline void to_json(nlohmann::json& j, ProxyRecord const& r) { named_to_json(j, r); }
inline void from_json(nlohmann::json const& j, ProxyRecord& r) { named_from_json(j, r); }
inline constexpr ObjectKind kProxies{"Proxy", "pr", "Proxy name", "ProxyGetOrCreate"};
using ProxyStore = NamedStore<ProxyRecord>;

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_STORE_OBJECTS_H
