// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_CONTROL_IMAGE_BUILD_H
#define MODAL_EMULATOR_SRC_CONTROL_IMAGE_BUILD_H

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "control/dockerfile.h"
#include "store/images.h"

namespace modal::emulator {

class Core;

/// What a build does (ImageGetOrCreate of a definition with steps).
struct BuildPlan {
  /// The image it starts from: the base image's layers and config (FROM base), or none
  /// (a registry tag: the host's userland).
  std::vector<std::string> layers{};
  ImageConfig config{};
  /// The steps after FROM, with the command texts for the log.
  std::vector<DockerfileInstruction> steps{};
  std::vector<std::string> commands{};
  /// Variables of the definition's Secrets: in RUN steps' environment, not in the image.
  std::map<std::string, std::string> secret_env{};
};

/**
 * Runs image builds, one thread each. A RUN step runs in a build sandbox on the layers
 * so far (sandbox runtime, isolated: the step's writes land in its upper directory);
 * when it succeeds, that upper directory becomes the image's next layer
 * (runtime::Sandbox::snapshot_to_layer). Output of every step is appended to the build
 * log as it arrives (ImageJoinStreaming streams it); a step that fails fails the build
 * with its last lines of output. ENV, ARG, WORKDIR (created as a layer), USER, SHELL,
 * ENTRYPOINT and CMD update the image's config.
 *
 * Thread-safe. stop() (a Core shutdown hook) fails running builds and joins them.
 */
class ImageBuilder {
 public:
  explicit ImageBuilder(Core& core) : core_(core) {}
  ~ImageBuilder() { stop(); }
  ImageBuilder(ImageBuilder const&) = delete;
  ImageBuilder& operator=(ImageBuilder const&) = delete;

  /// Builds image `id` (in the store, status 0) by `plan`, on a thread of its own; the
  /// result goes to ImageStore::finish().
  void start(std::string id, BuildPlan plan);
  void stop();

 private:
  void run(std::string const& id, BuildPlan plan);

  Core& core_;
  std::atomic<bool> stopping_{false};
  struct Build {
    std::jthread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::mutex mu_;
  std::vector<Build> builds_;  // guarded by mu_; finished ones joined at the next start()
};

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_CONTROL_IMAGE_BUILD_H
