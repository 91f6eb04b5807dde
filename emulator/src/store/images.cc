// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "store/images.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
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

ImageStore::Lookup ImageStore::get_or_start(std::string const& key, bool force_build,
                                            Make const& make) {
  std::lock_guard lock(mu_);
  if (!force_build) {
    auto cached = by_key_.find(key);
    if (cached != by_key_.end()) return {by_id_.at(cached->second), /*cached=*/true};
  }
  ImageRecord rec = make(new_id("im"));
  if (rec.succeeded() || !rec.finished()) by_key_[key] = rec.id;
  std::string const id = rec.id;
  return {by_id_[id] = std::move(rec), /*cached=*/false};
}

absl::StatusOr<std::string> ImageStore::get_or_snapshot(std::string const& snapshot_id,
                                                        MakeSnapshot const& make) {
  std::lock_guard snapshot(snapshot_mu_);
  if (!snapshot_id.empty()) {
    std::lock_guard lock(mu_);
    auto it = snapshots_.find(snapshot_id);
    if (it != snapshots_.end() && by_id_.count(it->second) != 0) return it->second;
  }
  auto rec = make(new_id("im"));
  if (!rec.ok()) return rec.status();
  std::lock_guard lock(mu_);
  std::string const id = rec->id;
  by_id_[id] = *std::move(rec);
  if (!snapshot_id.empty()) snapshots_[snapshot_id] = id;
  return id;
}

void ImageStore::append_log(std::string_view id, std::string line) {
  {
    std::lock_guard lock(mu_);
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return;
    it->second.build_log.push_back(std::move(line));
  }
  cv_.notify_all();
}

void ImageStore::finish(std::string_view id, int status, std::string exception,
                        std::vector<std::string> layers, ImageConfig config) {
  {
    std::lock_guard lock(mu_);
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return;
    ImageRecord& rec = it->second;
    rec.status = status;
    rec.exception = std::move(exception);
    if (rec.succeeded()) {
      rec.layers = std::move(layers);
      rec.config = std::move(config);
    } else {
      std::erase_if(by_key_, [&](auto const& entry) { return entry.second == id; });
    }
  }
  cv_.notify_all();
}

absl::StatusOr<ImageStore::Progress> ImageStore::wait_progress(
    std::string_view id, size_t from, std::chrono::steady_clock::time_point deadline,
    std::function<bool()> const& stop) const {
  std::unique_lock lock(mu_);
  for (;;) {
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return object_not_found("Image", id);
    ImageRecord const& rec = it->second;
    Progress out;
    if (from < rec.build_log.size()) {
      out.lines.assign(rec.build_log.begin() + static_cast<std::ptrdiff_t>(from),
                       rec.build_log.end());
    }
    if (rec.finished()) out.done = rec;
    if (!out.lines.empty() || out.done || std::chrono::steady_clock::now() >= deadline ||
        (stop && stop())) {
      return out;
    }
    cv_.wait_until(lock, std::min(deadline, std::chrono::steady_clock::now() +
                                                std::chrono::milliseconds(100)));
  }
}

absl::Status ImageStore::remove(std::string_view id) {
  std::lock_guard lock(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return object_not_found("Image", id);
  by_id_.erase(it);
  std::erase_if(by_key_, [&](auto const& entry) { return entry.second == id; });
  std::erase_if(published_, [&](auto const& entry) { return entry.second == id; });
  std::erase_if(snapshots_, [&](auto const& entry) { return entry.second == id; });
  return absl::OkStatus();
}

void ImageStore::publish(std::string const& environment, std::string const& tag,
                         std::string const& id) {
  std::lock_guard lock(mu_);
  published_[{environment, tag}] = id;
}

absl::StatusOr<std::string> ImageStore::find_published(std::string const& environment,
                                                       std::string const& tag) const {
  std::lock_guard lock(mu_);
  auto it = published_.find({environment, tag});
  if (it == published_.end() || by_id_.count(it->second) == 0) {
    return absl::NotFoundError(absl::StrCat("Image '", tag, "' not found"));
  }
  return it->second;
}

std::string normal_registry_tag(std::string_view tag) {
  std::string out(tag);
  for (std::string_view prefix : {"docker.io/library/", "docker.io/"}) {
    if (out.starts_with(prefix)) {
      out.erase(0, prefix.size());
      break;
    }
  }
  auto const slash = out.rfind('/');
  std::string_view const last =
      std::string_view(out).substr(slash == std::string::npos ? 0 : slash + 1);
  if (last.find(':') == std::string_view::npos && last.find('@') == std::string_view::npos) {
    out += ":latest";
  }
  return out;
}

void ImageStore::map_registry_tag(std::string_view tag, MappedImage image) {
  std::lock_guard<std::mutex> lock(mu_);
  mapped_[normal_registry_tag(tag)] = std::move(image);
}

std::optional<MappedImage> ImageStore::mapped_registry_tag(std::string_view tag) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = mapped_.find(normal_registry_tag(tag));
  if (it == mapped_.end()) return std::nullopt;
  return it->second;
}

}  // namespace modal::emulator
