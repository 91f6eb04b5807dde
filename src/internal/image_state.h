// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_IMAGE_STATE_H
#define MODAL_INTERNAL_IMAGE_STATE_H

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "modal/image.h"

namespace modal::internal {

class ClientState;

/// The shared state behind a modal::Image and its copies.
struct ImageState {
  std::shared_ptr<ClientState> client{};
  /// Registry tag, e.g. "alpine:3.21".
  std::string tag{};
  /// Registry credentials (REGISTRY_AUTH_TYPE_STATIC_CREDS), hydrated at build time.
  std::optional<Secret> secret{};
  BuildLogCallback build_log{};

  /// Held for a whole build: concurrent first uses build once.
  std::mutex build_mu;
  mutable std::mutex mu;
  std::string image_id{};  // guarded by mu; "" until built

  /// The image id of `image`, building it in `app` first if needed (ImageGetOrCreate, then
  /// ImageJoinStreaming until the build finishes). A failed build is not cached.
  /// @throws RemoteError if the build fails, modal::Error for RPC failures.
  static std::string ensure_built(Image const& image, App const& app);
};

}  // namespace modal::internal

#endif  // MODAL_INTERNAL_IMAGE_STATE_H
