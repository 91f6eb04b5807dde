// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_H
#define MODAL_EMULATOR_H

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "modal/client.h"
#include "modal/value.h"

/// An offline server speaking Modal's gRPC protocol (ModalClient and TaskCommandRouter on
/// one port), for testing code that uses the SDK without an account or a network. Tests
/// embed it through this header (CMake: `find_package(modal CONFIG REQUIRED COMPONENTS
/// emulator)`, target `modal::emulator`); `modal-emulator` wraps it as a binary. What it
/// emulates: emulator/README.md; how to test with it: docs/testing.md.
namespace modal::emulator {

/// A Volume created at startup (EmulatorOptions::environments).
struct PreloadedVolume {
  /// Its name (letters, digits, '-', '_', '.'; at most 64 characters).
  std::string name{};
  /// When not empty: an existing directory whose contents are copied into the Volume at
  /// startup (files, directories, symbolic links; modes and owners kept).
  std::string seed_dir{};
};

/// A Queue created at startup with items in it (EmulatorOptions::environments).
struct PreloadedQueue {
  /// Its name (letters, digits, '-', '_', '.'; at most 64 characters).
  std::string name{};
  /// Partition key ("" = the default partition, others 1 to 64 bytes) -> its items, first
  /// out first; stored pickled, as Queue::put stores them. Partitions expire as after a
  /// put (24 hours).
  std::map<std::string, std::vector<modal::Value>> partitions{};
};

/**
 * A deployed Function stubbed by a local program (EmulatorOptions::environments, the
 * preload file's `[environments.ENV.functions.APP.NAME]` tables; docs/emulator.md). Each
 * input runs `command` in a Sandbox of its own (the host's userland, isolated as Sandboxes
 * are), with `env`, the Secrets and the Volumes below, and the call's bound Secrets: the
 * program reads the CBOR array `[args, kwargs]` on its stdin and writes one CBOR value (the
 * result) on its stdout. Exit code 0 = success; any other = a remote failure whose
 * exception text is its stderr.
 */
struct PreloadedFunction {
  /// The deployed App's name (Functions.from_name's first argument).
  std::string app{};
  /// The Function's name.
  std::string name{};
  /// argv of the program (not empty; argv[0] is looked up in PATH inside the Sandbox).
  std::vector<std::string> command{};
  /// Environment variables of the program.
  std::map<std::string, std::string> env{};
  /// Names of Secrets of the same environment whose keys become environment variables.
  std::vector<std::string> secrets{};
  /// Mount path -> name of a Volume of the same environment.
  std::map<std::string, std::string> volumes{};
  /// A run longer than this is killed and answers GENERIC_STATUS_TIMEOUT.
  std::chrono::seconds timeout{300};
  /// The registry tag of the Function's image ("" = the host's userland, as an unmapped
  /// tag): a tag mapped to a local image (`--image TAG=PATH`, EmulatorOptions::images)
  /// runs the program in that image's root file system, with its ENV and WORKDIR.
  std::string image{};
};

/// What EmulatorOptions::environments creates in one environment at startup.
struct PreloadedEnvironment {
  /// The environment's name (letters, digits, '-', '_', '.'; at most 64 characters).
  std::string name{};
  /// Named Secrets: name -> key/values (keys are environment variable names).
  std::map<std::string, std::map<std::string, std::string>> secrets{};
  /// Named Volumes, optionally seeded from local directories.
  std::vector<PreloadedVolume> volumes{};
  /// Named Queues with their initial items.
  std::vector<PreloadedQueue> queues{};
  /// Proxies (ProxyGet finds them).
  std::vector<std::string> proxies{};
  /// Deployed Apps: AppGetOrCreate finds them without create_if_missing.
  std::vector<std::string> apps{};
  /// Deployed Functions backed by local programs (their Apps are deployed too).
  std::vector<PreloadedFunction> functions{};
};

/// How an Emulator is set up. Every field has a default that suits tests.
struct EmulatorOptions {
  /// Address to bind. Loopback unless told otherwise.
  std::string host = "127.0.0.1";
  /// 0 picks a free port.
  int port = 0;
  /// Token id every control-plane call must carry (x-modal-token-id); Emulator::client()
  /// uses it.
  std::string token_id = "ak-emulator";
  /// Token secret every control-plane call must carry (x-modal-token-secret).
  std::string token_secret = "as-emulator";
  /// Lifetime of the JWTs returned by AuthTokenGet (`exp` = now + this).
  std::chrono::seconds auth_token_lifetime{3600};
  /// Lifetime of router JWTs returned by TaskGetCommandRouterAccess.
  std::chrono::seconds router_token_lifetime{3600};
  /// Log every call to stderr.
  bool verbose = false;
  /// Named Secrets created at startup in environment "main": name -> key/values.
  std::map<std::string, std::map<std::string, std::string>> secrets{};
  /// EnvironmentSettings.image_builder_version reported for every environment.
  std::string image_builder_version = "2024.10";
  /// Proxies created at startup in environment "main" (ProxyGet finds only these).
  std::vector<std::string> proxies{};
  /// Sandboxes per SandboxList page (clients page with before_timestamp).
  int sandbox_list_page_size = 100;
  /// Test knob: server streams (SandboxGetLogs, ImageJoinStreaming) fail with UNAVAILABLE
  /// after sending this many messages, so clients must resume from their last entry id.
  /// 0 = never.
  int stream_break_after = 0;
  /// Emulated tunnel provisioning time: SandboxGetTunnels answers TIMEOUT until this long
  /// after the sandbox started.
  std::chrono::milliseconds tunnel_delay{0};
  /// Where Sandboxes cannot be isolated from the host (not root, no overlayfs or
  /// namespaces), run them directly on the host's file system instead of refusing them
  /// (`--unsafe-host-filesystem`): their writes then reach the host, and resource limits
  /// and network blocking are not enforced. See emulator/README.md, "Isolation".
  bool unsafe_host_filesystem = false;
  /// The `modal-sandbox-fs-tools` executable put at /__modal/.bin/ in every isolated
  /// Sandbox (read-only), which the SDKs' filesystem APIs run (`--fs-tools PATH`). Empty:
  /// the one installed with the emulator, else the one of its build tree; without either,
  /// Sandboxes have none. See emulator/README.md, "The filesystem tool".
  std::string fs_tools_path{};
  /// Registry tags mapped to local images (`--image TAG=PATH`): a directory in OCI image
  /// layout, or a `docker save` archive (either format), unpacked at startup into the
  /// emulator's state directory. A Sandbox of such a tag (Images.from_registry, and the
  /// images built on it) runs inside that root file system, with the image's Env and
  /// WorkingDir; nothing of the host's shows. Tags are compared after dropping
  /// "docker.io/library/" and adding ":latest" when there is no tag. Unmapped tags keep
  /// the host's userland. See emulator/README.md, "Images".
  std::map<std::string, std::string> images{};
  /// Ephemeral objects with heartbeats (Queues and Volumes created with
  /// OBJECT_CREATION_TYPE_EPHEMERAL) are deleted, contents and all, once no heartbeat
  /// (QueueHeartbeat, VolumeHeartbeat) arrived for this long (`--ephemeral-timeout
  /// SECONDS`). Modal's clients heartbeat every 300 s; the default leaves room for three
  /// missed beats. Expiry is checked every tenth of it (at least every 10 ms, at most every
  /// 60 s). Must be positive.
  std::chrono::milliseconds ephemeral_timeout{std::chrono::seconds(900)};
  /// Items a Queue partition may hold (`--queue-max-partition-items N`): a QueuePut that
  /// would exceed it fails with RESOURCE_EXHAUSTED, putting nothing. Modal's limit is
  /// 5,000. Must be positive.
  int queue_max_partition_items = 5000;
  /// Cloud buckets mapped to local directories (`--bucket NAME=DIR`): a Sandbox's
  /// CloudBucketMount of bucket NAME is a bind mount of DIR (or of its `key_prefix`
  /// subdirectory, created when missing) at the mount's path, read-only when the mount is.
  /// Writes reach DIR at once. A mount of a bucket not mapped here is accepted (its
  /// credentials Secret must exist) and recorded in the Sandbox's definition, but nothing
  /// is mounted at its path. DIR must be an existing directory.
  std::map<std::string, std::string> buckets{};
  /// Objects created at startup in each environment (the preload file's
  /// `[environments.NAME]` tables, see load_config_file() and docs/emulator.md). An
  /// environment named here is created; "main" always exists. Secrets and Proxies of
  /// "main" may also be given by `secrets` and `proxies` above.
  std::vector<PreloadedEnvironment> environments{};
  /// Keep the emulator's state in this directory (`--state-dir DIR`, created when missing)
  /// so that it survives a restart: environments, Apps, Secrets, Volumes with their
  /// contents, Queues with their items, Proxies, and images with their layers. Every
  /// change is on disk (fdatasync) before the call that made it returns, so a crash
  /// (SIGKILL) loses nothing a client was told about. Sandboxes, running builds and
  /// injected faults are not kept. One emulator at a time may use a directory. Empty: a
  /// temporary directory, removed at shutdown. See emulator/README.md, "Persistence".
  std::string state_dir{};
};

/**
 * Reads the emulator's preload file (`modal-emulator --config FILE`, TOML; its format is
 * documented in docs/emulator.md) on top of `base`: its images and buckets are added to
 * (and replace same-named entries of) base's, the Secrets and Proxies of environment
 * "main" are merged into `secrets` (keys of a same-named Secret added, the file's value
 * winning) and `proxies`, everything else goes to `environments`. Relative paths in the
 * file are relative to the file's directory; the results are absolute.
 *
 * @throws std::invalid_argument with a one-line message "FILE:LINE:COL: what is wrong"
 *   for a file that is not TOML, a value of the wrong type, an unknown key, a bad name, a
 *   missing directory or image, an object given twice; "FILE: cannot read: why" for a file
 *   that cannot be read.
 */
EmulatorOptions load_config_file(std::string const& path, EmulatorOptions base = {});

/// Makes the next `count` calls of one RPC fail with `code` (see Emulator::inject_fault).
struct Fault {
  /// How many calls fail (0 or less: none).
  int count = 1;
  /// The gRPC status code number the calls fail with: 14 = UNAVAILABLE (the default),
  /// 4 = DEADLINE_EXCEEDED, 8 = RESOURCE_EXHAUSTED, 13 = INTERNAL, ...
  int code = 14;
  /// The status message.
  std::string message = "injected fault";
  /// When set, the status carries modal.client.RPCRetryPolicy{retry_after_secs} in its
  /// details (server-directed retry).
  std::optional<double> retry_after_secs{};
};

/// One call as the server received it.
struct ReceivedCall {
  /// Short RPC name, e.g. "AppGetOrCreate".
  std::string method{};
  /// Client metadata (lower-case keys). Binary headers are omitted.
  std::multimap<std::string, std::string> metadata{};
  /// Status code the server answered with (0 = OK), once finished; -1 while running.
  int code = -1;
};

/**
 * A running emulator, private to its owner:
 *
 *     modal::emulator::Emulator emu;            // serving on 127.0.0.1:<free port>
 *     modal::Client client = emu.client();      // pointed at it, with its credentials
 *     auto app = client.apps().from_name("my-app", {.create_if_missing = true});
 *
 * The constructor binds (port 0 picks a free loopback port) and starts serving; it throws
 * std::runtime_error if it cannot listen and std::invalid_argument for invalid options.
 * The destructor stops serving and kills every sandbox process it started; Clients made
 * by client() must not be used after that.
 *
 * Thread-safe: every method may be called from any thread while the server runs.
 */
class Emulator {
 public:
  /// An emulator with the default options, serving on a free loopback port.
  Emulator() : Emulator(EmulatorOptions{}) {}
  /// An emulator set up by `options` (seeded Secrets and Proxies, credentials, token
  /// lifetimes, preloaded objects, ...). @throws std::runtime_error if it cannot listen,
  /// std::invalid_argument for an empty Secret or Proxy name, or a preloaded object that
  /// cannot be made (a Volume's seed directory that cannot be copied, more Queue items
  /// than a partition holds, ...).
  explicit Emulator(EmulatorOptions options);
  ~Emulator();
  Emulator(Emulator const&) = delete;
  Emulator& operator=(Emulator const&) = delete;

