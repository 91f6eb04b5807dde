// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Images: ImageGetOrCreate (builds), ImageJoinStreaming (their logs), ImageFromId,
// ImageDelete, ImagePublish and ImageGetByTag.
//
// A definition is "FROM <registry tag>" or "FROM base" (BaseImage docker_tag "base")
// followed by Dockerfile steps. Registry tags are not pulled: they stand for the host's
// userland (the bottom of every Sandbox's overlay root), except that
//   - a registry tag containing "does-not-exist" fails, like a pull of a missing manifest;
//   - a registry secret (REGISTRY_AUTH_TYPE_STATIC_CREDS) without REGISTRY_USERNAME and
//     REGISTRY_PASSWORD fails.
// Steps are really run (control/image_build.h): every RUN becomes a layer. The first
// ImageGetOrCreate of a definition returns no result, so that the client follows the
// build with ImageJoinStreaming; identical definitions later get the same image (a
// running build is joined) unless force_build. Failed builds are not reused.
#include "control/images.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "control/dockerfile.h"
#include "control/image_build.h"
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
std::string pull_failure(std::string const& tag, modal::client::Image const& image,
                         std::optional<SecretRecord> const& registry_secret,
                         std::vector<std::string>& log) {
  if (absl::StrContains(tag, kFailingTagMarker)) {
    log.push_back(absl::StrCat("Pulling ", tag, " ..."));
    log.push_back(absl::StrCat("Error: manifest for ", tag, " not found: manifest unknown"));
    return absl::StrCat("Failed to pull image '", tag,
                        "': manifest unknown (modal-emulator fails every registry tag containing '",
                        kFailingTagMarker, "')");
  }
  // The keys each kind of registry credentials needs (as Modal's builder reads them).
  auto const type = image.image_registry_config().registry_auth_type();
  std::vector<std::string> required;
  std::string kind;
  switch (type) {
    case modal::client::REGISTRY_AUTH_TYPE_STATIC_CREDS:
      required = {"REGISTRY_USERNAME", "REGISTRY_PASSWORD"};
      kind = "Registry";
      break;
    case modal::client::REGISTRY_AUTH_TYPE_AWS:
      required = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"};
      kind = "AWS ECR";
      break;
    case modal::client::REGISTRY_AUTH_TYPE_GCP:
      required = {"SERVICE_ACCOUNT_JSON"};
      kind = "GCP Artifact Registry";
      break;
    default:
      break;
  }
  if (required.empty()) return {};
  if (!registry_secret.has_value()) {
    log.push_back(absl::StrCat("Pulling ", tag, " ..."));
    return absl::StrCat(kind, " images need a registry secret");
  }
  bool const complete = std::all_of(required.begin(), required.end(), [&](std::string const& k) {
    return registry_secret->env.count(k) != 0;
  });
  log.push_back(absl::StrCat("Pulling ", tag, " with registry credentials ..."));
  if (!complete) {
    return absl::StrCat(kind, " secret must contain the keys ", absl::StrJoin(required, " and "));
  }
  return {};
}

/// The image a build starts from and what its definition asks for.
struct Definition {
  ImageRecord rec{};  // id, tag, commands, log so far; failed when decided at once
  BuildPlan plan{};
};

Definition failed(ImageRecord rec, std::string why) {
  rec.build_log.push_back(absl::StrCat("Error: ", why));
  rec.status = GenericResult::GENERIC_STATUS_FAILURE;
  rec.exception = std::move(why);
  return Definition{.rec = std::move(rec), .plan = {}};
}

/// Starts `req`'s image: what FROM refers to, the parsed steps, or a failure decided at
/// once (a missing manifest, bad credentials, a step that cannot be run).
/// What `req` refers to in other stores, looked up before the image store's lock is taken.
struct References {
  std::optional<SecretRecord> registry_secret{};
  /// The BaseImage that FROM names, if any (or why it cannot be used).
  std::optional<absl::StatusOr<ImageRecord>> base{};
  std::map<std::string, std::string> secret_env{};
  /// The local image that FROM's registry tag is mapped to (--image), if any.
  std::optional<MappedImage> mapped{};
};

References look_up(Core& core, modal::client::ImageGetOrCreateRequest const& req,
                   std::optional<SecretRecord> registry_secret) {
  References refs;
  refs.registry_secret = std::move(registry_secret);
  modal::client::Image const& image = req.image();
  if (!image.dockerfile_commands().empty()) {
    auto from = parse_dockerfile_instruction(image.dockerfile_commands(0));
    if (from.ok() && from->kind == DockerfileInstruction::Kind::kFrom) {
      for (auto const& b : image.base_images()) {
        if (b.docker_tag() == from->value) {
          refs.base = core.images().get(b.image_id());
          break;
        }
      }
      if (!refs.base) refs.mapped = core.images().mapped_registry_tag(from->value);
    }
  }
  for (auto const& secret_id : image.secret_ids()) {
    auto secret = core.secrets().get(secret_id);
    if (secret.ok()) {
      for (auto const& [k, v] : secret->env) refs.secret_env[k] = v;
    }
  }
  return refs;
}

