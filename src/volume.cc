// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "modal/volume.h"

#include <algorithm>
#include <mutex>
#include <string_view>

#include "internal/client_state.h"
#include "internal/named_objects.h"
#include "internal/validation.h"
#include "modal/errors.h"

namespace modal {

namespace rpc = internal::rpc;

namespace internal {

/// What copies of a Volume handle share (mount options are per copy).
struct VolumeState {
  std::shared_ptr<ClientState> client;
  std::string id;
  std::string name;
  bool ephemeral = false;
  std::mutex mu;
  /// The ephemeral heartbeat; resetting it stops the beats.
  std::shared_ptr<void> heartbeat;  // guarded by mu
};

}  // namespace internal

namespace {

/// A Volume's sub-path: a directory of the Volume, from its root ("/data" or "data/x", as
/// upstream's examples write it), without "." or ".." components.
void check_sub_path(std::string const& sub_path) {
  auto fail = [&](std::string const& why) {
    throw InvalidError("Volume sub_path '" + sub_path + "' " + why);
  };
  if (sub_path.find('\0') != std::string::npos) fail("contains a NUL character");
  std::string_view rest(sub_path);
  while (!rest.empty()) {
    auto const end = std::min(rest.find('/'), rest.size());
    auto const part = rest.substr(0, end);
    if (part == "." || part == "..") fail("must not have '.' or '..' components");
    rest.remove_prefix(std::min(end + 1, rest.size()));
  }
}

}  // namespace

std::string const& Volume::volume_id() const { return state_->id; }
std::string const& Volume::name() const { return state_->name; }
bool Volume::is_ephemeral() const { return state_->ephemeral; }

Volume Volume::read_only() const {
  Volume v = *this;
  v.read_only_ = true;
  return v;
}

Volume Volume::with_mount_options(VolumeMountOptionsParams const& params) const {
  Volume v = *this;
  if (params.read_only) v.read_only_ = *params.read_only;
  if (params.sub_path) {
    if (*params.sub_path == "/") {
      v.sub_path_.clear();
    } else {
      if (params.sub_path->empty()) throw InvalidError("Volume sub_path must not be empty");
      check_sub_path(*params.sub_path);
      v.sub_path_ = *params.sub_path;
    }
  }
  return v;
}

void Volume::close_ephemeral() const {
  if (!state_->ephemeral) throw InvalidError("Volume " + state_->id + " is not ephemeral");
  std::shared_ptr<void> heartbeat;
  {
    std::lock_guard lock(state_->mu);
    heartbeat.swap(state_->heartbeat);
  }
  // `heartbeat` ends here, outside the lock (releasing it waits for a beat in flight).
}

Volume VolumeService::from_name(std::string const& name, VolumeFromNameParams const& params) const {
  state_->throw_if_closed();
  if (name.empty()) throw InvalidError("Volume name must not be empty");
  internal::check_object_name(name, "Volume");
  modal::client::VolumeGetOrCreateRequest req;
  req.set_deployment_name(name);
  req.set_environment_name(state_->environment(params.environment));
  req.set_object_creation_type(params.create_if_missing
                                   ? modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING
                                   : modal::client::OBJECT_CREATION_TYPE_UNSPECIFIED);
  auto resp =
      state_->call(rpc::VolumeGetOrCreate, req, {.not_found = "Volume '" + name + "' not found"});
  if (resp.volume_id().empty()) {
    throw Error("VolumeGetOrCreate returned no volume id", StatusCode::kInternal,
                "VolumeGetOrCreate");
  }
  state_->logger().debug("volume '{}': {}", name, resp.volume_id());
  auto state = std::make_shared<internal::VolumeState>();
  state->client = state_;
  state->id = resp.volume_id();
  state->name = name;
  return Volume(std::move(state));
}

Volume VolumeService::ephemeral(VolumeEphemeralParams const& params) const {
  state_->throw_if_closed();
  modal::client::VolumeGetOrCreateRequest req;
  req.set_environment_name(state_->environment(params.environment));
  req.set_object_creation_type(modal::client::OBJECT_CREATION_TYPE_EPHEMERAL);
  auto resp = state_->call(rpc::VolumeGetOrCreate, req);
  if (resp.volume_id().empty()) {
    throw Error("VolumeGetOrCreate returned no volume id", StatusCode::kInternal,
                "VolumeGetOrCreate");
  }
  state_->logger().debug("ephemeral volume {}", resp.volume_id());
  auto state = std::make_shared<internal::VolumeState>();
  state->client = state_;
  state->id = resp.volume_id();
  state->ephemeral = true;
  modal::client::VolumeHeartbeatRequest hb;
  hb.set_volume_id(state->id);
  state->heartbeat = internal::start_heartbeat(*state_, "Volume " + state->id, rpc::VolumeHeartbeat,
                                               std::move(hb));
  return Volume(std::move(state));
}

void VolumeService::remove(std::string const& name, VolumeDeleteParams const& params) const {
  internal::delete_named<modal::client::VolumeDeleteRequest>(
      *state_, rpc::VolumeDelete, "Volume '" + name + "' not found", params.allow_missing,
      [&] {
        return from_name(name, {.environment = params.environment, .create_if_missing = false})
            .volume_id();
      },
      [](std::string const& id) {
        modal::client::VolumeDeleteRequest req;
        req.set_volume_id(id);
        return req;
      });
}

}  // namespace modal
