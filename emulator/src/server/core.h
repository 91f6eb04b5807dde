// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_SERVER_CORE_H
#define MODAL_EMULATOR_SRC_SERVER_CORE_H

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <grpcpp/support/status.h>

#include "absl/status/statusor.h"

#include "modal/emulator.h"
#include "runtime/unique_fd.h"
#include "server/jwt.h"
#include "store/blobs.h"
#include "store/environments.h"
#include "store/functions.h"
#include "store/images.h"
#include "store/journal.h"
#include "store/logs.h"
#include "store/objects.h"
#include "store/queues.h"

namespace modal::emulator {

class FunctionRunner;
class ImageBuilder;
class SandboxRegistry;

/// Which service a call belongs to; decides how CallScope authenticates it.
enum class Plane {
  /// modal.client.ModalClient: x-modal-token-id / x-modal-token-secret (+ x-modal-auth-token).
  kControl,
  /// modal.task_command_router.TaskCommandRouter: `authorization: Bearer <router JWT>`.
  kRouter,
};

/// Builds the status of an injected fault: code + message, and when `retry_after_secs` is
/// set, grpc-status-details-bin = modal.client.RPCStatus{code, message,
/// details=[Any(modal.client.RPCRetryPolicy{retry_after_secs})]}.
grpc::Status fault_status(Fault const& fault);

/**
 * Everything the services share: options, the stores, token issuers, injected faults, the
 * call log, and shutdown hooks. One per Emulator; outlives the gRPC server. Thread-safe:
 * each store has its own lock, taken only inside its methods.
 */
class Core {
 public:
  /// Seeds EmulatorOptions::secrets, ::proxies and ::environments; std::invalid_argument
  /// for an empty name or an object that cannot be made.
  explicit Core(EmulatorOptions options);
  ~Core();
  Core(Core const&) = delete;
  Core& operator=(Core const&) = delete;

  EmulatorOptions const& options() const { return options_; }

  // ---- stores (store/) ----
  EnvironmentStore& environments() { return environments_; }
  AppStore& apps() { return apps_; }
  SecretStore& secrets() { return secrets_; }
  ImageStore& images() { return images_; }
  VolumeStore& volumes() { return volumes_; }
  /// Where Volumes keep their contents: EmulatorOptions::state_dir/volumes, else the
  /// runtime's state directory's, created on first use (with the runtime). UNAVAILABLE
  /// during shutdown, INTERNAL if it cannot be made.
  absl::StatusOr<std::string> volume_root();
  ProxyStore& proxies() { return proxies_; }
  /// With EmulatorOptions::state_dir, copies a new layer of the runtime's layer store
  /// (image builds, snapshots) into the state directory before the image that has it is
  /// journaled; OK at once without one.
  absl::Status persist_layer(std::string const& layer);
  /// Queues' names and ids; their items are queue_items() (removing a queue drops them).
  QueueStore& queues() { return queues_; }
  QueueItemStore& queue_items() { return queue_items_; }
  /// Sandboxes and the process runtime behind them (store/sandbox_registry.h).
  SandboxRegistry& sandboxes() { return *sandboxes_; }
  /// Runs image builds (control/image_build.h); stopped at shutdown, after the sandboxes.
  ImageBuilder& image_builder() { return *image_builder_; }
  /// Deployed Functions and classes, bound variants, Function calls (store/functions.h).
  FunctionStore& functions() { return functions_; }
  /// What the Functions printed (store/logs.h); shut down after the runner stops.
  LogStore& logs() { return logs_; }
  /// Runs Function inputs (control/function_runner.h); stopped first at shutdown.
  FunctionRunner& function_runner() { return *function_runner_; }
  /// Blobs (store/blobs.h), served over HTTP at blob_url() (server/blob_server.h).
  BlobStore& blobs() { return blobs_; }
  /// "http://host:port" of the blob server, set once it listens.
  void set_blob_url(std::string url);
  std::string blob_url() const;

  /// Set once the server is listening.
  void set_port(int port) { port_ = port; }
  int port() const { return port_; }
  /// "host:port" (IPv6 hosts bracketed).
  std::string address() const;
  /// "http://host:port".
  std::string server_url() const;

  // ---- credentials ----
  /// Control plane: mints the JWT returned by AuthTokenGet (lifetime auth_token_lifetime).
  std::string issue_auth_token();
  TokenIssuer::Verification verify_auth_token(std::string_view token) const {
    return auth_tokens_.verify(token);
  }
  /// Router: mints a JWT for `task_id` (sub = task_id, lifetime router_token_lifetime).
  /// TaskGetCommandRouterAccess returns it; router calls present it as
  /// `authorization: Bearer <jwt>` and CallScope checks it.
  std::string issue_router_token(std::string const& task_id);
  TokenIssuer::Verification verify_router_token(std::string_view token) const {
    return router_tokens_.verify(token);
  }

  // ---- faults ----
  void inject_fault(std::string const& method, Fault fault);
  void clear_faults();
  /// Consumes one pending fault for `method`, if any.
  std::optional<Fault> take_fault(std::string_view method);

  // ---- call log (filled by the server interceptor) ----
  /// Records a new call; returns its sequence number for finish_call().
  std::uint64_t begin_call(std::string method, std::multimap<std::string, std::string> md);
  void finish_call(std::uint64_t seq, int code);
  std::vector<ReceivedCall> received_calls(std::string_view method) const;
  void clear_received_calls();

