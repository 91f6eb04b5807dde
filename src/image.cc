// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "modal/image.h"

#include <chrono>
#include <map>
#include <mutex>
#include <optional>

#include "internal/client_state.h"
#include "internal/image_state.h"
#include "internal/secret_state.h"
#include "modal/errors.h"

namespace modal {

namespace {

constexpr auto kEnvironmentLookupTimeout = std::chrono::seconds(30);

// The image builder version per environment: the configured one, else the environment's
// setting (EnvironmentGetOrCreate), looked up once per environment and cached for the
// Client's lifetime, as the Go SDK does. Shared by a Client's Images.
class BuilderVersions {
 public:
  std::string get(internal::ClientState& client, std::string const& environment) {
    auto const& configured = client.config().image_builder_version;
    if (!configured.empty()) return configured;
    std::lock_guard lock(mu_);  // one lookup at a time; held across the RPC
    if (auto it = versions_.find(environment); it != versions_.end()) return it->second;
    modal::client::EnvironmentGetOrCreateRequest req;
    req.set_deployment_name(environment);
    internal::CallOptions opts;
    opts.timeout = kEnvironmentLookupTimeout;
    auto resp = client.call(internal::rpc::EnvironmentGetOrCreate, req, opts);
    auto version = resp.metadata().settings().image_builder_version();
    versions_.emplace(environment, version);
    return version;
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::string> versions_;  // environment name → version
};

using modal::client::GenericResult;

constexpr float kJoinTimeoutSecs = 55;

// Splits streamed build output into lines and hands them to the log and the callback.
class BuildLog {
 public:
  BuildLog(internal::ClientState& client, BuildLogCallback const& callback, std::string image_id)
      : client_(client), callback_(callback), image_id_(std::move(image_id)) {}
  ~BuildLog() { flush(); }

  void add(std::string_view data) {
    partial_.append(data);
    std::size_t start = 0;
    for (auto nl = partial_.find('\n'); nl != std::string::npos; nl = partial_.find('\n', start)) {
      emit(std::string_view(partial_).substr(start, nl - start));
      start = nl + 1;
    }
    partial_.erase(0, start);
  }
  void flush() {
    if (!partial_.empty()) emit(partial_);
    partial_.clear();
  }

 private:
  void emit(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    client_.logger().info("image {}: {}", image_id_, line);
    if (!callback_) return;
    try {
      callback_(line);
    } catch (...) {
      client_.logger().warn("the image build log callback threw; ignored");
    }
  }

  internal::ClientState& client_;
  BuildLogCallback const& callback_;
  std::string image_id_;
  std::string partial_;
};

// Follows ImageJoinStreaming until a final result arrives, resuming from the last entry
// id after each long poll and after transient failures.
GenericResult join_build(internal::ClientState& client, std::string const& image_id,
                         BuildLog& log) {
  std::string last_entry_id;
  std::optional<GenericResult> result;
  client.pipeline().stream(
      internal::rpc::ImageJoinStreaming,
      [&] {
        modal::client::ImageJoinStreamingRequest req;
        req.set_image_id(image_id);
        req.set_timeout(kJoinTimeoutSecs);
        req.set_last_entry_id(last_entry_id);
        return req;
      },
      internal::CleanEnd::kReopen,
      [&](modal::client::ImageJoinStreamingResponse& msg) {
        if (!msg.entry_id().empty()) last_entry_id = msg.entry_id();
        for (auto const& item : msg.task_logs()) log.add(item.data());
        if (msg.has_result() &&
            msg.result().status() != GenericResult::GENERIC_STATUS_UNSPECIFIED) {
          result = msg.result();
          return false;
        }
        return true;
      });
  if (!result) {
    throw Error("ImageJoinStreaming ended without a result", StatusCode::kInternal,
                std::string(internal::rpc::ImageJoinStreaming.name));
  }
  return *result;
}

[[noreturn]] void throw_build_failure(std::string const& image_id, GenericResult const& result) {
  std::string message;
  switch (result.status()) {
    case GenericResult::GENERIC_STATUS_FAILURE:
    case GenericResult::GENERIC_STATUS_MEMORY_MANAGER_EVICTION:
      message = "Image build for " + image_id + " failed: " + result.exception();
      break;
    case GenericResult::GENERIC_STATUS_TERMINATED:
      message =
          "Image build for " + image_id + " was terminated by an external shut-down; try again";
      break;
    case GenericResult::GENERIC_STATUS_TIMEOUT:
      message = "Image build for " + image_id + " timed out; try again with a larger timeout";
      break;
    default:
      message = "Image build for " + image_id + " ended with unexpected status " +
                GenericResult::GenericStatus_Name(result.status());
      if (!result.exception().empty()) message += ": " + result.exception();
      break;
  }
  throw RemoteError(message, StatusCode::kUnknown, "ImageJoinStreaming", result.exception());
}

}  // namespace

std::string Image::image_id() const {
  std::lock_guard lock(state_->mu);
  return state_->image_id;
}

std::string const& Image::tag() const { return state_->tag; }

std::string Image::build(App const& app) const {
  return internal::ImageState::ensure_built(*this, app);
}

std::string internal::ImageState::ensure_built(Image const& image, App const& app) {
  auto& s = *image.state_;
  {
    std::lock_guard lock(s.mu);
    if (!s.image_id.empty()) return s.image_id;
  }
  std::lock_guard build_lock(s.build_mu);
  {
    std::lock_guard lock(s.mu);
    if (!s.image_id.empty()) return s.image_id;  // built by a concurrent first use
  }
  auto& client = *s.client;
  client.throw_if_closed();
  if (app.app_id.empty()) throw InvalidError("cannot build an Image in an App without an id");
  client.logger().debug("building image '{}' in app {}", s.tag, app.app_id);

  modal::client::ImageGetOrCreateRequest req;
  req.set_app_id(app.app_id);
  auto* def = req.mutable_image();
  def->add_dockerfile_commands("FROM " + s.tag);
  if (s.secret.has_value()) {
    auto* registry = def->mutable_image_registry_config();
    registry->set_registry_auth_type(modal::client::REGISTRY_AUTH_TYPE_STATIC_CREDS);
    registry->set_secret_id(SecretState::ensure_id(*s.secret));
  }
  req.set_builder_version(
      client.domain<BuilderVersions>().get(client, client.environment(app.environment)));
  req.set_force_build(false);
  auto resp = client.call(internal::rpc::ImageGetOrCreate, req);
  std::string const& id = resp.image_id();
  if (id.empty()) {
    throw Error("ImageGetOrCreate returned no image id", StatusCode::kInternal, "ImageGetOrCreate");
  }

  GenericResult result = resp.result();
  if (!resp.has_result() || result.status() == GenericResult::GENERIC_STATUS_UNSPECIFIED) {
    BuildLog log(client, s.build_log, id);
    result = join_build(client, id, log);
  }
  if (result.status() != GenericResult::GENERIC_STATUS_SUCCESS) throw_build_failure(id, result);
  client.logger().debug("image '{}' built: {}", s.tag, id);
  std::lock_guard lock(s.mu);
  s.image_id = id;
  return s.image_id;
}

Image ImageService::from_registry(std::string tag, ImageFromRegistryParams params) const {
  if (tag.empty()) throw InvalidError("Image tag must not be empty, e.g. \"alpine:3.21\"");
  auto state = std::make_shared<internal::ImageState>();
  state->client = state_;
  state->tag = std::move(tag);
  state->secret = std::move(params.secret);
  state->build_log = std::move(params.build_log);
  return Image(std::move(state));
}

}  // namespace modal
