// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_CLOUD_BUCKET_MOUNT_H
#define MODAL_CLOUD_BUCKET_MOUNT_H

#include <optional>
#include <string>
#include <utility>

#include "modal/secret.h"

namespace modal {

/// Options of `CloudBucketMount::create`.
struct CloudBucketMountParams {
  /// Credentials (e.g. AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY); required for requester_pays.
  std::optional<Secret> secret{};
  /// Mount the bucket read-only.
  bool read_only = false;
  /// The bucket is a Requester Pays bucket: access is billed to the credentials' account.
  bool requester_pays = false;
  /// Endpoint for non-AWS buckets: r2.cloudflarestorage.com → R2,
  /// storage.googleapis.com → GCP, anything else → S3-compatible.
  std::string bucket_endpoint_url{};
  /// Mount only this prefix; must end with '/'.
  std::string key_prefix{};
  /// ARN of an AWS IAM role to assume with OIDC authentication.
  std::string oidc_auth_role_arn{};
};

/// A cloud storage bucket (S3, R2, GCS) mounted into a Sandbox. A plain value.
struct CloudBucketMount {
  /// The bucket's name; must not be empty.
  std::string bucket_name{};
  /// How the bucket is mounted.
  CloudBucketMountParams params{};

  /// Validates the parameters. @throws InvalidError (requester_pays without a secret,
  /// key_prefix not ending in '/', empty bucket name).
  static CloudBucketMount create(std::string bucket_name, CloudBucketMountParams params = {});
};

/// Makes cloud bucket mounts, as upstream's `CloudBucketMounts.New`; obtain it with
/// `Client::cloud_bucket_mounts()`. Sends nothing: the mount travels with the Sandbox
/// definition. Thread-safe, cheap to copy.
class CloudBucketMountService {
 public:
  /// The same as `CloudBucketMount::create`.
  /// @throws InvalidError (requester_pays without a secret, key_prefix not ending in '/',
  ///   empty bucket name).
  CloudBucketMount create(std::string bucket_name, CloudBucketMountParams params = {}) const {
    return CloudBucketMount::create(std::move(bucket_name), std::move(params));
  }
};

}  // namespace modal

#endif  // MODAL_CLOUD_BUCKET_MOUNT_H
