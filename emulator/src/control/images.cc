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
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "control/control_plane.h"
#include "server/call_scope.h"
#include "server/ids.h"
#include "server/jwt.h"

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

/// "N-0" (or "" / "0-0") -> N; nullopt when malformed.
std::optional<std::uint64_t> parse_entry_id(std::string_view id) {
  if (id.empty()) return 0;
  auto const dash = id.find('-');
  std::uint64_t n = 0;
  if (!absl::SimpleAtoi(std::string(id.substr(0, dash)), &n)) return std::nullopt;
  return n;
}

void fill_result(ImageRecord const& rec, GenericResult* out) {
  out->set_status(static_cast<GenericResult::GenericStatus>(rec.status));
  out->set_exception(rec.exception);
}

}  // namespace

grpc::Status ControlPlane::ImageGetOrCreate(grpc::ServerContext* ctx,
                                            modal::client::ImageGetOrCreateRequest const* req,
                                            modal::client::ImageGetOrCreateResponse* resp) {
  CallScope scope(core_, ctx, "ImageGetOrCreate", Plane::kControl);
  if (!scope.ok()) return scope.status();

  State& state = scope.state();
  std::lock_guard<std::mutex> lock(state.mu);
  if (state.find_app(req->app_id()) == nullptr) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("App '", req->app_id(), "' not found"));
  }
  modal::client::Image const& image = req->image();
  for (auto const& base : image.base_images()) {
    if (state.images.count(base.image_id()) == 0) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          absl::StrCat("Image '", base.image_id(), "' not found"));
    }
  }
  for (auto const& secret_id : image.secret_ids()) {
    if (state.find_secret(secret_id) == nullptr) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          absl::StrCat("Secret '", secret_id, "' not found"));
    }
  }
  SecretRecord const* registry_secret = nullptr;
  if (image.has_image_registry_config() && !image.image_registry_config().secret_id().empty()) {
    registry_secret = state.find_secret(image.image_registry_config().secret_id());
    if (registry_secret == nullptr) {
      return grpc::Status(
          grpc::StatusCode::NOT_FOUND,
          absl::StrCat("Secret '", image.image_registry_config().secret_id(), "' not found"));
    }
  }

  std::string const key = absl::StrCat(req->builder_version(), "\n", deterministic_bytes(image));
  if (!req->force_build()) {
    auto cached = state.images_by_key.find(key);
    if (cached != state.images_by_key.end()) {
      ImageRecord const& rec = state.images.at(cached->second);
      resp->set_image_id(rec.id);
      fill_result(rec, resp->mutable_result());
      resp->mutable_metadata()->set_image_builder_version(rec.builder_version);
      return grpc::Status::OK;
    }
  }

  ImageRecord rec;
  rec.id = new_id("im");
  rec.builder_version = req->builder_version();
  rec.created_at = unix_now();
  rec.dockerfile_commands.assign(image.dockerfile_commands().begin(),
                                 image.dockerfile_commands().end());
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
  rec.status = GenericResult::GENERIC_STATUS_SUCCESS;
  if (absl::StrContains(rec.tag, kFailingTagMarker)) {
    rec.build_log.push_back(absl::StrCat("Pulling ", rec.tag, " ..."));
    rec.build_log.push_back(
        absl::StrCat("Error: manifest for ", rec.tag, " not found: manifest unknown"));
    rec.status = GenericResult::GENERIC_STATUS_FAILURE;
    rec.exception = absl::StrCat("Failed to pull image '", rec.tag,
                                 "': manifest unknown (modal-emulator fails every registry tag "
                                 "containing '",
                                 kFailingTagMarker, "')");
  } else if (registry_secret != nullptr &&
             image.image_registry_config().registry_auth_type() ==
                 modal::client::REGISTRY_AUTH_TYPE_STATIC_CREDS &&
             (registry_secret->env.count("REGISTRY_USERNAME") == 0 ||
              registry_secret->env.count("REGISTRY_PASSWORD") == 0)) {
    rec.build_log.push_back(absl::StrCat("Pulling ", rec.tag, " with registry credentials ..."));
    rec.status = GenericResult::GENERIC_STATUS_FAILURE;
    rec.exception = "Registry secret must contain the keys REGISTRY_USERNAME and REGISTRY_PASSWORD";
  } else {
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
  }
  core_.log(absl::StrCat("image ", rec.id, " '", rec.tag, "': ",
                         rec.status == GenericResult::GENERIC_STATUS_SUCCESS ? "built" : "failed"));
  resp->set_image_id(rec.id);
  resp->mutable_metadata()->set_image_builder_version(rec.builder_version);
  if (rec.status == GenericResult::GENERIC_STATUS_SUCCESS) state.images_by_key[key] = rec.id;
  std::string const id = rec.id;
  state.images[id] = std::move(rec);
  return grpc::Status::OK;
}

grpc::Status ControlPlane::ImageJoinStreaming(
    grpc::ServerContext* ctx, modal::client::ImageJoinStreamingRequest const* req,
    grpc::ServerWriter<modal::client::ImageJoinStreamingResponse>* writer) {
  CallScope scope(core_, ctx, "ImageJoinStreaming", Plane::kControl);
  if (!scope.ok()) return scope.status();

  ImageRecord rec;
  {
    State& state = scope.state();
    std::lock_guard<std::mutex> lock(state.mu);
    auto it = state.images.find(req->image_id());
    if (it == state.images.end()) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          absl::StrCat("Image '", req->image_id(), "' not found"));
    }
    rec = it->second;
  }
  auto const last = parse_entry_id(req->last_entry_id());
  if (!last.has_value()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("malformed last_entry_id '", req->last_entry_id(), "'"));
  }
  int const break_after = core_.options().stream_break_after;
  int sent = 0;
  auto const interrupted = [&]() {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        "stream interrupted by modal-emulator (stream_break_after)");
  };
  for (std::uint64_t i = *last; i < rec.build_log.size(); ++i) {
    if (ctx->IsCancelled() || core_.shutting_down()) {
      return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
    }
    if (break_after > 0 && sent >= break_after) return interrupted();
    modal::client::ImageJoinStreamingResponse msg;
    auto* log = msg.add_task_logs();
    log->set_data(absl::StrCat(rec.build_log[i], "\n"));
    log->set_file_descriptor(modal::client::FILE_DESCRIPTOR_INFO);
    log->set_timestamp(rec.created_at);
    msg.set_entry_id(absl::StrCat(i + 1, "-0"));
    if (!writer->Write(msg)) return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
    ++sent;
  }
  if (break_after > 0 && sent >= break_after) return interrupted();
  modal::client::ImageJoinStreamingResponse done;
  fill_result(rec, done.mutable_result());
  done.set_entry_id(absl::StrCat(rec.build_log.size() + 1, "-0"));
  done.set_eof(true);
  done.mutable_metadata()->set_image_builder_version(rec.builder_version);
  writer->Write(done);
  return grpc::Status::OK;
}

}  // namespace modal::emulator
