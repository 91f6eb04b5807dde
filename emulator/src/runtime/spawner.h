// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_RUNTIME_SPAWNER_H
#define MODAL_EMULATOR_RUNTIME_SPAWNER_H

#include <sys/types.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace modal::emulator::runtime::internal {

/// Everything a child needs, prepared before cloning (the child only makes syscalls).
struct SpawnRequest {
  enum class Kind {
    /// A plain process in its own session/process group.
    kPlain,
    /// The init of a new sandbox: new mount + PID namespaces, / made rprivate,
    /// `tmp_source` bind-mounted on /tmp, a fresh /proc.
    kNewNamespaces,
    /// Joins the mount and PID namespaces of `mnt_ns_fd` / `pid_ns_fd` (double clone).
    kJoinNamespaces,
  };
  Kind kind = Kind::kPlain;
  /// Candidates for execve, tried in order (PATH lookup done by the caller).
  std::vector<std::string> exec_paths{};
  std::vector<std::string> args{};
  /// "KEY=VALUE" entries: the complete environment.
  std::vector<std::string> env{};
  /// chdir target ("" = stay).
  std::string workdir{};
  /// The child's fds 0, 1, 2 (each must be >= 3 in the parent).
  int stdio[3] = {-1, -1, -1};
  /// stdio[0] is a PTY slave to make the controlling terminal.
  bool controlling_tty = false;
  std::string tmp_source{};
  bool mount_proc = true;
  int mnt_ns_fd = -1;
  int pid_ns_fd = -1;
  /// Instead of exec, pause() forever (forked copy, no exec).
  bool pause_forever = false;
};

struct SpawnResult {
  /// Host pid of the new process (-1 on failure).
  pid_t pid = -1;
  /// errno of the failing step, 0 on success.
  int error = 0;
  /// Which step failed ("exec", "chdir", "clone", "mount --make-rprivate /", ...).
  std::string step{};
  /// kNewNamespaces: a fresh /proc was mounted.
  bool proc_mounted = false;
};

/**
 * Creates processes from one long-lived thread (all signals blocked), so that the
 * PR_SET_PDEATHSIG(SIGKILL) every child gets fires only when the runtime goes away
 * (PDEATHSIG follows the *thread* that forked). Uses clone(CLONE_VM | CLONE_VFORK)
 * like posix_spawn: no page-table copy, the caller resumes once the child has exec'd,
 * and setup/exec errors come back through shared memory.
 */
class Spawner {
 public:
  Spawner();
  ~Spawner();
  Spawner(Spawner const&) = delete;
  Spawner& operator=(Spawner const&) = delete;

  /// Thread-safe; blocks until the child has exec'd (or failed).
  SpawnResult spawn(SpawnRequest const& request);
  /// Joins the thread; later spawn() calls fail with ESHUTDOWN. Idempotent.
  void stop();

 private:
  void run();
  SpawnResult do_spawn(SpawnRequest const& request);

  std::mutex call_mu_;
  std::mutex mu_;
  std::condition_variable cv_;
  SpawnRequest const* pending_ = nullptr;
  SpawnResult result_;
  bool done_ = false;
  bool stop_ = false;
  char* stacks_ = nullptr;
  std::thread thread_;
};

}  // namespace modal::emulator::runtime::internal

#endif  // MODAL_EMULATOR_RUNTIME_SPAWNER_H
