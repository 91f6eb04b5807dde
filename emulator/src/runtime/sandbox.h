// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_RUNTIME_SANDBOX_H
#define MODAL_EMULATOR_RUNTIME_SANDBOX_H

#include <sys/types.h>

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
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/cgroups.h"
#include "runtime/input_sink.h"
#include "runtime/output_buffer.h"
#include "runtime/process.h"
#include "runtime/spawner.h"
#include "runtime/tree_copy.h"
#include "runtime/types.h"
#include "runtime/unique_fd.h"

namespace modal::emulator::runtime {

/// A Volume (or one directory of it) bound into a sandbox: see SandboxSpec::volumes.
struct VolumeMount {
  /// A detached bind mount of the Volume's directory (open_volume_tree(), runtime/
  /// volume_tree.h), already read-only when the mount is. Shared: a spec may be copied,
  /// and the mount is moved into the one sandbox started from it.
  std::shared_ptr<internal::UniqueFd> tree{};
  /// Absolute, not "/"; created (with its parents) in the sandbox's root when missing.
  std::string mount_path{};
};

struct SandboxSpec {
  /// Names the sandbox's state directory (<state_dir>/<id>); any string (sanitized).
  std::string id{};
  /// Entrypoint argv; empty = an idle placeholder (`sleep infinity`) until terminated.
  std::vector<std::string> argv{};
  /// Environment of the entrypoint and base environment of every exec (env + secrets).
  std::map<std::string, std::string> env{};
  /// Working directory of the entrypoint and default for execs. "" = /tmp, i.e. the
  /// sandbox's private tmp (its host directory when not isolated).
  std::string workdir{};
  /// Enforced through a cgroup when the machine allows (Runtime::resource_limits_status),
  /// else recorded only.
  ResourceLimits limits{};
  /// A network namespace with only a loopback interface of its own (isolated sandboxes).
  bool block_network = false;
  std::optional<PtyOptions> pty{};
  /// Lifetime limit → SandboxOutcome::kTimeout.
  std::optional<std::chrono::milliseconds> timeout{};
  /// Idle limit → SandboxOutcome::kIdleTimeout. Idle = no exec running and no activity
  /// (exec start/exit, entrypoint output, stdin, touch()) for this long.
  std::optional<std::chrono::milliseconds> idle_timeout{};
  /// Entrypoint logs (SandboxGetLogs): by default never block the sandbox, keep the
  /// newest 16 MiB per stream.
  OutputBufferOptions log_options{size_t{16} << 20, OverflowPolicy::kDropOldest, 0};
  InputSinkOptions stdin_options{};
  /// Image layers below the sandbox's writes, topmost first, each a host directory in
  /// overlayfs upper-directory form (whiteouts, opaque markers), all above the host's /
  /// (sandbox_root.h). Isolated sandboxes only: without isolation a sandbox with layers
  /// fails to start (FAILED_PRECONDITION).
  std::vector<std::string> layers{};
  /// An image's own root file system (a host directory: an unpacked image, see
  /// image_unpack.h) as the bottom layer instead of the host's /, so that nothing of the
  /// host's shows ("" = the host's /). Isolated sandboxes only, like `layers`; the idle
  /// placeholder entrypoint is then built in (the image may have no sleep).
  std::string rootfs{};
  /// The image's USER (`name`, `uid`, optionally `:group`), resolved in the sandbox's
  /// own /etc/passwd and /etc/group (runtime/user.h): its entrypoint and execs run as
  /// that user. "" = root. INVALID_ARGUMENT when it cannot be resolved.
  std::string user{};
  /// Volumes mounted in the sandbox's own root after its pivot_root (paths resolve inside
  /// the sandbox: its own symbolic links cannot point a mount at the host), parents
  /// before children. Isolated sandboxes only: without isolation a sandbox with Volumes
  /// fails to start (FAILED_PRECONDITION). A mount path that cannot be made (a component
  /// is a file, a read-only directory) is INVALID_ARGUMENT.
  std::vector<VolumeMount> volumes{};
  /// The network namespace to run in instead of the host's (a duplicate of another
  /// sandbox's, Sandbox::dup_network_namespace(), taking ownership): how a sidecar shares
  /// its Sandbox's network. Its processes and execs then reach the other sandbox's on
  /// 127.0.0.1, and network_blocked() is true. Isolated sandboxes only (else
  /// FAILED_PRECONDITION); INVALID_ARGUMENT together with block_network.
  std::shared_ptr<internal::UniqueFd> network_namespace{};
};

enum class SandboxOutcome {
  /// The entrypoint exited by itself (status = its exit status).
  kExited,
  /// terminate() (SandboxTerminate): everything SIGKILLed; exit code 137.
  kTerminated,
  /// Lifetime timeout (GENERIC_STATUS_TIMEOUT).
  kTimeout,
  /// Idle timeout (GENERIC_STATUS_IDLE_TIMEOUT).
  kIdleTimeout,
};

struct SandboxResult {
  SandboxOutcome outcome = SandboxOutcome::kExited;
  /// The entrypoint's exit status (signal 9 when the runtime killed it).
  ExitStatus status{};
  int exit_code() const { return status.exit_code(); }
};

/**
 * A sandbox: a local process tree sharing one set of namespaces, created by
 * Runtime::create_sandbox. When isolated, the entrypoint is the init of new mount, PID,
 * IPC and UTS namespaces (and a network namespace with only loopback when the network is
 * blocked), its root an overlay of the host's / with the sandbox's writes in
 * host_upper_dir() (see sandbox_root.h), its capabilities reduced; execs join all of
 * them, so they see the same root; when the entrypoint dies the kernel kills everything
 * left in it, including when the emulator itself dies (PDEATHSIG on the init).
 * Otherwise (the unsafe fallback) the processes are plain process groups on the host's
 * file system, killed explicitly.
 *
 * The sandbox finishes when its entrypoint exits (or is killed): every remaining
 * process is killed, result() becomes available, on_finished callbacks run and the
 * sandbox's directory (upper layer, /tmp) and cgroup are removed.
 *
 * Thread-safe.
 */
class Sandbox : public std::enable_shared_from_this<Sandbox> {
 public:
  ~Sandbox();
  Sandbox(Sandbox const&) = delete;
  Sandbox& operator=(Sandbox const&) = delete;

