// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_SANDBOX_H
#define MODAL_SANDBOX_H

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "modal/app.h"
#include "modal/cloud_bucket_mount.h"
#include "modal/container_process.h"
#include "modal/image.h"
#include "modal/proxy.h"
#include "modal/range.h"
#include "modal/sandbox_file.h"
#include "modal/sandbox_filesystem.h"
#include "modal/secret.h"
#include "modal/sidecar.h"
#include "modal/streams.h"
#include "modal/volume.h"

namespace modal {
namespace internal {
class ClientState;
struct SandboxState;
}  // namespace internal

/// Options of `Probe::tcp` and `Probe::exec`.
struct ProbeParams {
  /// Time between checks; > 0, whole milliseconds.
  std::chrono::milliseconds interval{100};
};

/// How Modal decides a Sandbox is ready (see `Sandbox::wait_until_ready`).
class Probe {
 public:
  /// Ready once a TCP connection to `port` (1..65535) succeeds. @throws InvalidError.
  static Probe tcp(int port, ProbeParams const& params = {});
  /// Ready once `argv` exits with 0. @throws InvalidError if argv is empty.
  static Probe exec(std::vector<std::string> argv, ProbeParams const& params = {});

  /// The port of a TCP probe; nullopt for an exec probe.
  std::optional<int> const& tcp_port() const { return tcp_port_; }
  /// The command of an exec probe; empty for a TCP probe.
  std::vector<std::string> const& exec_argv() const { return exec_argv_; }
  /// Time between checks.
  std::chrono::milliseconds interval() const { return interval_; }

