// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_STORE_SANDBOX_REGISTRY_H
#define MODAL_EMULATOR_SRC_STORE_SANDBOX_REGISTRY_H

// The emulator's sandboxes: one SandboxRecord per SandboxCreate, backed by a process tree
// of the runtime (emulator/src/runtime). Control-plane handlers live in sandboxes.cc; the
// router (TaskExecStart, SandboxWaitUntilReady, ...) reaches the same records through
// Core::sandboxes():
//
//     auto rec = core_.sandboxes().find_by_task(req->task_id());
//     if (rec == nullptr) return grpc::Status(grpc::StatusCode::NOT_FOUND, ...);
//     auto sb = rec->runtime();          // nullptr if the entrypoint never started
//     ... sb->exec(spec) ...
//
// Readiness (for SandboxWaitUntilReady)
// -------------------------------------
// A sandbox with a readiness_probe is probed by the emulator at the probe's interval
// (TCP: connect to 127.0.0.1:port, in the sandbox's network namespace when its network is
// blocked, else the host's, which it shares; exec: the argv run inside the sandbox, ready
// on exit code 0) until the first success, which sets
// ready_at(). A sandbox without a probe is ready as soon as it has started (ready_at() ==
// started_at()). Wait for it with
//
//     auto r = rec->wait_until_ready(deadline, [&] { return ctx->IsCancelled(); });
//
// which returns kReady (then rec->ready_at() is set), kFinished (the sandbox finished
// before becoming ready), kTimeout (deadline passed) or kCancelled (the predicate returned
// true, or the emulator is shutting down). It never blocks longer than ~100 ms past any of
// those events. Thread-safe.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "modal_proto/api.pb.h"
#include "runtime/output_buffer.h"
#include "runtime/runtime.h"
#include "runtime/sandbox.h"
#include "runtime/types.h"
#include "store/images.h"

namespace modal::emulator {

/// Everything the emulator knows about one sandbox. Created by SandboxRegistry::create.
/// The const members never change; everything else is thread-safe.
class SandboxRecord {
 public:
  std::string const id;        // sb-... (V1: 22 [0-9A-Za-z]; V2: a 26-character ULID)
  std::string const task_id;   // ta-...
  std::string const app_id;    // ap-...
  std::string const app_name;  // "" for anonymous Apps
  std::string const environment;
  /// "" when unnamed. Unique among the running sandboxes of the App.
  std::string const name;
  std::string const image_id;
  double const created_at;
  /// The definition as the client sent it (resources/GPU, ports, mounts, probe, ...).
  modal::client::Sandbox const definition;

  SandboxRecord(std::string id, std::string task_id, std::string app_id, std::string app_name,
                std::string environment, std::string name, std::string image_id, double created_at,
                modal::client::Sandbox definition);
  ~SandboxRecord();
  SandboxRecord(SandboxRecord const&) = delete;
  SandboxRecord& operator=(SandboxRecord const&) = delete;

  /// The process tree; nullptr when the entrypoint could not be started (the record is
  /// then finished from the start, with the reason on its stderr log).
  std::shared_ptr<runtime::Sandbox> runtime() const { return runtime_; }
  /// Its image's layers and config when it was created (kept: the image may be deleted).
  std::vector<std::string> const& image_layers() const { return image_layers_; }
  ImageConfig const& image_config() const { return image_config_; }

  /// The entrypoint's stdout (FILE_DESCRIPTOR_STDOUT) or stderr log, read by SandboxGetLogs
  /// at byte offsets. Never null.
  std::shared_ptr<runtime::OutputBuffer> log_buffer(bool stderr_stream) const {
    return stderr_stream ? stderr_log_ : stdout_log_;
  }

  /// Wall-clock time the process tree started (== created_at for the emulator).
  double started_at() const { return created_at; }