  std::string const& id() const { return id_; }
  /// Own namespaces and overlay root (false = the unsafe fallback).
  bool isolated() const { return isolated_; }
  /// Host directory backing the sandbox's private /tmp (exists while it runs).
  std::string const& host_tmp_dir() const { return host_tmp_dir_; }
  /// Host directory holding the sandbox's writes to its root (the overlay's upper
  /// layer; exists while it runs). "" when not isolated.
  std::string host_upper_dir() const;
  /// Host directory of all the sandbox's state (removed when it finishes).
  std::string const& host_state_dir() const { return state_dir_; }
  /// The cgroup enforcing its resource limits, "" when they are only recorded.
  std::string const& cgroup() const { return cgroup_path_; }
  /// In a network namespace of its own (only loopback).
  bool network_blocked() const { return network_blocked_; }
  /// A duplicate of its network namespace's fd (close it), -1 when it has none of its own
  /// or has finished: where a TCP readiness probe connects from.
  int dup_network_namespace() const;
  std::string const& workdir() const { return workdir_; }
  /// Environment after defaults (PATH, HOME) were applied.
  std::map<std::string, std::string> const& env() const { return env_; }
  /// Host pid of the entrypoint (the namespace init when isolated).
  pid_t pid() const { return entrypoint_->pid(); }

  /// The entrypoint process; its stdout/stderr buffers are the sandbox logs.
  Process& entrypoint() const { return *entrypoint_; }
  std::shared_ptr<Process> entrypoint_process() const { return entrypoint_; }
  OutputBuffer& stdout_buffer() const { return entrypoint_->stdout_buffer(); }
  OutputBuffer& stderr_buffer() const { return entrypoint_->stderr_buffer(); }
  /// SandboxStdinWrite: index-addressed stdin of the entrypoint; counts as activity.
  absl::Status write_stdin(uint64_t index, std::string_view data, bool eof,
                           Deadline deadline = kNoDeadline);
  /// SandboxStdinWriteV2: offset-addressed stdin of the entrypoint (InputSink::write: a
  /// retried write skips what was accepted, a gap is OUT_OF_RANGE); counts as activity.
  /// A Sandbox takes one of the two forms of stdin, never both.
  absl::Status write_stdin_at(uint64_t offset, std::string_view data, bool eof,
                              Deadline deadline = kNoDeadline);
  IndexedInput& stdin_input() { return stdin_input_; }

  /// TaskExecStart: runs `spec` inside the sandbox (its namespaces, env laid over the
  /// sandbox env, workdir defaulting to the sandbox's). FAILED_PRECONDITION once the
  /// sandbox has finished; NOT_FOUND when the command does not exist; INVALID_ARGUMENT
  /// for a bad workdir or spec.
  absl::StatusOr<std::shared_ptr<Process>> exec(ProcessSpec spec);

  /// SandboxTerminate: SIGKILLs every process (result kTerminated unless it already
  /// finished). Returns at once; wait() for the result.
  void terminate();
  std::optional<SandboxResult> result() const;
  std::optional<SandboxResult> wait(Deadline deadline = kNoDeadline) const;
  bool finished() const { return result().has_value(); }

  /// Records activity (resets the idle timer).
  void touch();

