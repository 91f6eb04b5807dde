// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "store/images.h"

#include <utility>

#include "modal_proto/api.pb.h"
#include "server/ids.h"
#include "store/named_store.h"

namespace modal::emulator {

bool ImageRecord::succeeded() const {
  return status == modal::client::GenericResult::GENERIC_STATUS_SUCCESS;
}

absl::StatusOr<ImageRecord> ImageStore::get(std::string_view id) const {
  std::lock_guard lock(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return object_not_found("Image", id);
  return it->second;
}

bool ImageStore::contains(std::string_view id) const {
  std::lock_guard lock(mu_);
  return by_id_.count(id) != 0;
}

ImageStore::Lookup ImageStore::get_or_build(std::string const& key, bool force_build,
                                            Build const& build) {
  std::lock_guard lock(mu_);
  if (!force_build) {
    auto cached = by_key_.find(key);
    if (cached != by_key_.end()) return {by_id_.at(cached->second), /*cached=*/true};
  }
  ImageRecord rec = build(new_id("im"));
  if (rec.succeeded()) by_key_[key] = rec.id;
  std::string const id = rec.id;
  return {by_id_[id] = std::move(rec), /*cached=*/false};
}

}  // namespace modal::emulator
