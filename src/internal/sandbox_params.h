// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_SANDBOX_PARAMS_H
#define MODAL_INTERNAL_SANDBOX_PARAMS_H

#include <string>
#include <vector>

#include "modal/cloud_bucket_mount.h"
#include "modal/sandbox.h"
#include "modal_proto/api.pb.h"

namespace modal::internal {

/// Checks every local rule of SandboxCreateParams (no RPC). @throws InvalidError saying
/// what to change.
void validate_sandbox_params(SandboxCreateParams const& params);

/// "TYPE" or "TYPE:COUNT" -> GPUConfig{count, gpu_type=upper-case TYPE}; "" -> empty.
/// @throws InvalidError for a malformed string.
modal::client::GPUConfig parse_gpu_config(std::string const& gpu);

/// The bucket type implied by an endpoint URL (R2, GCP, else S3). @throws InvalidError.
modal::client::CloudBucketMount::BucketType bucket_type_of(std::string const& endpoint_url);
/// @throws InvalidError as CloudBucketMount::create.
void validate_cloud_bucket_mount(CloudBucketMount const& mount);
modal::client::CloudBucketMount cloud_bucket_mount_to_proto(CloudBucketMount const& mount,
                                                            std::string const& mount_path,
                                                            std::string const& secret_id);

/// The ids of everything a SandboxCreateRequest references, resolved by the caller.
struct SandboxCreateIds {
  std::string app_id{};
  std::string image_id{};
  /// Hydrated ids of params.secrets, in order, plus the Secret made from params.env.
  std::vector<std::string> secret_ids{};
  /// Hydrated credential ids of params.cloud_bucket_mounts ("" = none), by mount path.
  std::map<std::string, std::string> bucket_secret_ids{};
};

/// The request for `params` (validated by validate_sandbox_params).
modal::client::SandboxCreateRequest build_sandbox_create_request(SandboxCreateParams const& params,
                                                                 SandboxCreateIds const& ids);

/// The probe as sent in Sandbox.readiness_probe.
modal::client::Probe probe_to_proto(Probe const& probe);

}  // namespace modal::internal

#endif  // MODAL_INTERNAL_SANDBOX_PARAMS_H
