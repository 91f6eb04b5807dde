// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_RUNTIME_RUNTIME_H
#define MODAL_EMULATOR_RUNTIME_RUNTIME_H

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

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
  /// Private mount + PID namespaces per sandbox when the kernel allows it (root /
  /// CAP_SYS_ADMIN); otherwise fall back to plain process groups and log that once.
  kAuto,
  /// Never create namespaces (forces the fallback; for tests and restricted hosts).
  kNone,
};

struct RuntimeOptions {
  /// Root of per-sandbox state (<state_dir>/<sandbox>/tmp). Empty: a fresh
  /// $TMPDIR/modal-emulator-XXXXXX, removed by shutdown(). A given directory is created
  /// if needed and kept (its sandbox subdirectories are removed).
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
};

/**
 * Owner of every local process the emulator starts: one spawner thread (all forks, so
 * that PDEATHSIG is tied to a thread that lives as long as the runtime), one epoll I/O
 * thread (pipes, PTYs, pidfds, timers), the sandbox registry and the state directory.
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
  /// shutdown, NOT_FOUND for a missing command, INVALID_ARGUMENT for a bad workdir/spec,
  /// INTERNAL for system failures.
  absl::StatusOr<std::shared_ptr<Sandbox>> create_sandbox(SandboxSpec spec);
  /// Starts a plain host process outside any sandbox (same errors).
  absl::StatusOr<std::shared_ptr<Process>> start_process(ProcessSpec spec);

  /// Kills everything, reaps, closes streams, joins threads. Idempotent.
  void shutdown();

  /// Whether sandboxes get namespaces: nullopt until the first sandbox tried (kAuto).
  std::optional<bool> namespaces_available() const;
  /// The state directory in use.
  std::string const& state_dir() const;
  /// Processes started and not yet reaped (entrypoints included).
  size_t running_process_count() const;
  /// Sandboxes not yet finished.
  size_t running_sandbox_count() const;

 private:
  std::shared_ptr<internal::Engine> engine_;
};

}  // namespace modal::emulator::runtime

#endif  // MODAL_EMULATOR_RUNTIME_RUNTIME_H
