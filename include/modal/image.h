// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_IMAGE_H
#define MODAL_IMAGE_H

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

/// Options of `ImageService::from_aws_ecr`.
struct ImageFromAwsEcrParams {
  /// Build log lines, in addition to the SDK's INFO log.
  BuildLogCallback build_log{};
};

/// Options of `ImageService::from_gcp_artifact_registry`.
struct ImageFromGcpArtifactRegistryParams {
  /// Build log lines, in addition to the SDK's INFO log.
  BuildLogCallback build_log{};
};

/// Options of `ImageService::from_name`.
struct ImageFromNameParams {
  /// Environment to look the name up in; "" = the Client's. Must be empty when the name
  /// has a '/' prefix (which names the environment itself).
  std::string environment{};
};

/// Options of `ImageService::remove`.
struct ImageDeleteParams {};

/// Options of `Image::dockerfile_commands`: they apply to that layer only.
struct ImageDockerfileCommandsParams {
  /// Environment variables of the layer's build steps (sent as an ephemeral Secret; not
  /// part of the image: use `ENV` for that).
  std::map<std::string, std::string> env{};
  /// Secrets whose variables the layer's build steps see.
  std::vector<Secret> secrets{};
  /// GPU for the layer's build, "TYPE" or "TYPE:COUNT" (e.g. "A100:2"); "" = none.
  std::string gpu{};
  /// Rebuild the layer even if an identical one was built before.
  bool force_build = false;
};

/// Options of `Image::publish`.
struct ImagePublishParams {
  /// Environment to publish in; "" = the Client's. Must be empty when the name has a
  /// '/' prefix.
  std::string environment{};
};

/**
 * A container image: a registry image (`from_registry`, `from_aws_ecr`,
 * `from_gcp_artifact_registry`) and the layers added on top with
 * `dockerfile_commands`, or an image that already exists (`from_id`, `from_name`, a
 * Sandbox's file system snapshot). Definitions are built lazily: the first use (creating
 * a Sandbox, or `build()`) builds each layer once, streaming its build log; later uses
 * reuse the id.
 *
 * An Image is a value: `dockerfile_commands` returns a new Image and leaves this one as
 * it is.
 *
 * @par Thread Safety
 * Safe to use from any number of threads; copies share one state and concurrent first
 * uses build only once.
 */
class Image {
 public:
  /// The image id ("im-..."), or "" if not built yet.
  std::string image_id() const;
  /// The registry tag, e.g. "python:3.13-slim"; empty for images from an id or a name.
  std::string const& tag() const;

  /**
   * A new Image: this one with one more layer running `commands` (Dockerfile
   * instructions such as "RUN apt-get install -y curl" or "ENV KEY=value"). Empty
   * `commands` return this Image. Built on the next use; when this Image is built
   * already, the new layer's base is its id.
   *
   * Nothing is checked or sent here; `build()` rejects a `COPY` other than
   * `COPY --from=...` (there is no local build context) with `InvalidError` and an
   * invalid `gpu` with `InvalidError`, before sending anything.
   */
  Image dockerfile_commands(std::vector<std::string> commands,
                            ImageDockerfileCommandsParams params = {}) const;

  /**
   * Builds the image in `app` if it is not built yet (each layer with
   * ImageGetOrCreate, following its build log until it finishes); returns its id. The
   * builder version is the configured `image_builder_version` (MODAL_IMAGE_BUILDER_VERSION),
   * else the App's environment's.
   * @throws InvalidError for an unsupported `COPY` or a bad `gpu`, before anything is sent.
   * @throws RemoteError if a layer's build fails, with the server's explanation.
   */
  std::string build(App const& app) const;

  /**
   * Publishes this built Image as `name` ("[prefix/]name[:tag]", tag "latest" by default),
   * so that `ImageService::from_name` finds it.
   * @throws InvalidError if the Image is not built yet or the name is invalid.
   */
  void publish(std::string const& name, ImagePublishParams const& params = {}) const;

 private:
  friend class ImageService;
  friend class Sandbox;
  friend struct internal::ImageState;
  explicit Image(std::shared_ptr<internal::ImageState> state) : state_(std::move(state)) {}
  std::shared_ptr<internal::ImageState> state_;
};

/// Creates and looks up Images (`client.images()`). Thread-safe.
class ImageService {
 public:
  /// An Image of a public registry's `tag` (or a private one's, with `params.secret`).
  /// Lazy: nothing is sent until it is built.
  /// @throws InvalidError for an empty tag.
  Image from_registry(std::string tag, ImageFromRegistryParams params = {}) const;
  /// An Image of AWS Elastic Container Registry `tag`, pulled with the credentials in
  /// `secret` (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION). Lazy.
  /// @throws InvalidError for an empty tag.
  Image from_aws_ecr(std::string tag, Secret secret, ImageFromAwsEcrParams params = {}) const;
  /// An Image of Google Artifact Registry `tag`, pulled with the service account key in
  /// `secret` (SERVICE_ACCOUNT_JSON). Lazy.
  /// @throws InvalidError for an empty tag.
  Image from_gcp_artifact_registry(std::string tag, Secret secret,
                                   ImageFromGcpArtifactRegistryParams params = {}) const;
  /// The built Image `image_id` (ImageFromId).
  /// @throws NotFoundError if there is no such image.
  Image from_id(std::string const& image_id) const;
  /// The Image published as `name` ("[prefix/]name[:tag]", tag "latest" by default).
  /// @throws InvalidError for an invalid name, NotFoundError if none is published.
  Image from_name(std::string const& name, ImageFromNameParams const& params = {}) const;
  /// Deletes the Image `image_id` (ImageDelete). Images built on it keep working.
  /// @throws NotFoundError if there is no such image.
  void remove(std::string const& image_id, ImageDeleteParams const& params = {}) const;

 private:
  friend class Client;
  explicit ImageService(std::shared_ptr<internal::ClientState> state) : state_(std::move(state)) {}
  std::shared_ptr<internal::ClientState> state_;
};

}  // namespace modal

#endif  // MODAL_IMAGE_H