 private:
  Probe() = default;
  std::optional<int> tcp_port_;
  std::vector<std::string> exec_argv_;
  std::chrono::milliseconds interval_{100};
};

/// Options of `SandboxService::create`. Initialize by name; fields are only appended.
struct SandboxCreateParams {
  /// CPU cores reserved (fractional allowed); unset uses Modal's default.
  std::optional<double> cpu{};
  /// Hard CPU limit; requires `cpu` and must be >= it.
  std::optional<double> cpu_limit{};
  /// Memory reserved, MiB.
  std::optional<int> memory_mib{};
  /// Hard memory limit, MiB; requires `memory_mib` and must be >= it.
  std::optional<int> memory_limit_mib{};
  /// GPU request, "TYPE" or "TYPE:COUNT", e.g. "A100:2".
  std::string gpu{};
  /// Maximum lifetime (whole seconds); unset means 5 minutes.
  std::optional<std::chrono::milliseconds> timeout{};
  /// Terminate after this long without activity (whole seconds).
  std::optional<std::chrono::milliseconds> idle_timeout{};
  /// Absolute working directory of the entrypoint and of execs.
  std::string workdir{};
  /// The entrypoint argv; empty keeps the Sandbox idle until terminated.
  std::vector<std::string> command{};
  /// Environment variables.
  std::map<std::string, std::string> env{};
  /// Secrets whose variables are set in the Sandbox; from_map Secrets are created first.
  std::vector<Secret> secrets{};
  /// Mount path → Volume.
  std::map<std::string, Volume> volumes{};
  /// Mount path → bucket.
  std::map<std::string, CloudBucketMount> cloud_bucket_mounts{};
  /// Run the entrypoint under a pseudo-terminal.
  bool pty = false;
  /// Ports exposed through TLS tunnels.
  std::vector<int> encrypted_ports{};
  /// Ports exposed through HTTP/2 tunnels.
  std::vector<int> h2_ports{};
  /// Ports exposed through plain TCP tunnels.
  std::vector<int> unencrypted_ports{};
  /// No network access at all; excludes ports and allowlists.
  bool block_network = false;
  /// Outbound CIDRs allowed; set (even empty) restricts outbound traffic to it.
  std::optional<std::vector<std::string>> cidr_allowlist{};
  /// Cloud provider, e.g. "aws", "gcp".
  std::string cloud{};
  /// Regions to run in, e.g. {"us-east-1"}.
  std::vector<std::string> regions{};
  /// Log the Sandbox's commands.
  bool verbose = false;
  /// Send outbound traffic through this Proxy (a static outbound IP).
  std::optional<Proxy> proxy{};
  /// Unique among running Sandboxes of the App; [A-Za-z0-9._-], at most 64 characters.
  std::string name{};
  /// Experimental backend options; values are booleans or strings.
  std::map<std::string, std::variant<bool, std::string>> experimental_options{};
  /// Serve encrypted ports under this custom domain.
  std::string custom_domain{};
  /// The check `Sandbox::wait_until_ready` waits for.
  std::optional<Probe> readiness_probe{};
  /// Tags to attach at creation.
  std::map<std::string, std::string> tags{};
  /// Experimental: allow memory snapshots (`Sandbox::experimental_snapshot`).
  bool experimental_enable_snapshot = false;
};

/// Options of `SandboxService::experimental_from_snapshot`.
struct SandboxFromSnapshotParams {
  /// The restored Sandbox's name: nullopt keeps the snapshotted Sandbox's, "" gives it
  /// none, anything else must be a valid name ([A-Za-z0-9._-], at most 64 characters).
  std::optional<std::string> name{};
};

/// A memory snapshot of a Sandbox (`Sandbox::experimental_snapshot`): its processes and
/// memory as well as its files, restored with `SandboxService::experimental_from_snapshot`.
struct SandboxSnapshot {
  /// The snapshot's id.
  std::string snapshot_id{};
};

/// Options of `SandboxService::from_name` and `experimental_from_name`.
struct SandboxFromNameParams {
  /// Environment name; empty uses the client's.
  std::string environment{};
  /// When no running Sandbox holds the name, the one that held it last, finished
  /// (V2 Sandboxes only: from_name then looks up V2 Sandboxes alone).
  bool include_terminated = false;
};

/// Filters of `SandboxService::list`.
struct SandboxListParams {
  /// Only Sandboxes of this App.
  std::string app_id{};
  /// Only Sandboxes carrying all of these tags.
  std::map<std::string, std::string> tags{};
  /// Environment name; empty uses the client's.
  std::string environment{};
};

/// Options of `Sandbox::terminate`.
struct SandboxTerminateParams {
  /// Wait for the Sandbox to finish and return its exit code.
  bool wait = false;
};

/// Options of `Sandbox::create_connect_token`.
struct SandboxCreateConnectTokenParams {
  /// Arbitrary data passed to the Sandbox's server with each connection.
  std::string user_metadata{};
  /// The port the token connects to (1..65535); unset means 8080.
  std::optional<int> port{};
};

/// A credential for connecting to a Sandbox's HTTP server.
struct SandboxConnectToken {
  /// The URL to connect to.
  std::string url{};
  /// The token for `url`; the SDK keeps it out of its log lines.
  std::string token{};
};

/// Options of `Sandbox::snapshot_filesystem`.
struct SandboxSnapshotFilesystemParams {
  /// Lifetime of the snapshot Image, whole seconds: 0 = 30 days (upstream's default),
  /// `kNoExpiry` = it never expires. Measured from its creation; not extended by use.
  std::chrono::seconds ttl{0};
  /// How long the snapshot may take, retries included.
  std::chrono::milliseconds timeout{std::chrono::seconds(55)};

  /// `ttl` for an Image that never expires.
  static constexpr std::chrono::seconds kNoExpiry{-1};
};

/// Options of `Sandbox::snapshot_directory`.
struct SandboxSnapshotDirectoryParams {
  /// Lifetime of the snapshot Image, whole seconds: 0 = 30 days (upstream's default),
  /// `kNoExpiry` = it never expires. Measured from its creation; not extended by use.
  std::chrono::seconds ttl{0};
  /// How long the snapshot may take, retries included.
  std::chrono::milliseconds timeout{std::chrono::seconds(55)};
  /// Experimental: a key of 16 to 512 bytes that Modal encrypts the snapshot with (not
  /// kept by Modal; mounting the Image needs it again). The emulator checks its length
  /// only and stores snapshots unencrypted.
  std::optional<std::string> experimental_encryption_key{};

