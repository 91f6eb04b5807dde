// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// ImageGetOrCreate and ImageJoinStreaming.
//
// Builds are emulated: nothing is pulled and no command is run (sandboxes run on the host's
// own userland). A build succeeds at once with a few log lines, except that
//   - a registry tag containing "does-not-exist" fails, like a pull of a missing manifest;
//   - a registry secret (REGISTRY_AUTH_TYPE_STATIC_CREDS) without REGISTRY_USERNAME and
//     REGISTRY_PASSWORD fails.
// The first ImageGetOrCreate of a definition returns no result, so that the client follows
// the build with ImageJoinStreaming; identical definitions later get the cached image and
// its result directly (unless force_build). Failed builds are not cached.
#include "control/images.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "control/log_stream.h"
#include "server/call_scope.h"
#include "server/ids.h"
#include "server/status.h"

namespace modal::emulator {
namespace {

using modal::client::GenericResult;

constexpr char kFailingTagMarker[] = "does-not-exist";

std::string deterministic_bytes(google::protobuf::MessageLite const& msg) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream raw(&out);
    google::protobuf::io::CodedOutputStream coded(&raw);
    coded.SetSerializationDeterministic(true);
    msg.SerializeToCodedStream(&coded);
  }
  return out;
}

/// What an image definition refers to: the App, base images and Secrets must exist.
/// Returns the registry Secret, if the definition names one.
absl::StatusOr<std::optional<SecretRecord>> resolve_references(
    Core& core, modal::client::ImageGetOrCreateRequest const& req) {
  if (auto app = core.apps().get(req.app_id()); !app.ok()) return app.status();
  modal::client::Image const& image = req.image();
  for (auto const& base : image.base_images()) {
    if (auto found = core.images().get(base.image_id()); !found.ok()) return found.status();
  }
  for (auto const& secret_id : image.secret_ids()) {
    if (auto secret = core.secrets().get(secret_id); !secret.ok()) return secret.status();
  }
  if (!image.has_image_registry_config() || image.image_registry_config().secret_id().empty()) {
    return std::nullopt;
  }
  auto secret = core.secrets().get(image.image_registry_config().secret_id());
  if (!secret.ok()) return secret.status();
  return *std::move(secret);
}

/// Why an emulated pull fails, with its log lines; "" when it succeeds.
std::string pull_failure(ImageRecord const& rec, modal::client::Image const& image,
                         std::optional<SecretRecord> const& registry_secret,
                         std::vector<std::string>& log) {
  if (absl::StrContains(rec.tag, kFailingTagMarker)) {
    log.push_back(absl::StrCat("Pulling ", rec.tag, " ..."));
    log.push_back(absl::StrCat("Error: manifest for ", rec.tag, " not found: manifest unknown"));
    return absl::StrCat("Failed to pull image '", rec.tag,
                        "': manifest unknown (modal-emulator fails every registry tag containing '",
                        kFailingTagMarker, "')");
  }
  if (registry_secret.has_value() &&
      image.image_registry_config().registry_auth_type() ==
          modal::client::REGISTRY_AUTH_TYPE_STATIC_CREDS &&
      (registry_secret->env.count("REGISTRY_USERNAME") == 0 ||
       registry_secret->env.count("REGISTRY_PASSWORD") == 0)) {
    log.push_back(absl::StrCat("Pulling ", rec.tag, " with registry credentials ..."));
    return "Registry secret must contain the keys REGISTRY_USERNAME and REGISTRY_PASSWORD";
  }
  return {};
}

