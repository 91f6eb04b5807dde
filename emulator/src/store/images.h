// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_STORE_IMAGES_H
#define MODAL_EMULATOR_SRC_STORE_IMAGES_H

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "store/journal.h"

namespace modal::emulator {

/// What a Dockerfile leaves on an image besides its layers (control/dockerfile.h), applied
/// to its Sandboxes.
struct ImageConfig {
  /// ENV, in effect for later RUN steps and every Sandbox of the image (a Sandbox's own
  /// variables win).
  std::map<std::string, std::string> env{};
  /// WORKDIR: the default working directory of Sandboxes and execs ("" = none set).
  std::string workdir{};
  /// USER, as written: later RUN steps and the image's Sandboxes run as that user
  /// (runtime::SandboxSpec::user).
  std::string user{};
  /// ENTRYPOINT / CMD in exec form (recorded; a Sandbox runs the command it is created
  /// with, as on Modal).
  std::vector<std::string> entrypoint{};
  std::vector<std::string> cmd{};
  /// SHELL: what a shell-form RUN runs under.
  std::vector<std::string> shell{"/bin/sh", "-c"};
  /// The root file system below the layers: a local image unpacked at startup for a
  /// registry tag mapped with --image (runtime::SandboxSpec::rootfs); "" = the host's /.
  std::string rootfs{};
};

/// A registry tag mapped to a local image (EmulatorOptions::images, `--image TAG=PATH`):
/// where it was unpacked and its config (rootfs set).
struct MappedImage {
  std::string source{};
  ImageConfig config{};
};

/// A registry tag as the key of a mapping: "docker.io/library/" and "docker.io/" dropped,
/// ":latest" added when it names no tag or digest ("alpine" -> "alpine:latest").
std::string normal_registry_tag(std::string_view tag);

/// An image: from ImageGetOrCreate (a build, control/images.cc) or a file system snapshot
/// (control/snapshots.cc).
struct ImageRecord {
  std::string id{};  // im-...
  /// The registry tag from "FROM <tag>" of the first dockerfile command ("" if none).
  std::string tag{};
  std::vector<std::string> dockerfile_commands{};
  std::string builder_version{};
  double created_at = 0;
  /// Build log lines, in order; ImageJoinStreaming entry ids are 1-based indexes into it.
  std::vector<std::string> build_log{};
  /// 0 while building, then GENERIC_STATUS_SUCCESS (1) or GENERIC_STATUS_FAILURE (2), with
  /// `exception` on failure.
  int status = 0;
  std::string exception{};
  /// Its file system: host directories in overlayfs upper-directory form, topmost first,
  /// above the host's / (runtime::SandboxSpec::layers). Empty: the host's userland.
  std::vector<std::string> layers{};
  ImageConfig config{};
  bool succeeded() const;
  bool finished() const { return status != 0; }
};

/**
 * Images by id, builds by content key (builder version + definition) for reuse, and
 * published names. Builds run outside the store (control/image_build.h) and report here:
 * append_log() while they run, finish() at the end; readers wait with wait_progress().
 * Layer directories belong to the runtime's state directory and live as long as the
 * emulator (remove() forgets the image; images built on it keep their layers).
 * Persistence (set_change_log(), store/journal.h): successful images are journaled with
 * their build key or snapshot key ({"t": "img", "rec", "key", "snap"}), as are
 * publications ({"t": "imgpub", "env", "tag", "id"}) and removals ({"t": "imgdel", "id"});
 * builds that had not finished are forgotten at a restart.
 * Thread-safe.
 */
class ImageStore {
 public:
  using Make = std::function<ImageRecord(std::string id)>;

  ImageStore() = default;
  ImageStore(ImageStore const&) = delete;
  ImageStore& operator=(ImageStore const&) = delete;

  /// The image with this id, else NOT_FOUND "Image '<id>' not found".
  absl::StatusOr<ImageRecord> get(std::string_view id) const;
  bool contains(std::string_view id) const;