  /// The bound port.
  int port() const;
  /// "host:port".
  std::string address() const;
  /// "http://host:port", suitable for MODAL_SERVER_URL.
  std::string server_url() const;
  /// The options it was created with (`port` as given, not as bound).
  EmulatorOptions const& options() const;

  /// A Client for this emulator: its server_url(), its credentials and the default
  /// environment, and nothing from the process environment (MODAL_*) or ~/.modal.toml.
  /// Every other setting is the SDK's default, with server-directed retries bounded by
  /// 24 hours instead of MODAL_MAX_THROTTLE_WAIT.
  modal::Client client() const;
  /// The same, with every field `extra` sets taking precedence (a log sink, a call
  /// observer, retry options, another environment, ...).
  modal::Client client(modal::ClientOptions extra) const;

  /// Fault injection: the next `fault.count` calls of `method` (the RPC's short name, e.g.
  /// "AppGetOrCreate" or "TaskExecStart", either service) fail with `fault.code`, after
  /// authentication. Faults for one method queue up in order.
  void inject_fault(std::string const& method, Fault fault);
  /// Drops every fault not yet used.
  void clear_faults();

  /// Calls received so far (all methods when `method` is empty), oldest first.
  std::vector<ReceivedCall> received_calls(std::string_view method = {}) const;
  /// Empties the call log.
  void clear_received_calls();

