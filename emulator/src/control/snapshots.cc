// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "control/snapshots.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runtime/runtime.h"
#include "server/call_scope.h"
#include "server/ids.h"
#include "server/status.h"
#include "store/sandbox_registry.h"

namespace modal::emulator {

namespace {

/// A new layer of the runtime's layer store, filled by `fill(dest)`, as the image `id`.
absl::StatusOr<std::string> fill_layer(
    Core& core, std::string const& id,
    std::function<absl::Status(std::string const&)> const& fill) {
  runtime::Runtime* rt = core.sandboxes().runtime();
  if (rt == nullptr) return absl::UnavailableError("the emulator is shutting down");
  auto const dir = rt->layer_store();
  if (!dir.ok()) return dir.status();
  std::string layer = absl::StrCat(*dir, "/", id);
  if (auto st = fill(layer); !st.ok()) return st;
  if (auto st = core.persist_layer(layer); !st.ok()) return st;
  return layer;
}

absl::Status check_running(SandboxRecord const& rec) {
  if (rec.runtime() == nullptr || rec.finished()) {
    return absl::FailedPreconditionError(
        absl::StrCat("Sandbox ", rec.id, " has already terminated"));
  }
  return absl::OkStatus();
}

/// A built image of a snapshot: `layers` (topmost first) and `config`; its log is one
/// line saying what was copied.
ImageRecord snapshot_image(Core& core, std::string id, std::vector<std::string> layers,
                           ImageConfig config, std::string const& what,
                           runtime::TreeCopyStats const& stats) {
  ImageRecord image;
  image.id = std::move(id);
  image.created_at = unix_now();
  image.status = modal::client::GenericResult::GENERIC_STATUS_SUCCESS;
  image.layers = std::move(layers);
  image.config = std::move(config);
  image.build_log.push_back(absl::StrCat(what, ": ", stats.files, " files, ", stats.directories,
                                         " directories, ", stats.bytes, " bytes"));
  core.log(absl::StrCat("image ", image.id, ": ", image.build_log.back()));
  return image;
}

}  // namespace

absl::StatusOr<std::string> snapshot_filesystem(Core& core, SandboxRecord const& rec,
                                                std::string const& snapshot_id) {
  return core.images().get_or_snapshot(
      snapshot_id, [&](std::string id) -> absl::StatusOr<ImageRecord> {
        if (auto st = check_running(rec); !st.ok()) return st;
        auto sandbox = rec.runtime();
        runtime::TreeCopyStats stats;
        auto layer = fill_layer(core, id, [&](std::string const& dest) {
          return sandbox->snapshot_to_layer(dest, &stats);
        });
        if (!layer.ok()) return layer.status();
        std::vector<std::string> layers = rec.image_layers();
        layers.insert(layers.begin(), *layer);
        return snapshot_image(core, std::move(id), std::move(layers), rec.image_config(),
                              absl::StrCat("Snapshot of the file system of Sandbox ", rec.id),
                              stats);
      });
}

absl::StatusOr<std::string> snapshot_directory(Core& core, SandboxRecord const& rec,
                                               std::string const& path,
                                               std::string const& snapshot_id) {
  return core.images().get_or_snapshot(
      snapshot_id, [&](std::string id) -> absl::StatusOr<ImageRecord> {
        if (auto st = check_running(rec); !st.ok()) return st;
        auto sandbox = rec.runtime();
        runtime::TreeCopyStats stats;
        auto layer = fill_layer(core, id, [&](std::string const& dest) {
          return sandbox->snapshot_directory_to_layer(path, dest, &stats);
        });
        if (!layer.ok()) return layer.status();
        return snapshot_image(core, std::move(id), {*layer}, ImageConfig{},
                              absl::StrCat("Snapshot of directory ", path, " of Sandbox ", rec.id),
                              stats);
      });
}

absl::StatusOr<std::vector<std::string>> layers_to_mount(Core& core, std::string const& image_id) {
  if (image_id.empty()) return std::vector<std::string>{};
  auto image = core.images().get(image_id);
  if (!image.ok()) return image.status();
  if (!image->succeeded()) {
    return absl::FailedPreconditionError(absl::StrCat("Image '", image_id, "' has not been built"));
  }
  std::vector<std::string> layers = image->layers;
  if (!image->config.rootfs.empty()) layers.push_back(image->config.rootfs);
  if (layers.empty()) {
    // An image of the host's own file system (a plain registry tag): nothing to mount
    // that the Sandbox does not already see at /.
    return absl::FailedPreconditionError(absl::StrCat(
        "Image '", image_id,
        "' has no layers of its own in the emulator (it is the host's file system); mount an "
        "image built with dockerfile_commands, a snapshot, or a mapped registry image"));
  }
  return layers;
}

grpc::Status SnapshotHandlers::SandboxSnapshotFs(grpc::ServerContext* ctx,
                                                 modal::client::SandboxSnapshotFsRequest const* req,
                                                 modal::client::SandboxSnapshotFsResponse* resp) {
  CallScope scope(core_, ctx, "SandboxSnapshotFs", Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto rec = core_.sandboxes().get(req->sandbox_id());
  if (!rec.ok()) return to_grpc(rec.status());
  auto image = snapshot_filesystem(core_, **rec, "");
  if (!image.ok()) return to_grpc(image.status());
  resp->set_image_id(*image);
  resp->mutable_result()->set_status(modal::client::GenericResult::GENERIC_STATUS_SUCCESS);
  return grpc::Status::OK;
}

std::string criu_status(Core& core) {
  static std::once_flag once;
  static std::string status;
  std::call_once(once, [&] {
    runtime::Runtime* rt = core.sandboxes().runtime();
    if (rt == nullptr) {
      status = "the emulator is shutting down";
      return;
    }
    runtime::ProcessSpec spec;
    spec.argv = {"criu", "check"};
    spec.stdin_enabled = false;
    spec.timeout = std::chrono::seconds(20);
    auto process = rt->start_process(spec);
    if (!process.ok()) {
      status = "CRIU (Debian's criu), which it would need, is not installed";
      return;
    }
    auto const exit = (*process)->wait();
    std::string out;
    for (auto* buffer : {&(*process)->stderr_buffer(), &(*process)->stdout_buffer()}) {
      auto chunk = buffer->read(0, 64 << 10, runtime::Clock::now() + std::chrono::seconds(1));
      if (chunk.ok()) out += chunk->data;
    }
    std::string last;
    for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipWhitespace())) {
      last = std::string(line);
    }
    if (exit && exit->exit_code() == 0) {
      status =
          "`criu check` passes here, but the emulator does not checkpoint Sandboxes (their "
          "pipes to the emulator, namespaces and overlay roots are not restored)";
    } else {
      status = absl::StrCat("`criu check` fails on this machine (",
                            last.empty() ? "no output" : last, "), and CRIU is what it would need");
    }
  });
  return status;
}

