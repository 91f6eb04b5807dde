// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_RUNTIME_SPAWNER_H
#define MODAL_EMULATOR_RUNTIME_SPAWNER_H

#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace modal::emulator::runtime::internal {

/// One step of setting up a sandbox's root file system, run by the new sandbox's init
/// (syscalls only; sandbox_root.h builds the list). Paths are absolute host paths until
/// the kPivotRoot step.
struct MountStep {
  enum class Op {
    /// mount(source, target, fstype, flags, data); retried with `fallback_data` if that
    /// is set and the first attempt fails.
    kMount,
    /// Bind `source` onto `target`, then remount it read-only (keeping `flags`: nosuid,
    /// nodev, noexec). A bind that cannot be made read-only is undone.
    kBindReadOnly,
    /// mknod(target, mode, device); when that is refused, an empty file bind-mounted
    /// from `source`.
    kDevice,
    /// mkdir(target, mode); an existing directory is fine.
    kMkdir,
    /// An empty regular file (a mount point for a file).
    kFile,
    /// symlink(source, target).
    kSymlink,
    /// Attaches the detached mount `fd` (fsmount) at `target`.
    kMoveMount,
    /// Makes `target` the root: pivot_root(target, target), then detaches the old root.
    kPivotRoot,
    /// umount2(target, MNT_DETACH).
    kUnmount,
  };
  Op op = Op::kMount;
  std::string source{};
  std::string target{};
  std::string fstype{};
  std::string data{};
  std::string fallback_data{};
  unsigned long flags = 0;
  unsigned mode = 0;
  dev_t device = 0;
  int fd = -1;
  /// A failure skips the step instead of failing the spawn.
  bool optional = false;
  /// A failure because a path does not exist (ENOENT) skips the step.
  bool unless_missing = false;
  /// Names the step in errors ("mount overlay on /", ...).
  std::string what{};
};

/// A namespace to enter (setns) and its CLONE_NEW* type.
struct NamespaceFd {
  int fd = -1;
  int type = 0;
};

/// Everything a child needs, prepared before cloning (the child only makes syscalls).
struct SpawnRequest {
  enum class Kind {
    /// A plain process in its own session/process group.
    kPlain,
    /// The init of a new sandbox: new mount, PID, IPC and UTS namespaces (plus
    /// `extra_namespaces`), the root file system set up by `mounts`.
    kNewNamespaces,
    /// Enters the namespaces of `join` (in order; the mount namespace last, which also
    /// sets the root and working directory), then creates the process (double clone).
    kJoinNamespaces,
    /// Enters the namespaces of `join`, runs `mounts` there (paths resolve inside the
    /// namespace's root) and exits: no process is left (SpawnResult::pid is 0). How the
    /// runtime changes the mounts of a running sandbox.
    kRunSteps,
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
  /// kNewNamespaces: CLONE_NEW* flags beyond mount, PID, IPC and UTS (CLONE_NEWNET).
  int extra_namespaces = 0;
  /// kNewNamespaces: the root file system, step by step; kRunSteps: the steps to run.
  std::vector<MountStep> mounts{};
  /// kNewNamespaces: bring the loopback interface up (a new network namespace).
  bool loopback_up = false;
  /// kJoinNamespaces, kRunSteps: the namespaces to enter. kNewNamespaces: namespaces the
  /// new init enters first, instead of the ones it would otherwise share with the runtime
  /// (a network namespace of another sandbox, for a sidecar).
  std::vector<NamespaceFd> join{};
  /// >= 0: a cgroup.procs file the process writes "0" to (moving itself there) first.
  int cgroup_procs_fd = -1;
  /// Capabilities the process keeps (bit N = capability N); all bits set = no drop.
  uint64_t keep_capabilities = ~uint64_t{0};
  /// Instead of exec, pause() forever (forked copy, no exec).
  bool pause_forever = false;
  /// >= 0: the process runs as this user and group (after the capability drop; a uid
  /// other than 0 then has no capabilities left), with `groups` as its supplementary
  /// groups. -1: unchanged.
  int64_t uid = -1;
  int64_t gid = -1;
  std::vector<gid_t> groups{};
};

struct SpawnResult {
  /// Host pid of the new process (-1 on failure; 0 after kRunSteps).
  pid_t pid = -1;
  /// errno of the failing step, 0 on success.
  int error = 0;
  /// Which step failed ("exec", "chdir", "clone", "mount overlay on /", ...).
  std::string step{};
};

/**
 * Creates processes from one long-lived thread (all signals blocked), so that the
 * PR_SET_PDEATHSIG(SIGKILL) every child gets fires only when the runtime goes away
 * (PDEATHSIG follows the *thread* that forked).
 *
 * The fast path uses clone(CLONE_VM | CLONE_VFORK) like posix_spawn: no page-table copy,
 * the caller resumes once the child has exec'd, and setup/exec errors come back through
 * shared memory. ThreadSanitizer cannot follow a child that shares its address space,
 * so the fork path, the default of a TSan build (MODAL_TSAN, or __SANITIZE_THREAD__),
 * forks instead: the child reports errors (and the double clone's pid) through a
 * close-on-exec pipe, and new namespaces come from unshare() in an intermediate process.
 * Both paths run the same child code and give the same result.
 */
class Spawner {
 public:
  /// `fork`: the fork path (see above) instead of the fast one.
  explicit Spawner(bool fork = forks_by_default());
  ~Spawner();
  Spawner(Spawner const&) = delete;
  Spawner& operator=(Spawner const&) = delete;

  /// Thread-safe; blocks until the child has exec'd (or failed).
  SpawnResult spawn(SpawnRequest const& request);
  /// Joins the thread; later spawn() calls fail with ESHUTDOWN. Idempotent.
  void stop();
  /// Whether this build forks by default (a TSan build) instead of clone(CLONE_VM).
  static bool forks_by_default();

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
  bool const fork_;
  char* stacks_ = nullptr;
  std::thread thread_;
};

}  // namespace modal::emulator::runtime::internal

#endif  // MODAL_EMULATOR_RUNTIME_SPAWNER_H
