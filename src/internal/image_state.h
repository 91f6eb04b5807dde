// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_IMAGE_STATE_H
#define MODAL_INTERNAL_IMAGE_STATE_H

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "modal/image.h"

namespace modal::internal {

class ClientState;

/// One `dockerfile_commands` call: a layer of an Image definition.
struct ImageLayer {
  std::vector<std::string> commands{};
  std::map<std::string, std::string> env{};
  std::vector<Secret> secrets{};
  std::string gpu{};
  bool force_build = false;
};

/// The shared state behind a modal::Image and its copies. Everything but `image_id` is
/// fixed at creation.
struct ImageState {
  std::shared_ptr<ClientState> client{};
  /// Registry tag, e.g. "alpine:3.21" ("" for images from an id, a name or a snapshot).
  std::string tag{};
  /// modal.client.RegistryAuthType of the registry pull (0 = none: a public registry).
  int registry_auth_type = 0;
  /// Registry credentials, hydrated at build time.
  std::optional<Secret> registry_secret{};
  /// The built image the layers go on top of ("" = the registry image).
  std::string base_image_id{};
  /// The layers to build, in order (a registry image has one empty layer: the pull).
  std::vector<ImageLayer> layers{};
  BuildLogCallback build_log{};

  /// Held for a whole build: concurrent first uses build once.
  std::mutex build_mu;
  mutable std::mutex mu;
  std::string image_id{};  // guarded by mu; "" until built

  /// The image id of `image`, building it in `app` first if needed: every layer with
  /// ImageGetOrCreate, then ImageJoinStreaming until it finishes. A failed build is not
  /// cached. @throws InvalidError for a bad layer (before anything is sent), RemoteError
  /// if a build fails, modal::Error for RPC failures.
  static std::string ensure_built(Image const& image, App const& app);
  /// An Image that is built already (from_id, from_name, snapshots).
  static Image built(std::shared_ptr<ClientState> client, std::string image_id);
};

}  // namespace modal::internal

#endif  // MODAL_INTERNAL_IMAGE_STATE_H