  /// `ttl` for an Image that never expires.
  static constexpr std::chrono::seconds kNoExpiry{-1};
};

/// Options of `Sandbox::mount_image`.
struct SandboxMountImageParams {
  /// Experimental: the key the Image (a snapshot) was encrypted with, 16 to 512 bytes.
  std::optional<std::string> experimental_encryption_key{};
};

/// Options of `Sandbox::reload_volumes`.
struct SandboxReloadVolumesParams {
  /// How long the call may take; 0 = 55 s.
  std::chrono::milliseconds timeout{0};
};

/// Options of `Sandbox::update_network_policy`. Both allowlists are required for now (as
/// upstream: the protocol replaces the whole policy); an empty list blocks that dimension,
/// "0.0.0.0/0" or "*" allows everything.
struct SandboxUpdateNetworkPolicyParams {
  /// CIDRs the Sandbox may connect to ("10.0.0.0/8", "2001:db8::/32", "1.2.3.4").
  std::optional<std::vector<std::string>> outbound_cidr_allowlist{};
  /// Domains the Sandbox may connect to ("example.com", "*.example.com", "*").
  std::optional<std::vector<std::string>> outbound_domain_allowlist{};
};

/// A tunnel from the internet to a port of a Sandbox.
struct Tunnel {
  /// Host name of the TLS endpoint.
  std::string host{};
  /// Port of the TLS endpoint.
  int port = 0;
  /// Host name of the plain TCP endpoint; empty if there is none (see `unencrypted_ports`).
  std::string unencrypted_host{};
  /// Port of the plain TCP endpoint; 0 if there is none.
  int unencrypted_port = 0;

  /// "https://host" (or "https://host:port" when port is not 443).
  std::string url() const;
  /// The TLS endpoint.
  std::pair<std::string, int> tls_socket() const;
  /// The plain TCP endpoint. @throws InvalidError if the port is not unencrypted.
  std::pair<std::string, int> tcp_socket() const;
};

/**
 * A Sandbox: a container running an entrypoint and any commands you exec in it.
 *
 * @par Thread Safety
 * Copies share one state (task id, router connection, stdio position). Every method
 * may be called from any thread. After `detach()` every call throws ClientClosedError;
 * after `terminate()`, `wait()`, `wait_for()`, `poll()` and `terminate()` still work
 * (they report the exit code) and the other calls throw ClientClosedError.
 *
 * A blocked call (wait, a read, an exec's wait) ends early with ClientClosedError when
 * another thread calls `detach()` or `Client::close()`; `wait_for()` and
 * `StreamReader::read_for()` bound the wait instead.
 */
class Sandbox {
 public:
  /// The Sandbox's id. Sends nothing, and works after `detach()`.
  std::string const& sandbox_id() const;

  /// Runs `argv` in the Sandbox. @throws InvalidError for bad arguments.
  ContainerProcess exec(std::vector<std::string> argv, SandboxExecParams const& params = {}) const;
  /// The Sandbox's files: read, write, copy, list, stat, remove and watch them. Sends
  /// nothing by itself.
  SandboxFilesystem filesystem() const;
  /// Experimental: the Sandbox's sidecar containers (include/modal/sidecar.h). Sends
  /// nothing by itself.
  SidecarService experimental_sidecars() const;
  /// Opens a file in the Sandbox, `fopen`-style: `mode` is one of "r", "w", "a", "x",
  /// each optionally with "+" and "b" (e.g. "r+b"); text and binary are the same here.
  /// @throws InvalidError for another mode, SandboxFilesystemError (NotFound, ...) if the
  ///   file cannot be opened.
  SandboxFile open(std::string const& path, std::string const& mode = "r") const;
  /// The names in a directory of the Sandbox, sorted.
  std::vector<std::string> ls(std::string const& path) const;
  /// Creates a directory in the Sandbox.
  void mkdir(std::string const& path, SandboxMkdirParams const& params = {}) const;
  /// Removes a file or an (empty, unless `recursive`) directory in the Sandbox.
  void rm(std::string const& path, SandboxRmParams const& params = {}) const;

