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
  // Decided at once: nobody waits for it to be durable (a failure shows in the next sync).
  if (rec.succeeded() && log_ != nullptr) log_->append(image_change_locked(rec));
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
  std::string const id = rec->id;
  PendingChange pending;
  {
    std::lock_guard lock(mu_);
    by_id_[id] = *std::move(rec);
    if (!snapshot_id.empty()) snapshots_[snapshot_id] = id;
    if (log_ != nullptr) pending = PendingChange(log_, image_change_locked(by_id_.at(id)));
  }
  if (auto st = pending.wait(); !st.ok()) return st;
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
  PendingChange pending;
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
      if (log_ != nullptr) pending = PendingChange(log_, image_change_locked(rec));
    } else {
      std::erase_if(by_key_, [&](auto const& entry) { return entry.second == id; });
    }
  }
  // Durable before any reader learns that the build finished.
  (void)pending.wait();
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
  PendingChange pending;
  {
    std::lock_guard lock(mu_);
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return object_not_found("Image", id);
    by_id_.erase(it);
    std::erase_if(by_key_, [&](auto const& entry) { return entry.second == id; });
    std::erase_if(published_, [&](auto const& entry) { return entry.second == id; });
    std::erase_if(snapshots_, [&](auto const& entry) { return entry.second == id; });
    if (log_ != nullptr) pending = PendingChange(log_, {{"t", "imgdel"}, {"id", id}});
  }
  return pending.wait();
}

void ImageStore::publish(std::string const& environment, std::string const& tag,
                         std::string const& id) {
  PendingChange pending;
  {
    std::lock_guard lock(mu_);
    published_[{environment, tag}] = id;
    if (log_ != nullptr) {
      pending =
          PendingChange(log_, {{"t", "imgpub"}, {"env", environment}, {"tag", tag}, {"id", id}});
    }
  }
  (void)pending.wait();  // a failure shows in the next change's wait
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

namespace {
constexpr char const kLayerMark[] = "@layers/";
constexpr std::size_t kLayerMarkSize = sizeof(kLayerMark) - 1;
}  // namespace

void ImageStore::set_layer_store(std::string dir) {
  std::lock_guard lock(mu_);
  layer_store_ = std::move(dir);
}

nlohmann::json ImageStore::image_change_locked(ImageRecord const& rec) const {
  nlohmann::json change = {{"t", "img"}, {"rec", rec}};
  if (!layer_store_.empty()) {
    std::string const prefix = layer_store_ + "/";
    for (auto& layer : change["rec"]["layers"]) {
      auto const& path = layer.get_ref<std::string const&>();
      if (path.starts_with(prefix)) layer = absl::StrCat(kLayerMark, path.substr(prefix.size()));
    }
  }
  for (auto const& [key, id] : by_key_) {
    if (id == rec.id) change["key"] = key;
  }
  for (auto const& [key, id] : snapshots_) {
    if (id == rec.id) change["snap"] = key;
  }
  return change;
}

void ImageStore::set_change_log(ChangeLog* log) {
  std::lock_guard lock(mu_);
  log_ = log;
}

absl::Status ImageStore::apply(nlohmann::json const& change) {
  try {
    std::lock_guard lock(mu_);
    auto const& type = change.at("t").get_ref<std::string const&>();
    if (type == "img") {
      ImageRecord rec = change.at("rec").get<ImageRecord>();
      if (rec.id.empty()) return absl::InvalidArgumentError("an image without an id");
      for (auto& layer : rec.layers) {
        if (!layer.starts_with(kLayerMark)) continue;
        if (layer_store_.empty()) {
          return absl::FailedPreconditionError(absl::StrCat(
              "image ", rec.id, " has layers, and no layer store could be made to restore them"));
        }
        layer = absl::StrCat(layer_store_, "/", layer.substr(kLayerMarkSize));
      }
      if (auto key = change.find("key"); key != change.end()) {
        by_key_[key->get<std::string>()] = rec.id;
      }
      if (auto snap = change.find("snap"); snap != change.end()) {
        snapshots_[snap->get<std::string>()] = rec.id;
      }
      std::string const id = rec.id;
      by_id_[id] = std::move(rec);
    } else if (type == "imgpub") {
      published_[{change.at("env").get<std::string>(), change.at("tag").get<std::string>()}] =
          change.at("id").get<std::string>();
    } else if (type == "imgdel") {
      std::string const id = change.at("id").get<std::string>();
      by_id_.erase(id);
      std::erase_if(by_key_, [&](auto const& entry) { return entry.second == id; });
      std::erase_if(published_, [&](auto const& entry) { return entry.second == id; });
      std::erase_if(snapshots_, [&](auto const& entry) { return entry.second == id; });
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown Image change '", type, "'"));
    }
  } catch (nlohmann::json::exception const& e) {
    return absl::InvalidArgumentError(absl::StrCat("malformed Image change: ", e.what()));
  }
  return absl::OkStatus();
}

void ImageStore::snapshot(std::vector<nlohmann::json>& out) const {
  std::lock_guard lock(mu_);
  for (auto const& [id, rec] : by_id_) {
    if (rec.succeeded()) out.push_back(image_change_locked(rec));
  }
  for (auto const& [key, id] : published_) {
    if (by_id_.count(id) == 0) continue;
    out.push_back({{"t", "imgpub"}, {"env", key.first}, {"tag", key.second}, {"id", id}});
  }
}

void to_json(nlohmann::json& j, ImageConfig const& c) {
  j = {{"env", c.env}, {"workdir", c.workdir}, {"user", c.user},    {"entrypoint", c.entrypoint},
       {"cmd", c.cmd}, {"shell", c.shell},     {"rootfs", c.rootfs}};
}

void from_json(nlohmann::json const& j, ImageConfig& c) {
  j.at("env").get_to(c.env);
  j.at("workdir").get_to(c.workdir);
  j.at("user").get_to(c.user);
  j.at("entrypoint").get_to(c.entrypoint);
  j.at("cmd").get_to(c.cmd);
  j.at("shell").get_to(c.shell);
  j.at("rootfs").get_to(c.rootfs);
}

void to_json(nlohmann::json& j, ImageRecord const& r) {
  j = {{"id", r.id},
       {"tag", r.tag},
       {"dockerfile", r.dockerfile_commands},
       {"builder", r.builder_version},
       {"at", r.created_at},
       {"log", r.build_log},
       {"status", r.status},
       {"exception", r.exception},
       {"layers", r.layers},
       {"config", r.config}};
}

void from_json(nlohmann::json const& j, ImageRecord& r) {
  j.at("id").get_to(r.id);
  j.at("tag").get_to(r.tag);
  j.at("dockerfile").get_to(r.dockerfile_commands);
  j.at("builder").get_to(r.builder_version);
  j.at("at").get_to(r.created_at);
  j.at("log").get_to(r.build_log);
  j.at("status").get_to(r.status);
  j.at("exception").get_to(r.exception);
  j.at("layers").get_to(r.layers);
  j.at("config").get_to(r.config);
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