  // ---- lifecycle ----
  /// True once shutdown has begun: long-poll handlers should return promptly.
  bool shutting_down() const { return shutting_down_.load(); }
  /// Registers work to run when the emulator shuts down (before the gRPC server stops):
  /// kill sandbox processes, wake long-poll waiters, ... Hooks run once, in registration
  /// order, on the thread calling Emulator::shutdown().
  void add_shutdown_hook(std::function<void()> hook);
  /// Marks shutting_down() and runs the hooks (idempotent).
  void begin_shutdown();

  /// Logs a line to stderr when options().verbose.
  void log(std::string_view line) const;

  /// One pass of the sweeper: expires idle ephemeral Queues and Volumes
  /// (EmulatorOptions::ephemeral_timeout) and drops expired queue partitions.
  void sweep();
  /// How often the sweeper runs: ephemeral_timeout / 10, within [10 ms, 60 s].
  static std::chrono::milliseconds sweep_interval(std::chrono::milliseconds ephemeral_timeout);

 private:
  /// Runs sweep() every sweep_interval() until stop_sweeper().
  void start_sweeper();
  void stop_sweeper();
  void seed(EmulatorOptions const& options);
  /// EmulatorOptions::state_dir: takes the directory's lock, replays its journal into the
  /// stores, rewrites it compactly and has the stores journal their changes from then on.
  /// Throws std::invalid_argument when the directory cannot be used.
  void open_state();
  /// One journaled change, to the store it belongs to.
  absl::Status apply_change(nlohmann::json const& change);
  /// After the replay: removes what a crash left in the Volume directory (directories of
  /// Volumes whose creation was never acknowledged, half-deleted ones).
  void remove_stray_volume_dirs();
  /// Copies the layers kept in the state directory into the runtime's layer store (a
  /// tmpfs: overlayfs refuses layers below the host's /, which is the bottom one) and has
  /// ImageStore translate journaled layer paths to it.
  void restore_layers();
  /// After the replay: removes the kept layers (and their copies in the layer store) that
  /// no image of `snapshot` uses.
  void remove_unused_layers(std::vector<nlohmann::json> const& snapshot);
  /// Creates EmulatorOptions::environments and what they hold (Secrets, Proxies, Apps,
  /// Volumes with their seed directories copied in, Queues with their items pickled).
  /// Throws std::invalid_argument when one cannot be made.
  void preload(std::vector<PreloadedEnvironment> const& environments);
  /// A named Volume of `environment` whose directory holds a copy of `seed_dir` (empty when
  /// "").
  void preload_volume(std::string const& environment, PreloadedVolume const& volume);
  /// Unpacks EmulatorOptions::images into the runtime's state directory and maps their
  /// tags (ImageStore::map_registry_tag). Throws std::invalid_argument when one fails.
  void map_images(std::map<std::string, std::string> const& images);

  EmulatorOptions options_;
  /// EmulatorOptions::state_dir's lock (flock) and journal; declared before the stores,
  /// which write to it, so that it outlives them.
  runtime::internal::UniqueFd state_lock_;
  std::unique_ptr<Journal> journal_;
  EnvironmentStore environments_;
  AppStore apps_{environments_, kApps};
  SecretStore secrets_{environments_, kSecrets};
  ImageStore images_;
  VolumeStore volumes_{environments_, kVolumes};
  ProxyStore proxies_{environments_, kProxies};
  QueueItemStore queue_items_;
  QueueStore queues_{environments_, kQueues};
  std::atomic<int> port_{0};
  TokenIssuer auth_tokens_{"modal-emulator"};
  TokenIssuer router_tokens_{"modal-emulator/task-command-router"};

  mutable std::mutex mu_;  // guards the members below
  std::map<std::string, std::deque<Fault>, std::less<>> faults_;
  struct LoggedCall {
    std::uint64_t seq = 0;
    ReceivedCall call{};
  };
  std::deque<LoggedCall> calls_;
  std::uint64_t next_seq_ = 1;
  std::vector<std::function<void()>> shutdown_hooks_;
  std::atomic<bool> shutting_down_{false};
  mutable std::mutex log_mu_;
  std::mutex sweeper_mu_;  // guards sweeper_stop_
  std::condition_variable sweeper_cv_;
  bool sweeper_stop_ = false;
  std::thread sweeper_;        // joined by stop_sweeper() (shutdown, destructor)
  std::mutex volume_root_mu_;  // guards volume_root_
  std::string volume_root_;
  /// The runtime's layer store once restore_layers() ran ("" without a state directory).
  std::string live_layers_;
  // Last member: destroyed first (kills sandbox processes while the rest still exists).
  std::unique_ptr<SandboxRegistry> sandboxes_;
  std::unique_ptr<ImageBuilder> image_builder_;  // after sandboxes_: destroyed first
  FunctionStore functions_;
  LogStore logs_;
  BlobStore blobs_;
  mutable std::mutex blob_url_mu_;  // guards blob_url_
  std::string blob_url_;
  // Destroyed first: joins the threads running inputs, which use everything above.
  std::unique_ptr<FunctionRunner> function_runner_;
};

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_SERVER_CORE_H