Definition define(std::string id, modal::client::ImageGetOrCreateRequest const& req,
                  References const& refs) {
  auto const& registry_secret = refs.registry_secret;
  Definition d;
  ImageRecord& rec = d.rec;
  rec.id = std::move(id);
  rec.builder_version = req.builder_version();
  rec.created_at = unix_now();
  modal::client::Image const& image = req.image();
  rec.dockerfile_commands.assign(image.dockerfile_commands().begin(),
                                 image.dockerfile_commands().end());
  rec.build_log.push_back(absl::StrCat("Building image ", rec.id));
  if (rec.dockerfile_commands.empty()) return failed(std::move(rec), "no dockerfile commands");
  auto from = parse_dockerfile_instruction(rec.dockerfile_commands.front());
  if (!from.ok() || from->kind != DockerfileInstruction::Kind::kFrom) {
    return failed(std::move(rec), "the first dockerfile command must be FROM <image>");
  }
  rec.build_log.push_back(absl::StrCat("=> Step 0: ", rec.dockerfile_commands.front()));
  if (refs.base.has_value()) {
    auto const& base_rec = *refs.base;
    if (!base_rec.ok()) return failed(std::move(rec), std::string(base_rec.status().message()));
    if (!base_rec->succeeded()) {
      return failed(std::move(rec),
                    absl::StrCat("base image ", base_rec->id,
                                 base_rec->finished() ? " failed to build" : " is still building"));
    }
    rec.tag = base_rec->tag;
    d.plan.layers = base_rec->layers;
    d.plan.config = base_rec->config;
    rec.build_log.push_back(absl::StrCat("Using base image ", base_rec->id));
  } else {
    rec.tag = from->value;
    std::string const why = pull_failure(rec.tag, image, registry_secret, rec.build_log);
    if (!why.empty()) return failed(std::move(rec), why);
    if (refs.mapped) {
      d.plan.config = refs.mapped->config;
      rec.build_log.push_back(absl::StrCat("Using ", rec.tag, " (modal-emulator: the local image ",
                                           refs.mapped->source, ", mapped with --image)"));
    } else {
      rec.build_log.push_back(absl::StrCat(
          "Using ", rec.tag, " (modal-emulator: not pulled; its userland is the host's)"));
    }
  }
  for (size_t i = 1; i < rec.dockerfile_commands.size(); ++i) {
    auto step = parse_dockerfile_instruction(rec.dockerfile_commands[i]);
    if (!step.ok()) return failed(std::move(rec), std::string(step.status().message()));
    d.plan.steps.push_back(*std::move(step));
    d.plan.commands.push_back(rec.dockerfile_commands[i]);
  }
  d.plan.secret_env = refs.secret_env;
  if (d.plan.steps.empty()) {
    rec.layers = d.plan.layers;
    rec.config = d.plan.config;
    rec.build_log.emplace_back("Saving image...");
    rec.build_log.emplace_back("Image saved, took 0.00s");
    rec.status = GenericResult::GENERIC_STATUS_SUCCESS;
  }
  return d;
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
  References const refs = look_up(core_, *req, *std::move(registry_secret));
  std::optional<BuildPlan> plan;
  // Under the image store's lock: define() must not call into any store.
  auto const found = core_.images().get_or_start(key, req->force_build(), [&](std::string id) {
    Definition d = define(std::move(id), *req, refs);
    if (!d.rec.finished()) plan = std::move(d.plan);
    return std::move(d.rec);
  });
  ImageRecord const& rec = found.image;
  resp->set_image_id(rec.id);
  resp->mutable_metadata()->set_image_builder_version(rec.builder_version);
  if (found.cached && rec.finished()) {
    fill_result(rec, resp->mutable_result());
  } else if (plan) {
    // No result yet: the client follows the build with ImageJoinStreaming.
    core_.log(absl::StrCat("image ", rec.id, " '", rec.tag, "': building ", plan->steps.size(),
                           " steps"));
    core_.image_builder().start(rec.id, *std::move(plan));
  } else if (!found.cached) {
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
  if (!core_.images().contains(req->image_id())) {
    return to_grpc(core_.images().get(req->image_id()).status());
  }
  auto const last = parse_entry_id(req->last_entry_id());
  if (!last.has_value()) return malformed_entry_id(req->last_entry_id());

  StreamBreaker breaker(core_.options().stream_break_after);
  // The request's timeout (55 s from the official clients) bounds one call; the client
  // then reconnects from its last entry id.
  float const timeout = req->timeout() > 0 ? std::min(req->timeout(), 300.0F) : 55.0F;
  auto const deadline =
      std::chrono::steady_clock::now() +
      std::chrono::milliseconds(static_cast<int64_t>(static_cast<double>(timeout) * 1000));
  std::uint64_t next = *last;
  std::optional<ImageRecord> finished;
  while (!finished) {
    auto progress = core_.images().wait_progress(req->image_id(), next, deadline, [&] {
      return ctx->IsCancelled() || core_.shutting_down();
    });
    if (!progress.ok()) return to_grpc(progress.status());
    if (ctx->IsCancelled() || core_.shutting_down()) {
      return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
    }
    for (auto& line : progress->lines) {
      if (auto st = breaker.next_message(); !st.ok()) return st;
      modal::client::ImageJoinStreamingResponse msg;
      auto* log = msg.add_task_logs();
      log->set_data(absl::StrCat(line, "\n"));
      log->set_file_descriptor(modal::client::FILE_DESCRIPTOR_INFO);
      log->set_timestamp(unix_now());
      msg.set_entry_id(entry_id(++next));
      if (auto st = write_message(writer, msg); !st.ok()) return st;
    }
    if (progress->done) {
      finished = std::move(progress->done);
    } else if (progress->lines.empty() && std::chrono::steady_clock::now() >= deadline) {
      return grpc::Status::OK;  // no result yet: the client reconnects
    }
  }
  if (auto st = breaker.next_message(); !st.ok()) return st;
  ImageRecord const& rec = *finished;
  modal::client::ImageJoinStreamingResponse done;
  fill_result(rec, done.mutable_result());
  done.set_entry_id(entry_id(rec.build_log.size() + 1));
  done.set_eof(true);
  done.mutable_metadata()->set_image_builder_version(rec.builder_version);
  writer->Write(done);
  return grpc::Status::OK;
}

namespace {

/// A named image reference as ImagePublish and ImageGetByTag take it: "[prefix/]name:tag".
/// With a '/' prefix the environment is the prefix's (environment_name must be empty).
struct NamedRef {
  std::string environment;
  std::string tag;
};

absl::StatusOr<NamedRef> named_ref(Core& core, std::string const& tag,
                                   std::string const& environment_name) {
  if (tag.empty()) return absl::InvalidArgumentError("an image name is required");
  NamedRef out{.environment = "", .tag = tag};
  std::string requested = environment_name;
  if (auto slash = tag.rfind('/'); slash != std::string::npos) {
    if (!environment_name.empty()) {
      return absl::InvalidArgumentError(
          "environment_name must be empty when the image name has a '/' prefix");
    }
    requested = tag.substr(0, slash);
    out.tag = tag.substr(slash + 1);
  }
  if (out.tag.find(':') == std::string::npos) out.tag += ":latest";
  auto env = core.environments().resolve(requested);
  if (!env.ok()) return env.status();
  out.environment = env->name;
  return out;
}

}  // namespace

grpc::Status ImageHandlers::ImageFromId(grpc::ServerContext* ctx,
                                        modal::client::ImageFromIdRequest const* req,
                                        modal::client::ImageFromIdResponse* resp) {
  CallScope scope(core_, ctx, "ImageFromId", Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto rec = core_.images().get(req->image_id());
  if (!rec.ok()) return to_grpc(rec.status());
  if (!rec->succeeded()) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("Image '", req->image_id(), "' has not been built"));
  }
  resp->set_image_id(rec->id);
  resp->mutable_metadata()->set_image_builder_version(rec->builder_version);
  return grpc::Status::OK;
}