  struct Lookup {
    ImageRecord image{};
    /// True when `image` is an earlier (finished or running) build of the same key.
    bool cached = false;
  };
  /// The build under `key`, successful or still running (unless `force_build`), else a
  /// new image made by `make(new id)`: finished already (decided at once) or building
  /// (status 0), in which case the caller runs the build and reports with finish().
  Lookup get_or_start(std::string const& key, bool force_build, Make const& make);
  using MakeSnapshot = std::function<absl::StatusOr<ImageRecord>(std::string id)>;
  /// The image of snapshot `snapshot_id` (an idempotency key: a retried request gets the
  /// first one's image), else the image `make(new id)` returns, added to the store.
  /// Snapshots are made one at a time. "" as key: always a new one.
  absl::StatusOr<std::string> get_or_snapshot(std::string const& snapshot_id,
                                              MakeSnapshot const& make);
  /// Appends a line to a running build's log.
  void append_log(std::string_view id, std::string line);
  /// Ends a build: status (GENERIC_STATUS_*), and on success its layers and config. A
  /// failed build is no longer reused.
  void finish(std::string_view id, int status, std::string exception,
              std::vector<std::string> layers, ImageConfig config);

  struct Progress {
    std::vector<std::string> lines{};
    /// Set once the build has finished and every line was returned.
    std::optional<ImageRecord> done{};
  };
  /// The log lines of `id` from index `from`, waiting until there are some, the build
  /// finished, `deadline` passed or `stop()` returns true (checked every 100 ms).
  /// NOT_FOUND for an unknown id.
  absl::StatusOr<Progress> wait_progress(std::string_view id, size_t from,
                                         std::chrono::steady_clock::time_point deadline,
                                         std::function<bool()> const& stop) const;

  /// Forgets the image (NOT_FOUND if unknown) and its published names.
  absl::Status remove(std::string_view id);
  /// Names `id` "<name>:<tag>" in `environment` (ImagePublish), replacing an earlier one.
  void publish(std::string const& environment, std::string const& tag, std::string const& id);
  /// The image published as `tag` in `environment`, else NOT_FOUND.
  absl::StatusOr<std::string> find_published(std::string const& environment,
                                             std::string const& tag) const;

  /// Maps a registry tag to a local image (at startup; normal_registry_tag applies).
  void map_registry_tag(std::string_view tag, MappedImage image);
  /// The local image mapped to `tag`, if any.
  std::optional<MappedImage> mapped_registry_tag(std::string_view tag) const;

  /// From now on changes are journaled to `log`. Set it after the replay.
  void set_change_log(ChangeLog* log);
  /// The runtime's layer store: layers below it are journaled as "@layers/<name>", which
  /// apply() turns back into paths below the store of the process replaying them. Set it
  /// before the replay.
  void set_layer_store(std::string dir);
  /// Replays an img, imgpub or imgdel change. INVALID_ARGUMENT for a malformed one.
  absl::Status apply(nlohmann::json const& change);
  /// Appends the changes that recreate every successful image and publication to `out`.
  void snapshot(std::vector<nlohmann::json>& out) const;

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::map<std::string, ImageRecord, std::less<>> by_id_;
  /// Content key -> id of its successful or running build.
  std::map<std::string, std::string> by_key_;
  std::mutex snapshot_mu_;  // held while a snapshot is made; before mu_
  /// Snapshot idempotency key -> image id.
  std::map<std::string, std::string> snapshots_;
  /// (environment, "name:tag") -> id.
  std::map<std::pair<std::string, std::string>, std::string> published_;
  std::map<std::string, MappedImage, std::less<>> mapped_;
  ChangeLog* log_ = nullptr;
  std::string layer_store_;

  /// {"t": "img"} of a successful image, with its build and snapshot keys.
  nlohmann::json image_change_locked(ImageRecord const& rec) const;
};

void to_json(nlohmann::json& j, ImageConfig const& c);
void from_json(nlohmann::json const& j, ImageConfig& c);
void to_json(nlohmann::json& j, ImageRecord const& r);
void from_json(nlohmann::json const& j, ImageRecord& r);

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_STORE_IMAGES_H