  // ---- result ----
  /// The sandbox's result once finished (TERMINATED / TIMEOUT / IDLE_TIMEOUT / SUCCESS /
  /// FAILURE with exitcode), else nullopt.
  std::optional<modal::client::GenericResult> result() const;
  bool finished() const { return result().has_value(); }
  /// Wall-clock time it finished (0 while running).
  double finished_at() const;
  /// Blocks until finished, the deadline, `cancelled()` or emulator shutdown.
  std::optional<modal::client::GenericResult> wait(
      runtime::Deadline deadline, std::function<bool()> const& cancelled = {}) const;

  /// Blocks until `deadline`, `cancelled()` or emulator shutdown (SandboxGetTunnels'
  /// emulated provisioning time).
  void sleep_until(runtime::Deadline deadline, std::function<bool()> const& cancelled) const;

  // ---- readiness ----
  enum class ReadyWait { kReady, kFinished, kTimeout, kCancelled };
  /// When the sandbox became ready (unix seconds), nullopt before.
  std::optional<double> ready_at() const;
  /// See the comment at the top of this file.
  ReadyWait wait_until_ready(runtime::Deadline deadline,
                             std::function<bool()> const& cancelled = {}) const;

  // ---- tags ----
  std::map<std::string, std::string> tags() const;
  void set_tags(std::map<std::string, std::string> tags);

 private:
  friend class SandboxRegistry;
  template <typename Pred>
  bool wait_for(runtime::Deadline deadline, std::function<bool()> const& cancelled,
                Pred pred) const;
  void mark_ready();
  void mark_finished(modal::client::GenericResult result);
  void wake_for_shutdown();

  std::shared_ptr<runtime::Sandbox> runtime_;
  std::vector<std::string> image_layers_;  // set before the record is shared
  ImageConfig image_config_;
  std::shared_ptr<runtime::OutputBuffer> stdout_log_;
  std::shared_ptr<runtime::OutputBuffer> stderr_log_;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::optional<modal::client::GenericResult> result_;
  double finished_at_ = 0;
  std::optional<double> ready_at_;
  std::map<std::string, std::string> tags_;
  bool shutting_down_ = false;
};

/// The runtime's PTY settings for a PTYInfo (Sandboxes and execs), nullopt unless enabled.
std::optional<runtime::PtyOptions> pty_options(modal::client::PTYInfo const& info);

/// What SandboxRegistry::create needs beyond the definition.
struct SandboxLaunch {
  std::string app_id{};
  std::string app_name{};
  std::string environment{};
  std::string image_id{};
  /// The image's layers (runtime::SandboxSpec::layers) and config (its WORKDIR is the
  /// default when the definition has none).
  std::vector<std::string> image_layers{};
  ImageConfig image_config{};
  /// Entrypoint environment: the image's ENV, secrets merged in order, then the
  /// definition's variables.
  std::map<std::string, std::string> env{};
  std::map<std::string, std::string> tags{};
  /// The definition's volume_mounts, resolved (runtime::SandboxSpec::volumes).
  std::vector<runtime::VolumeMount> volumes{};
  modal::client::Sandbox definition{};
  /// SandboxCreateV2: the Sandbox gets a V2 id (server/ids.h new_ulid_id), which is how
  /// clients and the handlers tell the two APIs apart.
  bool v2 = false;
};

/// How SandboxRegistry runs sandboxes.
struct SandboxRegistryOptions {
  /// EmulatorOptions::unsafe_host_filesystem: run Sandboxes on the host's file system
  /// where they cannot be isolated, instead of refusing them.
  bool unsafe_host_filesystem = false;
  /// EmulatorOptions::fs_tools_path, resolved (empty: none).
  std::string fs_tools{};
  /// runtime::RuntimeOptions::hidden_dirs.
  std::vector<std::string> hidden_dirs{};
};

/**
 * All sandboxes of one emulator and the process runtime that runs them. Finished
 * sandboxes stay (for wait/poll/logs) until the emulator stops; names are released when
 * a sandbox finishes. Owned by Core (Core::sandboxes()); shutdown() (a Core shutdown hook)
 * kills every process. Thread-safe.
 */
class SandboxRegistry {
 public:
  /// Receives a line for the emulator's verbose log.
  using Logger = std::function<void(std::string_view line)>;
  using Options = SandboxRegistryOptions;

