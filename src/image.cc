// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "modal/image.h"

#include <cctype>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "internal/client_state.h"
#include "internal/image_state.h"
#include "internal/sandbox_params.h"
#include "internal/secret_state.h"
#include "internal/validation.h"
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
      message =
          "Image build for " + image_id + " failed with the exception:\n" + result.exception();
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

/// Go's validateDockerfileCommands: no local build context.
void validate_commands(std::vector<std::string> const& commands) {
  for (auto const& command : commands) {
    std::string upper;
    for (char c : command) {
      upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    }
    auto const first = upper.find_first_not_of(" \t\r\n");
    std::string_view const trimmed =
        first == std::string::npos ? std::string_view() : std::string_view(upper).substr(first);
    if (trimmed.starts_with("COPY ") && !trimmed.starts_with("COPY --FROM=")) {
      throw InvalidError("COPY commands that copy from local context are not yet supported: \"" +
                         command + "\"");
    }
  }
}

/// "[prefix/]name[:tag]" -> (prefix, "[prefix/]name:tag"), validated as upstream does.
std::pair<std::string, std::string> parse_named_ref(std::string const& value) {
  std::string name = value;
  std::string tag = "latest";
  if (auto const colon = value.find(':'); colon != std::string::npos) {
    name = value.substr(0, colon);
    tag = value.substr(colon + 1);
  }
  std::string prefix;
  if (auto const slash = name.rfind('/'); slash != std::string::npos) {
    prefix = name.substr(0, slash);
    std::string after = name.substr(slash + 1);
    if (prefix.empty()) throw InvalidError("Invalid Image name: '/' prefix must be non-empty.");
    if (after.empty()) {
      throw InvalidError("Invalid Image name: name after '/' must be non-empty.");
    }
    name = std::move(after);
  }
  internal::check_object_name(name, "Image");
  if (name.starts_with("im-")) {
    throw InvalidError("Image name cannot start with 'im-' (reserved for image IDs).");
  }
  internal::check_object_name(tag, "Image tag");
  return {prefix, (prefix.empty() ? name : prefix + "/" + name) + ":" + tag};
}

/// The environment a named-image call sends: "" with a prefix (which names it).
std::string named_ref_environment(internal::ClientState& client, std::string const& prefix,
                                  std::string const& requested) {
  if (prefix.empty()) return client.environment(requested);
  if (!requested.empty()) {
    throw InvalidError("Cannot specify 'environment' when the image name contains a '/'.");
  }
  return "";
}

std::shared_ptr<internal::ImageState> registry_image(std::shared_ptr<internal::ClientState> client,
                                                     std::string tag, int auth_type,
                                                     std::optional<Secret> secret,
                                                     BuildLogCallback build_log) {
  if (tag.empty()) throw InvalidError("Image tag must not be empty, e.g. \"alpine:3.21\"");
  auto state = std::make_shared<internal::ImageState>();
  state->client = std::move(client);
  state->tag = std::move(tag);
  state->registry_auth_type = auth_type;
  state->registry_secret = std::move(secret);
  state->layers.emplace_back();  // the pull
  state->build_log = std::move(build_log);
  return state;
}

/// Builds one layer: ImageGetOrCreate, then its log until it finishes. Returns its id.
std::string build_layer(internal::ClientState& client, internal::ImageState const& s,
                        modal::client::ImageGetOrCreateRequest const& req) {
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
  return id;
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
  // Everything local first: nothing is sent for a definition that cannot be built.
  std::vector<modal::client::GPUConfig> gpus;
  for (auto const& layer : s.layers) {
    validate_commands(layer.commands);
    gpus.push_back(parse_gpu_config(layer.gpu));
  }
  std::string const& environment = client.environment(app.environment);
  std::string const version = client.domain<BuilderVersions>().get(client, environment);
  client.logger().debug("building image '{}' in app {} (builder version {})", s.tag, app.app_id,
                        version);

  std::string current = s.base_image_id;
  for (std::size_t i = 0; i < s.layers.size(); ++i) {
    ImageLayer const& layer = s.layers[i];
    modal::client::ImageGetOrCreateRequest req;
    req.set_app_id(app.app_id);
    req.set_builder_version(version);
    req.set_force_build(layer.force_build);
    auto* def = req.mutable_image();
    if (current.empty()) {
      def->add_dockerfile_commands("FROM " + s.tag);
      if (s.registry_auth_type != 0) {
        auto* registry = def->mutable_image_registry_config();
        registry->set_registry_auth_type(
            static_cast<modal::client::RegistryAuthType>(s.registry_auth_type));
        if (s.registry_secret) registry->set_secret_id(SecretState::ensure_id(*s.registry_secret));
      }
    } else {
      def->add_dockerfile_commands("FROM base");
      auto* base = def->add_base_images();
      base->set_docker_tag("base");
      base->set_image_id(current);
    }
    for (auto const& command : layer.commands) def->add_dockerfile_commands(command);
    for (auto const& secret : layer.secrets) def->add_secret_ids(SecretState::ensure_id(secret));
    if (!layer.env.empty()) {
      def->add_secret_ids(SecretState::create_ephemeral(client, environment, layer.env));
    }
    if (!layer.gpu.empty()) *def->mutable_gpu_config() = gpus[i];
    current = build_layer(client, s, req);
  }
  client.logger().debug("image '{}' built: {}", s.tag, current);
  std::lock_guard lock(s.mu);
  s.image_id = current;
  return s.image_id;
}