  /// Freezes the sandbox's file system into a new layer at `dest` (a host path that must
  /// not exist yet): a copy of its upper directory (its writes to the image, deletions as
  /// whiteouts) with its private /tmp, whole, under tmp/ (see SandboxSpec::layers, and
  /// Engine::create_sandbox, which seeds /tmp from the topmost layer that has one).
  /// FAILED_PRECONDITION when it is not isolated or has finished. Concurrent writes of
  /// the sandbox may or may not be captured; if it finishes meanwhile, the copy completes
  /// (its directory is removed after it).
  absl::Status snapshot_to_layer(std::string const& dest, TreeCopyStats* stats = nullptr);
  /// TaskSnapshotDirectory: copies the directory `path` into a new layer at `dest` (a host
  /// path that must not exist yet), the layer's root being the directory's contents as the
  /// sandbox's processes see them (mounts below it included). `path` is absolute and
  /// resolved inside the sandbox's root: symbolic links never lead outside it. Contents of
  /// kernel file systems below it (proc, sysfs, ...) are left out. INVALID_ARGUMENT for a
  /// relative path or one that is not a directory, NOT_FOUND when it does not exist,
  /// FAILED_PRECONDITION when the sandbox is not isolated or has finished.
  absl::Status snapshot_directory_to_layer(std::string const& path, std::string const& dest,
                                           TreeCopyStats* stats = nullptr);
  /// TaskMountDirectory: mounts an overlay of `layers` (topmost first; none = an empty
  /// directory) at `path` (absolute, not "/"; created with its parents when missing) in
  /// the sandbox's mount namespace. Writable: writes land in a directory of the
  /// sandbox's own, gone with unmount_layers() or the sandbox. ALREADY_EXISTS when
  /// mount_layers() already mounted something there; INVALID_ARGUMENT for a bad path
  /// (relative, "/", a component that is not a directory); FAILED_PRECONDITION when the
  /// sandbox is not isolated or has finished.
  absl::Status mount_layers(std::string const& path, std::vector<std::string> const& layers);
  /// TaskUnmountDirectory: detaches the mount_layers() mount at `path`, and those of
  /// mount_layers() below it. NOT_FOUND when mount_layers() mounted nothing there.
  absl::Status unmount_layers(std::string const& path);
  /// Where mount_layers() mounts are, sorted.
  std::vector<std::string> layer_mounts() const;
  /// Number of exec processes still running.
  int running_execs() const;

  /// Runs `callback` once with the result (on the runtime's I/O thread, or right away if
  /// already finished). Must not block.
  void on_finished(std::function<void(SandboxResult const&)> callback);

 private:
  friend class internal::Engine;
  Sandbox(std::weak_ptr<internal::Engine> engine, std::string id, bool isolated,
          std::string state_dir, std::string host_tmp_dir, std::string workdir,
          std::map<std::string, std::string> env, std::shared_ptr<Process> entrypoint,
          std::shared_ptr<std::atomic<int64_t>> last_activity);
  void terminate_with(SandboxOutcome outcome);
  /// Keeps the state directory (upper, tmp, mounts) from being removed while a snapshot
  /// or mount uses it (false: the sandbox has finished); release_state() after.
  bool hold_state();
  void release_state();
  /// The mount namespace fd (a duplicate, or an invalid fd once finished).
  internal::UniqueFd dup_mount_namespace() const;
  void finish(ExitStatus const& status);
  void check_idle();

  std::weak_ptr<internal::Engine> const engine_;
  std::string const id_;
  bool const isolated_;
  std::string const state_dir_;
  std::string const host_tmp_dir_;
  std::string const workdir_;
  std::map<std::string, std::string> const env_;
  std::shared_ptr<Process> const entrypoint_;
  IndexedInput stdin_input_;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::optional<SandboxOutcome> pending_outcome_;
  std::optional<SandboxResult> result_;
  bool finishing_ = false;
  /// The namespaces execs join (setns order: the mount namespace last).
  std::vector<internal::NamespaceFd> namespaces_;
  /// The sandbox's devpts instance: where exec terminals come from.
  int devpts_fd_ = -1;
  std::unique_ptr<internal::SandboxCgroup> cgroup_;
  std::string cgroup_path_;
  bool network_blocked_ = false;
  std::vector<std::weak_ptr<Process>> execs_;
  int running_execs_ = 0;
  std::vector<std::function<void(SandboxResult const&)>> finished_callbacks_;
  /// Snapshots copying the state directory (guarded by mu_): finish() leaves its removal
  /// to the last of them (remove_pending_) instead of waiting on the I/O thread.
  int snapshots_running_ = 0;
  bool remove_pending_ = false;
  /// mount_layers() mounts by path in the sandbox: their directory (upper, work) under
  /// mounts/ and their order.
  struct LayerMount {
    std::string dir;
    uint64_t seq = 0;
  };
  std::map<std::string, LayerMount> layer_mounts_;
  uint64_t next_mount_ = 0;
  std::optional<std::chrono::milliseconds> idle_timeout_;
  /// The user its processes run as (SandboxSpec::user; -1 = root, unchanged).
  int64_t uid_ = -1;
  int64_t gid_ = -1;
  std::vector<gid_t> groups_;
  uint64_t lifetime_timer_ = 0;
  uint64_t idle_timer_ = 0;
  /// Steady-clock nanoseconds of the last activity (shared with the output pumps).
  std::shared_ptr<std::atomic<int64_t>> const last_activity_;
};

}  // namespace modal::emulator::runtime

#endif  // MODAL_EMULATOR_RUNTIME_SANDBOX_H
