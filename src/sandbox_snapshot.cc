// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// A running Sandbox's file system and network through its task command router:
// snapshot_filesystem (TaskSnapshotFilesystem), snapshot_directory (TaskSnapshotDirectory),
// mount_image / unmount_image (TaskMountDirectory / TaskUnmountDirectory), reload_volumes
// (TaskReloadVolumes) and update_network_policy (TaskSetNetworkAccess).
#include <chrono>
#include <optional>
#include <string>

#include "internal/cancellation.h"
#include "internal/client_state.h"
#include "internal/image_state.h"
#include "internal/router_client.h"
#include "internal/rpc.h"
#include "internal/sandbox_state.h"
#include "internal/uuid.h"
#include "modal/errors.h"
#include "modal/sandbox.h"

namespace modal {
namespace {

constexpr std::int64_t kDefaultTtlSecs = 30LL * 24 * 3600;

/// The wire TTL: 0 -> 30 days, kNoExpiry -> -1, else whole seconds >= 1 (as upstream).
std::int64_t wire_ttl(std::chrono::seconds ttl) {
  if (ttl.count() == 0) return kDefaultTtlSecs;
  if (ttl == SandboxSnapshotFilesystemParams::kNoExpiry) return -1;
  if (ttl.count() < 1) {
    throw InvalidError("TTL must be at least 1 second (or kNoExpiry), got " +
                       std::to_string(ttl.count()) + " s");
  }
  return ttl.count();
}

/// A customer-supplied encryption key: 16 to 512 bytes (as upstream).
void check_encryption_key(std::optional<std::string> const& key) {
  if (key && (key->size() < 16 || key->size() > 512)) {
    throw InvalidError("experimental encryption key must be between 16 and 512 bytes, got " +
                       std::to_string(key->size()) + " bytes");
  }
}

void check_sandbox_path(std::string const& path, char const* what) {
  if (path.empty() || path.front() != '/') {
    throw InvalidError(std::string(what) + ": the path must be absolute, got \"" + path + "\"");
  }
}

void check_timeout(std::chrono::milliseconds timeout) {
  if (timeout.count() <= 0) {
    throw InvalidError("timeout must be positive, got " + std::to_string(timeout.count()) + " ms");
  }
}

}  // namespace

Image Sandbox::snapshot_filesystem(SandboxSnapshotFilesystemParams const& params) const {
  auto& s = *state_;
  s.ensure_usable();
  std::int64_t const ttl = wire_ttl(params.ttl);
  check_timeout(params.timeout);
  auto router = s.router_client();
  internal::tcr::TaskSnapshotFilesystemRequest req;
  req.set_task_id(router->task_id());
  req.set_snapshot_id(internal::uuid4());  // the same for every retry: one snapshot
  req.set_ttl_seconds(ttl);
  auto resp = router->call(internal::rpc::TaskSnapshotFilesystem, req,
                           {.deadline = internal::Clock::now() + params.timeout, .stop = {}});
  if (resp.image_id().empty()) {
    throw ExecutionError("Sandbox snapshot filesystem response missing image ID",
                         StatusCode::kUnknown,
                         std::string(internal::rpc::TaskSnapshotFilesystem.name));
  }
  s.client->logger().debug("sandbox {}: file system snapshot {}", s.sandbox_id, resp.image_id());
  return internal::ImageState::built(s.client, resp.image_id());
}

Image Sandbox::snapshot_directory(std::string const& path,
                                  SandboxSnapshotDirectoryParams const& params) const {
  auto& s = *state_;
  s.ensure_usable();
  check_sandbox_path(path, "snapshot_directory");
  std::int64_t const ttl = wire_ttl(params.ttl);
  check_timeout(params.timeout);
  check_encryption_key(params.experimental_encryption_key);
  auto router = s.router_client();
  internal::tcr::TaskSnapshotDirectoryRequest req;
  req.set_task_id(router->task_id());
  req.set_path(path);
  req.set_snapshot_id(internal::uuid4());  // the same for every retry: one snapshot
  req.set_ttl_seconds(ttl);
  if (params.experimental_encryption_key) {
    req.set_customer_supplied_encryption_key(*params.experimental_encryption_key);
  }
  auto resp = router->call(internal::rpc::TaskSnapshotDirectory, req,
                           {.deadline = internal::Clock::now() + params.timeout, .stop = {}});
  if (resp.image_id().empty()) {
    throw ExecutionError("Sandbox snapshot directory response missing image ID",
                         StatusCode::kUnknown,
                         std::string(internal::rpc::TaskSnapshotDirectory.name));
  }
  s.client->logger().debug("sandbox {}: snapshot {} of directory {}", s.sandbox_id, resp.image_id(),
                           path);
  return internal::ImageState::built(s.client, resp.image_id());
}

void Sandbox::mount_image(std::string const& path, std::optional<Image> const& image,
                          SandboxMountImageParams const& params) const {
  auto& s = *state_;
  s.ensure_usable();
  check_sandbox_path(path, "mount_image");
  std::string image_id;
  if (image) {
    image_id = image->image_id();
    if (image_id.empty()) {
      throw InvalidError("Image must be built before mounting. Call `image.build(app)` first.");
    }
  }
  check_encryption_key(params.experimental_encryption_key);
  auto router = s.router_client();
  internal::tcr::TaskMountDirectoryRequest req;
  req.set_task_id(router->task_id());
  req.set_path(path);
  req.set_image_id(image_id);
  if (params.experimental_encryption_key) {
    req.set_customer_supplied_encryption_key(*params.experimental_encryption_key);
  }
  router->call(internal::rpc::TaskMountDirectory, req);
}

void Sandbox::unmount_image(std::string const& path) const {
  auto& s = *state_;
  s.ensure_usable();
  check_sandbox_path(path, "unmount_image");
  auto router = s.router_client();
  internal::tcr::TaskUnmountDirectoryRequest req;
  req.set_task_id(router->task_id());
  req.set_path(path);
  router->call(internal::rpc::TaskUnmountDirectory, req);
}

void Sandbox::reload_volumes(SandboxReloadVolumesParams const& params) const {
  auto& s = *state_;
  s.ensure_usable();
  if (params.timeout.count() < 0) throw InvalidError("Timeout must not be negative");
  auto const timeout = params.timeout.count() == 0
                           ? std::chrono::milliseconds(std::chrono::seconds(55))
                           : params.timeout;
  auto router = s.router_client();
  internal::tcr::TaskReloadVolumesRequest req;
  req.set_task_id(router->task_id());
  router->call(internal::rpc::TaskReloadVolumes, req,
               {.deadline = internal::Clock::now() + timeout, .stop = {}});
}

void Sandbox::update_network_policy(SandboxUpdateNetworkPolicyParams const& params) const {
  auto& s = *state_;
  s.ensure_usable();
  if (!params.outbound_cidr_allowlist || !params.outbound_domain_allowlist) {
    throw InvalidError(
        "update_network_policy currently requires both outbound_cidr_allowlist and "
        "outbound_domain_allowlist to be set");
  }
  auto router = s.router_client();
  internal::tcr::TaskSetNetworkAccessRequest req;
  req.set_task_id(router->task_id());
  auto* access = req.mutable_network_access();
  access->set_network_access_type(modal::client::NetworkAccess::ALLOWLIST);
  for (auto const& cidr : *params.outbound_cidr_allowlist) access->add_allowed_cidrs(cidr);
  for (auto const& domain : *params.outbound_domain_allowlist) {
    access->add_allowed_domains(domain);
  }
  router->call(internal::rpc::TaskSetNetworkAccess, req);
}

}  // namespace modal