Image internal::ImageState::built(std::shared_ptr<ClientState> client, std::string image_id) {
  auto state = std::make_shared<ImageState>();
  state->client = std::move(client);
  state->image_id = std::move(image_id);
  return Image(std::move(state));
}

Image Image::dockerfile_commands(std::vector<std::string> commands,
                                 ImageDockerfileCommandsParams params) const {
  if (commands.empty()) return *this;
  auto const& s = *state_;
  auto state = std::make_shared<internal::ImageState>();
  state->client = s.client;
  state->tag = s.tag;
  state->registry_auth_type = s.registry_auth_type;
  state->registry_secret = s.registry_secret;
  state->build_log = s.build_log;
  if (std::string built = image_id(); !built.empty()) {
    state->base_image_id = std::move(built);  // prior layers are in it
  } else {
    state->base_image_id = s.base_image_id;
    state->layers = s.layers;
  }
  state->layers.push_back(internal::ImageLayer{.commands = std::move(commands),
                                               .env = std::move(params.env),
                                               .secrets = std::move(params.secrets),
                                               .gpu = std::move(params.gpu),
                                               .force_build = params.force_build});
  return Image(std::move(state));
}

void Image::publish(std::string const& name, ImagePublishParams const& params) const {
  auto& client = *state_->client;
  auto const [prefix, tag] = parse_named_ref(name);
  std::string const id = image_id();
  if (id.empty()) {
    throw InvalidError("Cannot publish an image that has not been built yet. Call build() first.");
  }
  modal::client::ImagePublishRequest req;
  req.set_image_id(id);
  req.set_tag(tag);
  req.set_environment_name(named_ref_environment(client, prefix, params.environment));
  req.set_allow_public(false);
  client.call(internal::rpc::ImagePublish, req);
}

Image ImageService::from_registry(std::string tag, ImageFromRegistryParams params) const {
  int const auth = params.secret ? modal::client::REGISTRY_AUTH_TYPE_STATIC_CREDS : 0;
  return Image(registry_image(state_, std::move(tag), auth, std::move(params.secret),
                              std::move(params.build_log)));
}

Image ImageService::from_aws_ecr(std::string tag, Secret secret,
                                 ImageFromAwsEcrParams params) const {
  return Image(registry_image(state_, std::move(tag), modal::client::REGISTRY_AUTH_TYPE_AWS,
                              std::move(secret), std::move(params.build_log)));
}

Image ImageService::from_gcp_artifact_registry(std::string tag, Secret secret,
                                               ImageFromGcpArtifactRegistryParams params) const {
  return Image(registry_image(state_, std::move(tag), modal::client::REGISTRY_AUTH_TYPE_GCP,
                              std::move(secret), std::move(params.build_log)));
}

Image ImageService::from_id(std::string const& image_id) const {
  state_->throw_if_closed();
  if (image_id.empty()) throw InvalidError("Image id must not be empty");
  modal::client::ImageFromIdRequest req;
  req.set_image_id(image_id);
  auto resp = state_->call(internal::rpc::ImageFromId, req,
                           {.not_found = "Image '" + image_id + "' not found"});
  return internal::ImageState::built(state_, resp.image_id());
}

Image ImageService::from_name(std::string const& name, ImageFromNameParams const& params) const {
  state_->throw_if_closed();
  auto const [prefix, tag] = parse_named_ref(name);
  modal::client::ImageGetByTagRequest req;
  req.set_tag(tag);
  req.set_environment_name(named_ref_environment(*state_, prefix, params.environment));
  auto resp = state_->call(internal::rpc::ImageGetByTag, req,
                           {.not_found = "Image '" + tag + "' not found"});
  return internal::ImageState::built(state_, resp.image_id());
}

void ImageService::remove(std::string const& image_id, ImageDeleteParams const& /*params*/) const {
  state_->throw_if_closed();
  if (image_id.empty()) throw InvalidError("Image id must not be empty");
  modal::client::ImageDeleteRequest req;
  req.set_image_id(image_id);
  state_->call(internal::rpc::ImageDelete, req,
               {.not_found = "Image '" + image_id + "' not found"});
}

}  // namespace modal