  /**
   * Freezes the Sandbox's file system into a new Image (built, with an id): everything it
   * changed on top of its Image, deletions included. A Sandbox created from that Image
   * starts with the same files. The Sandbox keeps running.
   * @throws InvalidError for a `ttl` other than 0, `kNoExpiry` or at least 1 s, or a
   *   timeout that is not positive, before anything is sent.
   * @throws ExecutionError if the server returns no image.
   */
  Image snapshot_filesystem(SandboxSnapshotFilesystemParams const& params = {}) const;
  /**
   * Copies the directory `path` of the Sandbox (absolute, as the Sandbox sees it) into a
   * new Image whose root is that directory, for `mount_image` here or in another
   * Sandbox. The Sandbox keeps running.
   * @throws InvalidError for a relative path, a bad `ttl`, timeout or encryption key,
   *   before anything is sent; NotFoundError if the directory does not exist.
   * @throws ExecutionError if the server returns no image.
   */
  Image snapshot_directory(std::string const& path,
                           SandboxSnapshotDirectoryParams const& params = {}) const;
  /**
   * Mounts `image` (built: an id) at `path` (absolute; created when missing), or an empty
   * directory when `image` is nullopt. The mount is writable; what the Sandbox writes there
   * stays in the mount and goes with `unmount_image` or the Sandbox.
   * @throws InvalidError for a relative path, an Image that is not built, or a bad key,
   *   before anything is sent; AlreadyExistsError if an Image is mounted there already.
   */
  void mount_image(std::string const& path, std::optional<Image> const& image,
                   SandboxMountImageParams const& params = {}) const;
  /// Removes the `mount_image` mount at `path`. @throws NotFoundError if there is none;
  /// InvalidError for a relative path.
  void unmount_image(std::string const& path) const;
  /// Reloads the Volumes mounted in the Sandbox, so that it sees what other Sandboxes and
  /// Functions committed. @throws InvalidError for a negative timeout.
  void reload_volumes(SandboxReloadVolumesParams const& params = {}) const;
  /// Replaces the Sandbox's outbound network policy; established connections the new
  /// policy does not permit are closed. @throws InvalidError unless both allowlists are
  /// set, before anything is sent.
  void update_network_policy(SandboxUpdateNetworkPolicyParams const& params) const;
  /**
   * Experimental: a memory snapshot of the running Sandbox (created with
   * `experimental_enable_snapshot`), waiting up to 55 s for it to complete.
   * @throws ExecutionError if the snapshot fails; ConflictError where memory snapshots are
   *   not available (the emulator: see its README).
   */
  SandboxSnapshot experimental_snapshot() const;

  /// Blocks until the Sandbox finishes; returns the exit code (124 after a timeout,
  /// 137 when terminated).
  int wait() const;
  /// Like wait(), giving up after `timeout`: nullopt if the Sandbox is still running.
  /// `timeout` zero checks once. @throws InvalidError for a negative timeout.
  std::optional<int> wait_for(std::chrono::milliseconds timeout) const;
  /// The exit code if finished, else nullopt. Does not block.
  std::optional<int> poll() const;
  /// Terminates the Sandbox and releases its command-router connection (execs in
  /// flight end with ClientClosedError); with `wait`, returns the exit code. Idempotent:
  /// a second call sends nothing (and with `wait` returns the exit code).
  std::optional<int> terminate(SandboxTerminateParams const& params = {}) const;
  /// Releases the connections of this handle; later calls throw ClientClosedError.
  /// The Sandbox keeps running. Idempotent.
  void detach() const;

  /// Replaces the Sandbox's tags.
  void set_tags(std::map<std::string, std::string> const& tags) const;
  /// The Sandbox's tags.
  std::map<std::string, std::string> get_tags() const;

  /// The Sandbox's tunnels by container port, waiting up to `timeout` for them.
  /// @throws SandboxTimeoutError if they are not ready in time.
  std::map<int, Tunnel> tunnels(std::chrono::milliseconds timeout = std::chrono::seconds(50)) const;
  /// A token for connecting to the Sandbox's HTTP server on `params.port`.
  /// @throws InvalidError if the port is not in 1..65535.
  SandboxConnectToken create_connect_token(
      SandboxCreateConnectTokenParams const& params = {}) const;
  /// Blocks until the readiness probe passes; returns at once if it already has.
  /// @throws TimeoutError after `timeout`, ConflictError if the Sandbox has no readiness
  ///   probe or has finished.
  void wait_until_ready(std::chrono::milliseconds timeout = std::chrono::minutes(5)) const;