/// The emulated build of `req`'s image: its log, and success unless the pull fails.
ImageRecord emulate_build(std::string id, modal::client::ImageGetOrCreateRequest const& req,
                          std::optional<SecretRecord> const& registry_secret) {
  ImageRecord rec;
  rec.id = std::move(id);
  rec.builder_version = req.builder_version();
  rec.created_at = unix_now();
  rec.dockerfile_commands.assign(req.image().dockerfile_commands().begin(),
                                 req.image().dockerfile_commands().end());
  if (!rec.dockerfile_commands.empty()) {
    absl::string_view first = rec.dockerfile_commands.front();
    if (absl::ConsumePrefix(&first, "FROM ")) {
      rec.tag = std::string(absl::StripAsciiWhitespace(first));
    }
  }
  rec.build_log.push_back(absl::StrCat("Building image ", rec.id));
  for (std::size_t i = 0; i < rec.dockerfile_commands.size(); ++i) {
    rec.build_log.push_back(absl::StrCat("=> Step ", i, ": ", rec.dockerfile_commands[i]));
  }
  rec.exception = pull_failure(rec, req.image(), registry_secret, rec.build_log);
  if (!rec.exception.empty()) {
    rec.status = GenericResult::GENERIC_STATUS_FAILURE;
    return rec;
  }
  rec.status = GenericResult::GENERIC_STATUS_SUCCESS;
  if (!rec.tag.empty()) {
    rec.build_log.push_back(absl::StrCat(
        "Using ", rec.tag, " (modal-emulator: not pulled; sandboxes run on the host)"));
  }
  for (std::size_t i = 1; i < rec.dockerfile_commands.size(); ++i) {
    rec.build_log.push_back(
        absl::StrCat("Skipping step ", i, " (modal-emulator does not run build steps)"));
  }
  rec.build_log.push_back("Saving image...");
  rec.build_log.push_back("Image saved, took 0.00s");
  return rec;
}

void fill_result(ImageRecord const& rec, GenericResult* out) {
  out->set_status(static_cast<GenericResult::GenericStatus>(rec.status));
  out->set_exception(rec.exception);
}

}  // namespace

grpc::Status ImageHandlers::ImageGetOrCreate(grpc::ServerContext* ctx,
                                             modal::client::ImageGetOrCreateRequest const* req,
                                             modal::client::ImageGetOrCreateResponse* resp) {
  CallScope scope(core_, ctx, "ImageGetOrCreate", Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto registry_secret = resolve_references(core_, *req);
  if (!registry_secret.ok()) return to_grpc(registry_secret.status());

  std::string const key =
      absl::StrCat(req->builder_version(), "\n", deterministic_bytes(req->image()));
  auto const found = core_.images().get_or_build(key, req->force_build(), [&](std::string id) {
    return emulate_build(std::move(id), *req, *registry_secret);
  });
  ImageRecord const& rec = found.image;
  resp->set_image_id(rec.id);
  resp->mutable_metadata()->set_image_builder_version(rec.builder_version);
  if (found.cached) {
    fill_result(rec, resp->mutable_result());
  } else {
    // No result yet: the client follows the build with ImageJoinStreaming.
    core_.log(
        absl::StrCat("image ", rec.id, " '", rec.tag, "': ", rec.succeeded() ? "built" : "failed"));
  }
  return grpc::Status::OK;
}

grpc::Status ImageHandlers::ImageJoinStreaming(
    grpc::ServerContext* ctx, modal::client::ImageJoinStreamingRequest const* req,
    grpc::ServerWriter<modal::client::ImageJoinStreamingResponse>* writer) {
  CallScope scope(core_, ctx, "ImageJoinStreaming", Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto rec = core_.images().get(req->image_id());
  if (!rec.ok()) return to_grpc(rec.status());
  auto const last = parse_entry_id(req->last_entry_id());
  if (!last.has_value()) return malformed_entry_id(req->last_entry_id());

  StreamBreaker breaker(core_.options().stream_break_after);
  for (std::uint64_t i = *last; i < rec->build_log.size(); ++i) {
    if (ctx->IsCancelled() || core_.shutting_down()) {
      return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
    }
    if (auto st = breaker.next_message(); !st.ok()) return st;
    modal::client::ImageJoinStreamingResponse msg;
    auto* log = msg.add_task_logs();
    log->set_data(absl::StrCat(rec->build_log[i], "\n"));
    log->set_file_descriptor(modal::client::FILE_DESCRIPTOR_INFO);
    log->set_timestamp(rec->created_at);
    msg.set_entry_id(entry_id(i + 1));
    if (auto st = write_message(writer, msg); !st.ok()) return st;
  }
  if (auto st = breaker.next_message(); !st.ok()) return st;
  modal::client::ImageJoinStreamingResponse done;
  fill_result(*rec, done.mutable_result());
  done.set_entry_id(entry_id(rec->build_log.size() + 1));
  done.set_eof(true);
  done.mutable_metadata()->set_image_builder_version(rec->builder_version);
  writer->Write(done);
  return grpc::Status::OK;
}

}  // namespace modal::emulator
