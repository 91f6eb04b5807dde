// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Sandbox::snapshot_filesystem (router TaskSnapshotFilesystem).
#include <chrono>
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

}  // namespace

Image Sandbox::snapshot_filesystem(SandboxSnapshotFilesystemParams const& params) const {
  auto& s = *state_;
  s.ensure_usable();
  std::int64_t const ttl = wire_ttl(params.ttl);
  if (params.timeout.count() <= 0) {
    throw InvalidError("timeout must be positive, got " + std::to_string(params.timeout.count()) +
                       " ms");
  }
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

}  // namespace modal