grpc::Status ImageHandlers::ImageDelete(grpc::ServerContext* ctx,
                                        modal::client::ImageDeleteRequest const* req,
                                        google::protobuf::Empty* /*resp*/) {
  CallScope scope(core_, ctx, "ImageDelete", Plane::kControl);
  if (!scope.ok()) return scope.status();
  if (auto st = core_.images().remove(req->image_id()); !st.ok()) return to_grpc(st);
  core_.log(absl::StrCat("image ", req->image_id(), ": deleted"));
  return grpc::Status::OK;
}

grpc::Status ImageHandlers::ImagePublish(grpc::ServerContext* ctx,
                                         modal::client::ImagePublishRequest const* req,
                                         modal::client::ImagePublishResponse* resp) {
  CallScope scope(core_, ctx, "ImagePublish", Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto rec = core_.images().get(req->image_id());
  if (!rec.ok()) return to_grpc(rec.status());
  if (!rec->succeeded()) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        absl::StrCat("Image '", req->image_id(), "' has not been built"));
  }
  auto ref = named_ref(core_, req->tag(), req->environment_name());
  if (!ref.ok()) return to_grpc(ref.status());
  core_.images().publish(ref->environment, ref->tag, rec->id);
  resp->set_image_id(rec->id);
  resp->set_revision_id(new_id("imr"));
  return grpc::Status::OK;
}

grpc::Status ImageHandlers::ImageGetByTag(grpc::ServerContext* ctx,
                                          modal::client::ImageGetByTagRequest const* req,
                                          modal::client::ImageGetByTagResponse* resp) {
  CallScope scope(core_, ctx, "ImageGetByTag", Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto ref = named_ref(core_, req->tag(), req->environment_name());
  if (!ref.ok()) return to_grpc(ref.status());
  auto id = core_.images().find_published(ref->environment, ref->tag);
  if (!id.ok()) return to_grpc(id.status());
  resp->set_image_id(*id);
  return grpc::Status::OK;
}

}  // namespace modal::emulator