grpc::Status SnapshotHandlers::SandboxSnapshot(grpc::ServerContext* ctx,
                                               modal::client::SandboxSnapshotRequest const* req,
                                               modal::client::SandboxSnapshotResponse* /*resp*/) {
  CallScope scope(core_, ctx, "SandboxSnapshot", Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto rec = core_.sandboxes().get(req->sandbox_id());
  if (!rec.ok()) return to_grpc(rec.status());
  return refuse_memory_snapshot(core_, **rec);
}

grpc::Status refuse_memory_snapshot(Core& core, SandboxRecord const& rec) {
  if (!rec.definition.enable_snapshot()) {
    return grpc::Status(
        grpc::StatusCode::FAILED_PRECONDITION,
        absl::StrCat("Sandbox ", rec.id, " was not created with memory snapshots enabled"));
  }
  if (rec.finished()) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        absl::StrCat("Sandbox ", rec.id, " has already terminated"));
  }
  return grpc::Status(
      grpc::StatusCode::FAILED_PRECONDITION,
      absl::StrCat("modal-emulator: memory snapshots are not supported: ", criu_status(core),
                   ". File system snapshots (snapshot_filesystem) work."));
}

namespace {

grpc::Status no_snapshot(std::string const& id) {
  return grpc::Status(grpc::StatusCode::NOT_FOUND,
                      absl::StrCat("Sandbox snapshot '", id, "' not found"));
}

}  // namespace

grpc::Status SnapshotHandlers::SandboxSnapshotWait(
    grpc::ServerContext* ctx, modal::client::SandboxSnapshotWaitRequest const* req,
    modal::client::SandboxSnapshotWaitResponse* /*resp*/) {
  CallScope scope(core_, ctx, "SandboxSnapshotWait", Plane::kControl);
  if (!scope.ok()) return scope.status();
  return no_snapshot(req->snapshot_id());
}

grpc::Status SnapshotHandlers::SandboxSnapshotGet(
    grpc::ServerContext* ctx, modal::client::SandboxSnapshotGetRequest const* req,
    modal::client::SandboxSnapshotGetResponse* /*resp*/) {
  CallScope scope(core_, ctx, "SandboxSnapshotGet", Plane::kControl);
  if (!scope.ok()) return scope.status();
  return no_snapshot(req->snapshot_id());
}

grpc::Status SnapshotHandlers::SandboxRestore(grpc::ServerContext* ctx,
                                              modal::client::SandboxRestoreRequest const* req,
                                              modal::client::SandboxRestoreResponse* /*resp*/) {
  CallScope scope(core_, ctx, "SandboxRestore", Plane::kControl);
  if (!scope.ok()) return scope.status();
  return no_snapshot(req->snapshot_id());
}

grpc::Status SnapshotHandlers::SandboxRestoreV2(grpc::ServerContext* ctx,
                                                modal::client::SandboxRestoreV2Request const* req,
                                                modal::client::SandboxRestoreV2Response* /*resp*/) {
  CallScope scope(core_, ctx, "SandboxRestoreV2", Plane::kControl);
  if (!scope.ok()) return scope.status();
  return no_snapshot(req->snapshot_id());
}

}  // namespace modal::emulator
