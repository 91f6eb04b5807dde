// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_STORE_IMAGES_H
#define MODAL_EMULATOR_SRC_STORE_IMAGES_H

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace modal::emulator {

/// An image from ImageGetOrCreate (control/images.cc). Builds are emulated: nothing is
/// pulled or built, commands of sandboxes run on the host's own userland.
struct ImageRecord {
  std::string id{};  // im-...
  /// The registry tag from "FROM <tag>" of the first dockerfile command ("" if none).
  std::string tag{};
  std::vector<std::string> dockerfile_commands{};
  std::string builder_version{};
  double created_at = 0;
  /// Build log lines, in order; ImageJoinStreaming entry ids are 1-based indexes into it.
  std::vector<std::string> build_log{};
  /// GENERIC_STATUS_SUCCESS (1) or GENERIC_STATUS_FAILURE (2), with `exception` on failure.
  int status = 0;
  std::string exception{};
  bool succeeded() const;
};

/**
 * Images by id, and successful builds by content key (builder version + definition) for
 * reuse. Images are not named objects (no environment, no name). Thread-safe.
 */
class ImageStore {
 public:
  using Build = std::function<ImageRecord(std::string id)>;

  ImageStore() = default;
  ImageStore(ImageStore const&) = delete;
  ImageStore& operator=(ImageStore const&) = delete;

  /// The image with this id, else NOT_FOUND "Image '<id>' not found".
  absl::StatusOr<ImageRecord> get(std::string_view id) const;
  bool contains(std::string_view id) const;

  struct Lookup {
    ImageRecord image{};
    /// True when `image` is an earlier successful build of the same key.
    bool cached = false;
  };
  /// The successful build cached under `key` (unless `force_build`), else a new image
  /// made by `build(new id)`, cached under `key` if it succeeded. Builds under the
  /// store's lock, so `build` must be quick and must not call into other stores.
  Lookup get_or_build(std::string const& key, bool force_build, Build const& build);

 private:
  mutable std::mutex mu_;
  std::map<std::string, ImageRecord, std::less<>> by_id_;
  /// Content key -> id of its successful build.
  std::map<std::string, std::string> by_key_;
};

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_STORE_IMAGES_H