  explicit SandboxRegistry(Logger log, Options options = {});
  ~SandboxRegistry();
  SandboxRegistry(SandboxRegistry const&) = delete;
  SandboxRegistry& operator=(SandboxRegistry const&) = delete;

  /// Starts a sandbox. ALREADY_EXISTS if `definition.name` is taken by a running sandbox
  /// of the App; UNAVAILABLE during shutdown; FAILED_PRECONDITION when Sandboxes cannot
  /// be isolated here (saying why and naming --unsafe-host-filesystem); INTERNAL for
  /// system failures. Memory and CPU limits (Resources.memory_mb_max, milli_cpu_max) are
  /// enforced where the runtime can (runtime::Runtime::resource_limits_status), a blocked
  /// network (block_network or NetworkAccess BLOCKED) by a network namespace. A missing
  /// entrypoint executable or workdir is not an error here: the sandbox finishes at once
  /// with exit code 127 / 126 and the reason on its stderr (as a container would).
  absl::StatusOr<std::shared_ptr<SandboxRecord>> create(SandboxLaunch launch);

  std::shared_ptr<SandboxRecord> find(std::string_view sandbox_id) const;
  std::shared_ptr<SandboxRecord> find_by_task(std::string_view task_id) const;
  /// find(), or NOT_FOUND "Sandbox '<id>' not found".
  absl::StatusOr<std::shared_ptr<SandboxRecord>> get(std::string_view sandbox_id) const;
  /// find_by_task(), or NOT_FOUND "Task '<id>' not found".
  absl::StatusOr<std::shared_ptr<SandboxRecord>> get_by_task(std::string_view task_id) const;
  /// The running sandbox named `name` in App `app_id`, or nullptr.
  std::shared_ptr<SandboxRecord> find_by_name(std::string_view app_id, std::string_view name) const;
  /// Every sandbox, newest first.
  std::vector<std::shared_ptr<SandboxRecord>> list() const;

  /// The process runtime, created on first use; nullptr once shutting down.
  runtime::Runtime* runtime();
  bool shutting_down() const { return shutting_down_.load(); }
  /// Kills every sandbox, stops probes and wakes waiters. Idempotent.
  void shutdown();

 private:
  /// Reserves the definition's name (ALREADY_EXISTS if a running Sandbox of the App holds
  /// it) and returns a creation time later than every earlier one.
  absl::StatusOr<double> reserve(std::string const& id, SandboxLaunch const& launch,
                                 std::string const& name);
  void release_name(SandboxRecord const& rec);
  static runtime::SandboxSpec sandbox_spec(std::string const& id, std::string const& task_id,
                                           SandboxLaunch const& launch);
  /// Starts the process tree of `rec`. A failed entrypoint is not an error: the result it
  /// finished with (127 / 126, the reason on its stderr log).
  absl::StatusOr<std::optional<modal::client::GenericResult>> start(SandboxRecord& rec,
                                                                    runtime::SandboxSpec spec);
  /// Follows a started Sandbox: its result, readiness (probe) and the log line.
  void watch(std::shared_ptr<SandboxRecord> const& rec);
  void start_prober(std::shared_ptr<SandboxRecord> const& rec);

  Logger const log_;
  Options const options_;
  std::atomic<bool> shutting_down_{false};

  std::mutex runtime_mu_;
  std::unique_ptr<runtime::Runtime> runtime_;  // guarded by runtime_mu_
  std::mutex probers_mu_;
  std::vector<std::jthread> probers_;  // readiness probe loops; guarded by probers_mu_

  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<SandboxRecord>, std::less<>> by_id_;
  std::map<std::string, std::shared_ptr<SandboxRecord>, std::less<>> by_task_;
  /// (app id, name) of running sandboxes -> sandbox id (also reserved during create).
  std::map<std::pair<std::string, std::string>, std::string, std::less<>> names_;
  double last_created_at_ = 0;
};

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_STORE_SANDBOX_REGISTRY_H
