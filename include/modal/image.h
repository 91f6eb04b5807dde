// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_IMAGE_H
#define MODAL_IMAGE_H

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "modal/app.h"
#include "modal/secret.h"

namespace modal {
namespace internal {
class ClientState;
struct ImageState;
}  // namespace internal

/// Receives image build log lines as the server streams them. Called from the thread
/// that triggered the build; it must not throw.
using BuildLogCallback = std::function<void(std::string_view line)>;

/// Options of `ImageService::from_registry`.
struct ImageFromRegistryParams {
  /// Credentials for a private registry (keys REGISTRY_USERNAME / REGISTRY_PASSWORD).
  std::optional<Secret> secret{};
  /// Build log lines, in addition to the SDK's INFO log.
  BuildLogCallback build_log{};
};

/**
 * A container image. Images from `ImageService::from_registry` are built lazily: the
 * first use (creating a Sandbox, or `build()`) builds them once; later uses reuse the id.
 *
 * @par Thread Safety
 * Copies share one state; concurrent first uses build only once.
 */
class Image {
 public:
  /// The image id ("im-..."), or "" if not built yet.
  std::string image_id() const;
  /// The registry tag, e.g. "python:3.13-slim"; empty for images from an id.
  std::string const& tag() const;
  /// Builds the image in `app` if it is not built yet; returns its id.
  /// @throws RemoteError if the build fails, with the server's explanation.
  std::string build(App const& app) const;

 private:
  friend class ImageService;
  friend struct internal::ImageState;
  explicit Image(std::shared_ptr<internal::ImageState> state) : state_(std::move(state)) {}
  std::shared_ptr<internal::ImageState> state_;
};

/// Creates Images. Obtain it with `Client::images()`. Thread-safe, cheap to copy.
class ImageService {
 public:
  /// An image from a public or private registry, e.g. "alpine:3.21". Sends nothing now.
  Image from_registry(std::string tag, ImageFromRegistryParams params = {}) const;

 private:
  friend class Client;
  explicit ImageService(std::shared_ptr<internal::ClientState> state) : state_(std::move(state)) {}
  std::shared_ptr<internal::ClientState> state_;
};

}  // namespace modal

#endif  // MODAL_IMAGE_H