  /// Exec fault injection: every TaskExecStdioRead stream fails with UNAVAILABLE after
  /// sending `bytes` bytes (0 = never), so clients must resume at their offset.
  void break_stdio_every(std::uint64_t bytes);
  /// Upload fault injection: every TaskExecStdinWriteStream fails with UNAVAILABLE once it
  /// has delivered `bytes` bytes to the process (0 = never), mid-message if need be, so
  /// clients must resume from TaskExecStdinStatus.
  void break_stdin_streams_every(std::uint64_t bytes);
  /// Function fault injection: the next `count` outputs of Function `name` (a class's
  /// service Function is "Cls.*") of App `app` in `environment` are
  /// GENERIC_STATUS_INTERNAL_FAILURE ("injected internal failure") instead of their
  /// results, so that clients' retries (FunctionRetryInputs, AttemptRetry) are exercised.
  /// Counts add up. @throws std::invalid_argument for an unknown Function.
  void fail_function_outputs(std::string const& app, std::string const& name, int count,
                             std::string const& environment = "main");
  /// Every router JWT in use is rejected from now on (UNAUTHENTICATED), on new calls and
  /// on streams already open, as if it had expired; clients must fetch a new one.
  void expire_router_tokens();

  /// Stops serving and kills all sandboxes. Idempotent; the destructor calls it.
  void shutdown();
  /// Blocks until shutdown() is called from another thread (or a signal handler path).
  void wait();

  /// The implementation (internal).
  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_H
