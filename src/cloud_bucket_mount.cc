// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "modal/cloud_bucket_mount.h"

#include "internal/sandbox_params.h"
#include "modal/errors.h"

namespace modal {
namespace internal {
namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The host of "scheme://host[:port][/path]" (or of "host[:port][/path]").
std::string_view url_host(std::string_view url) {
  if (auto const scheme = url.find("://"); scheme != std::string_view::npos) {
    url.remove_prefix(scheme + 3);
  }
  url = url.substr(0, url.find_first_of("/?#"));
  if (auto const at = url.rfind('@'); at != std::string_view::npos) url.remove_prefix(at + 1);
  if (!url.empty() && url.front() == '[') return url.substr(1, url.find(']') - 1);  // IPv6
  return url.substr(0, url.find(':'));
}

}  // namespace

modal::client::CloudBucketMount::BucketType bucket_type_of(std::string const& endpoint_url) {
  using Proto = modal::client::CloudBucketMount;
  if (endpoint_url.empty()) return Proto::S3;
  auto const host = url_host(endpoint_url);
  if (host.empty()) {
    throw InvalidError("invalid bucket_endpoint_url '" + endpoint_url +
                       "': expected a URL such as https://<account>.r2.cloudflarestorage.com");
  }
  if (ends_with(host, "r2.cloudflarestorage.com")) return Proto::R2;
  if (ends_with(host, "storage.googleapis.com")) return Proto::GCP;
  return Proto::S3;  // any other endpoint: S3-compatible
}

void validate_cloud_bucket_mount(CloudBucketMount const& mount) {
  if (mount.bucket_name.empty()) throw InvalidError("the bucket name must not be empty");
  if (mount.params.requester_pays && !mount.params.secret) {
    throw InvalidError(
        "requester_pays requires credentials: set params.secret to a Secret with "
        "the bucket's access keys");
  }
  if (!mount.params.key_prefix.empty() && mount.params.key_prefix.back() != '/') {
    throw InvalidError("key_prefix '" + mount.params.key_prefix +
                       "' must end with '/' (it is prepended to every object path)");
  }
  bucket_type_of(mount.params.bucket_endpoint_url);
}

modal::client::CloudBucketMount cloud_bucket_mount_to_proto(CloudBucketMount const& mount,
                                                            std::string const& mount_path,
                                                            std::string const& secret_id) {
  modal::client::CloudBucketMount out;
  out.set_bucket_name(mount.bucket_name);
  out.set_mount_path(mount_path);
  out.set_credentials_secret_id(secret_id);
  out.set_read_only(mount.params.read_only);
  out.set_bucket_type(bucket_type_of(mount.params.bucket_endpoint_url));
  out.set_requester_pays(mount.params.requester_pays);
  if (!mount.params.bucket_endpoint_url.empty()) {
    out.set_bucket_endpoint_url(mount.params.bucket_endpoint_url);
  }
  if (!mount.params.key_prefix.empty()) out.set_key_prefix(mount.params.key_prefix);
  if (!mount.params.oidc_auth_role_arn.empty()) {
    out.set_oidc_auth_role_arn(mount.params.oidc_auth_role_arn);
  }
  return out;
}

}  // namespace internal

CloudBucketMount CloudBucketMount::create(std::string bucket_name, CloudBucketMountParams params) {
  CloudBucketMount mount{std::move(bucket_name), std::move(params)};
  internal::validate_cloud_bucket_mount(mount);
  return mount;
}

}  // namespace modal
