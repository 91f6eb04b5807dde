// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_CLIENT_H
#define MODAL_CLIENT_H

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "modal/app.h"
#include "modal/cloud_bucket_mount.h"
#include "modal/cls.h"
#include "modal/errors.h"
#include "modal/function.h"
#include "modal/function_call.h"
#include "modal/image.h"
#include "modal/proxy.h"
#include "modal/queue.h"
#include "modal/sandbox.h"
#include "modal/secret.h"
#include "modal/volume.h"

namespace modal {
namespace internal {
class ClientState;
}  // namespace internal

/// Severity of a log line. The default level is kWarn.
enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

/// Receives every log line the SDK emits at or above the configured level.
/// Called from any thread, possibly concurrently; it must not throw.
using LogSink = std::function<void(LogLevel level, std::string_view message)>;

/// What the SDK observed about one attempt of one RPC (a retried call reports each attempt).
struct CallInfo {
  /// Service and method, e.g. "modal.client.ModalClient/AppGetOrCreate".
  std::string_view method{};
  /// How the attempt ended.
  StatusCode code = StatusCode::kOk;
  /// Wall time of the attempt, from sending to the final status.
  std::chrono::microseconds duration{0};
  /// 0 for the first attempt, 1 for the first retry, ...
  int attempt = 0;
  /// The status message, empty on success.
  std::string_view message{};
};

/// Receives a CallInfo after every RPC attempt, for metrics or tracing. Called from any
/// thread, possibly concurrently; it must not throw (exceptions are caught and logged).
using CallObserver = std::function<void(CallInfo const& call)>;

/// Transient-failure retry policy for control-plane calls. The defaults are Modal's.
struct RetryOptions {
  /// Retries after the first attempt, for DEADLINE_EXCEEDED, UNAVAILABLE, CANCELLED,
  /// INTERNAL and UNKNOWN.
  int max_retries = 3;
  /// Delay before the first retry.
  std::chrono::milliseconds initial_delay{100};
  /// Each further delay is the previous one times this factor.
  double delay_factor = 2.0;
  /// Upper bound on any one delay.
  std::chrono::milliseconds max_delay{1000};
};

/**
 * Options for a Client. Every field left unset falls back to the environment
 * (MODAL_* variables), then to the active profile of the config file, then to the
 * default. Initialize by name; fields are only ever appended.
 */
struct ClientOptions {
  /// Token id ("ak-..."); else MODAL_TOKEN_ID, the profile's `token_id`. Without a token id
  /// and secret, every call that contacts Modal throws AuthError.
  std::optional<std::string> token_id{};
  /// Token secret ("as-..."); else MODAL_TOKEN_SECRET, the profile's `token_secret`. Kept
  /// out of the SDK's log lines.
  std::optional<std::string> token_secret{};
  /// Environment name; empty lets the server pick the default.
  std::optional<std::string> environment{};
  /// "https://host:port" (TLS, system roots) or "http://host:port" (plaintext).
  std::optional<std::string> server_url{};
  /// Image builder version for image builds; else MODAL_IMAGE_BUILDER_VERSION, the
  /// profile's `image_builder_version`, else the environment's (asked once per environment).
  std::optional<std::string> image_builder_version{};
  /// Lowest level logged; else MODAL_LOGLEVEL, the profile's `loglevel`, else kWarn.
  std::optional<LogLevel> log_level{};
  /// Upper bound on server-directed (throttling) retries; zero disables them, unset is unbounded.
  std::optional<std::chrono::milliseconds> max_throttle_wait{};
  /// Profile to use instead of MODAL_PROFILE / the `active` one; "" ignores
  /// MODAL_PROFILE (the `active` profile, if any, applies). A named profile that the
  /// config file lacks, or without a config file, is a ConfigError.
  std::optional<std::string> profile{};
  /// Config file instead of MODAL_CONFIG_PATH / ~/.modal.toml. A missing file, an empty
  /// file and a character device such as /dev/null mean no profiles.
  std::optional<std::string> config_path{};
  /// Where log lines go; default: stderr.
  LogSink log_sink{};
  /// Per-attempt RPC observation hook; default: none.
  CallObserver call_observer{};
  /// Transient retries of control-plane calls.
  RetryOptions retry{};
  /// Deadline of each control-plane RPC attempt; unset means none (long polls bound themselves).
  std::optional<std::chrono::milliseconds> rpc_timeout{};
  /// How often the heartbeat of each ephemeral Queue and Volume is sent, the first one
  /// interval after its creation; unset means 300 s, as upstream's SDKs do. Modal expires
  /// an ephemeral object some minutes after its last heartbeat; a shorter interval suits an
  /// emulator started with a short `--ephemeral-timeout`. Must be positive.
  std::optional<std::chrono::milliseconds> heartbeat_interval{};
  /// Whether SandboxService::create, from_name and list use V2 Sandboxes (as
  /// experimental_create, experimental_from_name and experimental_list do); Sandboxes with
  /// a GPU are V1 whatever this says. Unset: MODAL_SANDBOX_V2, else the profile's
  /// `sandbox_v2`, else true, as Modal's newest official client (npm modal 0.11) does. In
  /// the variable and the profile, "0" and "false" (any case) and "" mean false; anything
  /// else true. See docs/sandboxes.md, "V2 Sandboxes".
  std::optional<bool> sandbox_v2{};
};

/**
 * The entry point of the SDK: configuration, credentials and connections to Modal.
 *
 * @par Performance
 * Creating a Client reads the configuration but does not connect; the channel is
 * created on the first call. Copying a Client is cheap: copies share one state.
 *
 * @par Thread Safety
 * A Client, its copies and every handle it returns may be used from any number of
 * threads at once. Handles keep the shared state alive, so they may outlive the Client.
 */
class Client {
 public:
  /// Reads the configuration from the environment and the config file.
  /// @throws ConfigError if the config file or a setting is invalid.
  Client();
  /// Like Client(), with `options` taking precedence over every other source.
  explicit Client(ClientOptions options);

  /// The service that looks up and creates Apps. Sends nothing.
  AppService apps() const;
  /// The service that makes cloud bucket mounts (for `SandboxCreateParams`).
  CloudBucketMountService cloud_bucket_mounts() const { return {}; }
  /// The service that looks up classes of deployed Apps. Sends nothing.
  ClsService cls() const;
  /// The service that finds FunctionCalls by id. Sends nothing.
  FunctionCallService function_calls() const;
  /// The service that looks up Functions of deployed Apps. Sends nothing.
  FunctionService functions() const;
  /// The service that creates Images. Sends nothing.
  ImageService images() const;
  /// The service that looks up Proxies. Sends nothing.
  ProxyService proxies() const;
  /// The service that looks up, creates and deletes Queues. Sends nothing.
  QueueService queues() const;
  /// The service that creates, finds and lists Sandboxes. Sends nothing.
  SandboxService sandboxes() const;
  /// The service that looks up, creates and deletes Secrets. Sends nothing.
  SecretService secrets() const;
  /// The service that looks up, creates and deletes Volumes. Sends nothing.
  VolumeService volumes() const;

  /// The environment this client uses ("" means the server's default).
  std::string const& environment() const;
  /// The control-plane URL this client talks to.
  std::string const& server_url() const;

  /// Releases the connections. Calls in flight through this Client, its copies or its
  /// handles (blocked reads, waits, backoff sleeps) end at once with ClientClosedError,
  /// and so does every later call. Idempotent; may be called from any thread.
  void close();

 private:
  std::shared_ptr<internal::ClientState> state_;
};

}  // namespace modal

#endif  // MODAL_CLIENT_H