  /// The entrypoint's standard output.
  StreamReader stdout_stream() const;
  /// The entrypoint's standard error.
  StreamReader stderr_stream() const;
  /// The entrypoint's standard input; `close()` sends EOF.
  StreamWriter stdin_stream() const;

 private:
  friend struct internal::SandboxState;
  explicit Sandbox(std::shared_ptr<internal::SandboxState> state) : state_(std::move(state)) {}
  std::shared_ptr<internal::SandboxState> state_;
};

/// A lazily paged list of Sandboxes, newest first: `for (Sandbox const& sb : range)`.
/// Pages are fetched as the iteration advances. Single pass.
using SandboxRange = Range<Sandbox>;

/// Creates and finds Sandboxes. Obtain it with `Client::sandboxes()`. Thread-safe.
class SandboxService {
 public:
  /// Creates a Sandbox in `app` running `image` (built first if needed): a V2 Sandbox
  /// (as experimental_create) when the client's `sandbox_v2` setting is on (the default)
  /// and `params.gpu` is empty, else a V1 Sandbox.
  /// @throws InvalidError for bad parameters, AlreadyExistsError if the name is taken.
  Sandbox create(App const& app, Image const& image, SandboxCreateParams const& params = {}) const;
  /// Experimental: creates a V2 Sandbox (SandboxCreateV2), whatever `sandbox_v2` says. The
  /// reply carries the task and its router, so the first exec makes no extra round trip.
  /// V2 Sandboxes have no GPUs and no network file systems, are not listed by V1 listing
  /// (list() with `sandbox_v2` off), and take snapshots with
  /// `experimental_enable_snapshot`. See docs/sandboxes.md, "V2 Sandboxes".
  /// @throws InvalidError for bad parameters or a GPU, AlreadyExistsError if the name is
  ///   taken.
  Sandbox experimental_create(App const& app, Image const& image,
                              SandboxCreateParams const& params = {}) const;
  /// A handle for an existing Sandbox id. Sends nothing.
  Sandbox from_id(std::string const& sandbox_id) const;
  /// Experimental: a new Sandbox restored from a memory snapshot, once it is running.
  /// @throws InvalidError for an empty id or a bad name, before anything is sent;
  ///   NotFoundError for an unknown snapshot; ExecutionError if the restore fails.
  Sandbox experimental_from_snapshot(SandboxSnapshot const& snapshot,
                                     SandboxFromSnapshotParams const& params = {}) const;
  /// The running Sandbox named `name` in the App named `app_name`. With `sandbox_v2` on
  /// (the default) or `params.include_terminated`, V2 Sandboxes are looked up first
  /// (experimental_from_name), then, unless `include_terminated`, V1 ones.
  /// @throws NotFoundError if there is none.
  Sandbox from_name(std::string const& app_name, std::string const& name,
                    SandboxFromNameParams const& params = {}) const;
  /// Experimental: the running V2 Sandbox named `name` (SandboxGetFromNameV2), or with
  /// `params.include_terminated` the latest one if none is running.
  /// @throws NotFoundError if there is none.
  Sandbox experimental_from_name(std::string const& app_name, std::string const& name,
                                 SandboxFromNameParams const& params = {}) const;
  /// Running Sandboxes, filtered, newest first. No RPC until iterated. With `sandbox_v2`
  /// on (the default) this is experimental_list (V1 and V2 Sandboxes), else V1 ones only.
  SandboxRange list(SandboxListParams const& params = {}) const;
  /// Experimental: running V1 and V2 Sandboxes (SandboxListV2), newest first. Without
  /// `params.app_id` it lists across the environment, which upstream deprecates (a
  /// warning is logged). No RPC until iterated.
  SandboxRange experimental_list(SandboxListParams const& params = {}) const;

 private:
  friend class Client;
  explicit SandboxService(std::shared_ptr<internal::ClientState> state)
      : state_(std::move(state)) {}
  std::shared_ptr<internal::ClientState> state_;
};

}  // namespace modal

#endif  // MODAL_SANDBOX_H
