// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "store/blobs.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "internal/blob.h"
#include "server/ids.h"

namespace modal::emulator {

std::string BlobStore::create(std::string content_md5, std::int64_t content_length) {
  std::string id = new_id("bl");
  std::lock_guard lock(mu_);
  blobs_.emplace(id, Blob{std::move(content_md5), content_length, nullptr});
  return id;
}

absl::Status BlobStore::upload(std::string_view id, std::string_view content_md5_header,
                               std::string data) {
  // The SDK's digest, the one clients send (internal/blob.h).
  std::string const actual = modal::internal::base64_md5(data);
  if (!content_md5_header.empty() && content_md5_header != actual) {
    return absl::InvalidArgumentError(absl::StrCat("Content-MD5 ", std::string(content_md5_header),
                                                   " does not match the body's MD5 ", actual));
  }
  std::lock_guard lock(mu_);
  auto it = blobs_.find(id);
  if (it == blobs_.end()) {
    return absl::NotFoundError(absl::StrCat("Blob '", std::string(id), "' not found"));
  }
  Blob& blob = it->second;
  if (!blob.content_md5.empty() && blob.content_md5 != actual) {
    return absl::InvalidArgumentError(
        absl::StrCat("the body's MD5 ", actual, " is not the announced ", blob.content_md5));
  }
  if (blob.content_length >= 0 && static_cast<std::int64_t>(data.size()) != blob.content_length) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the body has ", data.size(), " bytes, the announced length is ", blob.content_length));
  }
  blob.data = std::make_shared<std::string const>(std::move(data));
  return absl::OkStatus();
}

std::string BlobStore::put_data(std::string data) {
  std::string id = new_id("bl");
  std::lock_guard lock(mu_);
  blobs_.emplace(id, Blob{"", -1, std::make_shared<std::string const>(std::move(data))});
  return id;
}

absl::StatusOr<std::shared_ptr<std::string const>> BlobStore::get(std::string_view id) const {
  std::lock_guard lock(mu_);
  auto it = blobs_.find(id);
  if (it == blobs_.end()) {
    return absl::NotFoundError(absl::StrCat("Blob '", std::string(id), "' not found"));
  }
  if (it->second.data == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("Blob '", std::string(id), "' was never uploaded"));
  }
  return it->second.data;
}

}  // namespace modal::emulator
