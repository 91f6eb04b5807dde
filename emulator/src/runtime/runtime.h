// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_RUNTIME_RUNTIME_H
#define MODAL_EMULATOR_RUNTIME_RUNTIME_H

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/process.h"
#include "runtime/sandbox.h"
#include "runtime/types.h"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace modal::emulator::runtime {

namespace internal {
class Engine;
}  // namespace internal

enum class Isolation {
  /// Every sandbox in its own namespaces (mount, PID, IPC, UTS; network when blocked) on
  /// an overlay root (sandbox_root.h): needs root (CAP_SYS_ADMIN), overlayfs and Linux
  /// >= 5.2. Where that is unavailable, create_sandbox() refuses (FAILED_PRECONDITION,
  /// saying why) unless `unsafe_host_filesystem`, which falls back to plain process
  /// groups on the host's file system and logs a warning once.
  kAuto,
  /// Never create namespaces: plain process groups on the host's file system. Needs
  /// `unsafe_host_filesystem` (else create_sandbox() refuses); for tests of the fallback.
  kNone,
};

struct RuntimeOptions {
  /// Where the runtime makes its state directory, modal-emulator.<pid>.<start>.XXXXXX
  /// (removed by shutdown()), holding one directory per sandbox: the overlay's upper and
  /// work directories, the private /tmp. Empty: $TMPDIR, else /tmp. Directories of
  /// emulators that are gone (crashed) are removed when a runtime starts there.
  std::string state_dir{};
  Isolation isolation = Isolation::kAuto;
  /// Log destination; empty = a private stderr logger.
  std::shared_ptr<spdlog::logger> logger{};
  /// PATH / HOME given to processes whose environment lacks them. Empty: the emulator's
  /// own PATH / HOME, else the usual system PATH and "/root".
  std::string default_path{};
  std::string default_home{};
  /// Bound for shutdown() waiting for killed processes to be reaped.
  std::chrono::milliseconds shutdown_grace{5000};
  /// Detect exits through pidfds (Linux >= 5.3); false polls waitpid every 10 ms, which
  /// is also the automatic fallback when pidfd_open fails. For tests.
  bool use_pidfd = true;
  /// Idle sandboxes run a built-in pause() loop instead of `sleep infinity` (also the
  /// automatic fallback when no sleep binary exists). For tests.
  bool builtin_idle = false;
  /// Allow sandboxes on the host's own file system (no namespaces, no overlay) when
  /// isolation is unavailable or disabled (--unsafe-host-filesystem): their writes reach
  /// the host, and resource limits and network blocking are not enforced.
  bool unsafe_host_filesystem = false;
  /// For tests: a directory standing in for the cgroup v2 hierarchy (see
  /// internal::Cgroups). Empty: the machine's.
  std::string cgroup_root{};
  /// An executable bound read-only at /__modal/.bin/<its file name> in every isolated
  /// sandbox (the filesystem tool, modal-sandbox-fs-tools). Empty: none.
  std::string fs_tools{};
  /// For tests: create processes with fork, the path a ThreadSanitizer build always takes
  /// (see internal::Spawner), instead of clone(CLONE_VM | CLONE_VFORK).
  bool spawn_with_fork = false;
  /// More host directories covered by an empty read-only tmpfs in every isolated sandbox,
  /// as the state directory is (absolute, without symbolic links): where the emulator
  /// keeps Volumes, layers and its journal (EmulatorOptions::state_dir).
  std::vector<std::string> hidden_dirs{};
};

/**
 * Owner of every local process the emulator starts: one spawner thread (all forks, so
 * that PDEATHSIG is tied to a thread that lives as long as the runtime), one epoll I/O
 * thread (pipes, PTYs, pidfds, timers), the sandbox registry, the state directory and
 * the sandboxes' cgroups.
 *
 * shutdown() (and the destructor) SIGKILLs every sandbox and process it started, reaps
 * them, closes every stream (readers see EOF) and joins its threads. If the emulator
 * process dies instead, isolated sandboxes die with it (PDEATHSIG on the namespace
 * init; the kernel then kills the whole PID namespace); in fallback mode only processes
 * that are still direct children get PDEATHSIG.
 *
 * Do not waitpid(-1) elsewhere in the same process and do not set SIGCHLD to SIG_IGN:
 * the runtime reaps its own children by pid (a child reaped elsewhere reports code -1).
 * The constructor throws std::system_error if it cannot create its state directory or
 * threads. Thread-safe; do not call shutdown() from a runtime callback.
 */
class Runtime {
 public:
  explicit Runtime(RuntimeOptions options = {});
  ~Runtime();
  Runtime(Runtime const&) = delete;
  Runtime& operator=(Runtime const&) = delete;

  /// Starts a sandbox (entrypoint or idle placeholder). Errors: FAILED_PRECONDITION after
  /// shutdown or when isolation is unavailable (see Isolation; the message says why and
  /// names --unsafe-host-filesystem), NOT_FOUND for a missing command, INVALID_ARGUMENT
  /// for a bad workdir/spec, INTERNAL for system failures.
  absl::StatusOr<std::shared_ptr<Sandbox>> create_sandbox(SandboxSpec spec);
  /// Starts a plain host process outside any sandbox (same errors).
  absl::StatusOr<std::shared_ptr<Process>> start_process(ProcessSpec spec);

  /// Kills everything, reaps, closes streams, joins threads. Idempotent.
  void shutdown();

  /// Whether sandboxes get namespaces: nullopt until the first sandbox tried (kAuto).
  std::optional<bool> namespaces_available() const;
  /// OK when sandboxes' resource limits are enforced (cgroup v2 with the memory and cpu
  /// controllers, isolated sandboxes); otherwise FAILED_PRECONDITION saying why, and
  /// limits are only recorded. Detected on first use.
  absl::Status resource_limits_status() const;
  /// The state directory in use.
  std::string const& state_dir() const;
  /// Where image layers are kept (SandboxSpec::layers, Sandbox::snapshot_to_layer): the
  /// root of a tmpfs of the runtime's own, detached from every mount table (so nothing
  /// outlives the emulator), as a path that works in this process and in the sandboxes'
  /// mount steps. FAILED_PRECONDITION where it cannot be made. (Not a directory on the
  /// host's disk: overlayfs refuses a lower layer below another one, the host's /.)
  absl::StatusOr<std::string> layer_store();
  /// Processes started and not yet reaped (entrypoints included).
  size_t running_process_count() const;
  /// Sandboxes not yet finished.
  size_t running_sandbox_count() const;

 private:
  std::shared_ptr<internal::Engine> engine_;
};

}  // namespace modal::emulator::runtime

#endif  // MODAL_EMULATOR_RUNTIME_RUNTIME_H
