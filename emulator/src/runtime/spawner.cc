// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "runtime/spawner.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <system_error>

// ThreadSanitizer does not support clone(CLONE_VM): a TSan build forks instead.
#if defined(MODAL_TSAN) || defined(__SANITIZE_THREAD__)
#define MODAL_SPAWN_FORKS 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MODAL_SPAWN_FORKS 1
#endif
#endif
#ifndef MODAL_SPAWN_FORKS
#define MODAL_SPAWN_FORKS 0
#endif

namespace modal::emulator::runtime::internal {
namespace {

constexpr size_t kStackSize = size_t{512} << 10;

// The child code runs on a private stack in a process sharing our address space (or, in
// the fork path, in a copy of it); keep sanitizer instrumentation (which assumes the
// thread's own stack and shadow state) out of it.
#if defined(__clang__) || defined(__GNUC__)
#define MODAL_CHILD_CODE __attribute__((no_sanitize("address", "thread", "undefined")))
#else
#define MODAL_CHILD_CODE
#endif

/// What a forked child sends through the report pipe (one write, < PIPE_BUF: atomic).
struct Report {
  enum Kind : int { kError = 1, kPid = 2 };
  int kind{};
  int error{};
  pid_t pid{};
  char step[116]{};
};

struct ChildContext {
  SpawnRequest const* request{};
  char* const* argv{};
  char* const* envp{};
  char const* const* paths{};
  size_t path_count{};
  char* grandchild_stack{};
  volatile int error{};
  char const* volatile step{};
  volatile pid_t grandchild{};
  /// Fork path: the write end of the report pipe (close-on-exec); -1 otherwise.
  int report_fd{};
};

[[noreturn]] MODAL_CHILD_CODE void child_exit(int code) {
  // Not _exit(): under TSan that runs the runtime's finalization in the child.
  syscall(SYS_exit_group, code);
  for (;;) {
  }
}

MODAL_CHILD_CODE void child_report(ChildContext* c, Report const& report) {
  if (c->report_fd < 0) return;
  while (syscall(SYS_write, c->report_fd, &report, sizeof report) < 0 && errno == EINTR) {
  }
}

[[noreturn]] MODAL_CHILD_CODE void child_fail(ChildContext* c, char const* step) {
  int const err = errno != 0 ? errno : EINVAL;
  c->error = err;
  c->step = step;
  Report report;
  report.kind = Report::kError;
  report.error = err;
  report.pid = -1;
  size_t i = 0;
  for (; step[i] != '\0' && i + 1 < sizeof report.step; ++i) report.step[i] = step[i];
  report.step[i] = '\0';
  child_report(c, report);
  child_exit(127);
}

MODAL_CHILD_CODE char const* or_null(std::string const& s) {
  return s.empty() ? nullptr : s.c_str();
}

// One step of the root file system (see MountStep). False (errno set) on failure.
MODAL_CHILD_CODE bool run_step(MountStep const& s) {
  char const* const target = s.target.c_str();
  switch (s.op) {
    case MountStep::Op::kMount:
      if (mount(or_null(s.source), target, or_null(s.fstype), s.flags, or_null(s.data)) == 0) {
        return true;
      }
      return !s.fallback_data.empty() && mount(or_null(s.source), target, or_null(s.fstype),
                                               s.flags, s.fallback_data.c_str()) == 0;
    case MountStep::Op::kBindReadOnly: {
      if (mount(s.source.c_str(), target, nullptr, MS_BIND, nullptr) != 0) return false;
      if (mount(nullptr, target, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | s.flags, nullptr) ==
          0) {
        return true;
      }
      int const err = errno;
      umount2(target, MNT_DETACH);  // never leave it writable
      errno = err;
      return false;
    }
    case MountStep::Op::kDevice: {
      if (mknod(target, s.mode, s.device) == 0) return true;
      int const fd = open(target, O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
      if (fd < 0) return false;
      close(fd);
      return mount(s.source.c_str(), target, nullptr, MS_BIND, nullptr) == 0;
    }
    case MountStep::Op::kMkdir:
      return mkdir(target, s.mode) == 0 || errno == EEXIST;
    case MountStep::Op::kFile: {
      int const fd = open(target, O_CREAT | O_WRONLY | O_CLOEXEC, s.mode);
      if (fd < 0) return false;
      close(fd);
      return true;
    }
    case MountStep::Op::kSymlink:
      return symlink(s.source.c_str(), target) == 0;
    case MountStep::Op::kMoveMount:
      return move_mount(s.fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) == 0;
    case MountStep::Op::kPivotRoot:
      // pivot_root(".", ".") stacks the old root on the new one; detaching it leaves the
      // new root alone (no directory for the old root needed).
      return chdir(target) == 0 && syscall(SYS_pivot_root, ".", ".") == 0 &&
             umount2(".", MNT_DETACH) == 0 && chdir("/") == 0;
    case MountStep::Op::kUnmount:
      return umount2(target, MNT_DETACH) == 0;
  }
  errno = EINVAL;
  return false;
}

MODAL_CHILD_CODE bool bring_up_loopback() {
  int const fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof ifr);
  ifr.ifr_name[0] = 'l';
  ifr.ifr_name[1] = 'o';
  bool ok = ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
  if (ok) {
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
    ok = ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
  }
  int const err = errno;
  close(fd);
  errno = err;
  return ok;
}

// Keeps only the capabilities in `keep`: the bounding set (so that no exec regains the
// others, also for uid 0), the ambient set, and the effective/permitted/inheritable sets.
MODAL_CHILD_CODE bool drop_capabilities(uint64_t keep) {
  if (keep == ~uint64_t{0}) return true;
  for (int cap = 0; cap < 64; ++cap) {
    if ((keep & (uint64_t{1} << cap)) != 0) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
      if (errno == EINVAL) break;  // past CAP_LAST_CAP
      return false;
    }
  }
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);  // EINVAL before Linux 4.3
  struct __user_cap_header_struct header;
  header.version = _LINUX_CAPABILITY_VERSION_3;
  header.pid = 0;
  struct __user_cap_data_struct data[2];
  std::memset(data, 0, sizeof data);
  if (syscall(SYS_capget, &header, data) != 0) return false;
  for (int i = 0; i < 2; ++i) {
    auto const mask = static_cast<uint32_t>(keep >> (32 * i));
    data[i].effective &= mask;
    data[i].permitted &= mask;
    data[i].inheritable &= mask;
  }
  return syscall(SYS_capset, &header, data) == 0;
}

MODAL_CHILD_CODE void enter_namespaces(ChildContext* c);

// Runs in the child (shared address space and parent suspended, or a forked copy):
// syscalls only.
[[noreturn]] MODAL_CHILD_CODE void child_main(ChildContext* c) {
  SpawnRequest const& r = *c->request;

  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < _NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &dfl, nullptr);
  }
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) child_fail(c, "prctl(PR_SET_PDEATHSIG)");
  // First, so that everything it allocates (also while setting up) is charged there.
  if (r.cgroup_procs_fd >= 0 && write(r.cgroup_procs_fd, "0", 1) != 1) {
    child_fail(c, "move into the sandbox's cgroup");
  }
  if (r.kind == SpawnRequest::Kind::kNewNamespaces) {
    enter_namespaces(c);                   // before the mounts: nothing of them depends on it
    mode_t const umask_before = umask(0);  // modes in the steps are exact
    for (MountStep const& step : r.mounts) {
      if (!run_step(step) && !step.optional && !(step.unless_missing && errno == ENOENT)) {
        child_fail(c, step.what.c_str());
      }
    }
    umask(umask_before);
    if (r.loopback_up && !bring_up_loopback()) child_fail(c, "bring up the loopback interface");
  }
  if (setsid() < 0) child_fail(c, "setsid");
  if (r.controlling_tty && ioctl(r.stdio[0], TIOCSCTTY, 0) != 0) child_fail(c, "TIOCSCTTY");
  for (int fd = 0; fd < 3; ++fd) {
    if (dup2(r.stdio[fd], fd) < 0) child_fail(c, "dup2");
  }
  // Nothing else leaks into the process, even fds opened without O_CLOEXEC elsewhere
  // (the report pipe is close-on-exec and stays until the exec).
  if (c->report_fd >= 3) {
    if (c->report_fd > 3) syscall(SYS_close_range, 3U, static_cast<unsigned>(c->report_fd - 1), 0U);
    syscall(SYS_close_range, static_cast<unsigned>(c->report_fd + 1), ~0U, 0U);
  } else {
    syscall(SYS_close_range, 3U, ~0U, 0U);
  }
  if (!r.workdir.empty() && chdir(r.workdir.c_str()) != 0) child_fail(c, "chdir");
  if (!drop_capabilities(r.keep_capabilities)) child_fail(c, "drop capabilities");
  if (r.gid >= 0) {
    if (syscall(SYS_setgroups, r.groups.size(), r.groups.data()) != 0) {
      child_fail(c, "setgroups");
    }
    if (syscall(SYS_setresgid, r.gid, r.gid, r.gid) != 0) child_fail(c, "setgid");
  }
  if (r.uid >= 0 && syscall(SYS_setresuid, r.uid, r.uid, r.uid) != 0) child_fail(c, "setuid");
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  if (r.pause_forever) {
    if (c->report_fd >= 0) close(c->report_fd);  // the parent waits for its EOF
    for (;;) pause();
  }
  int err = ENOENT;
  for (size_t i = 0; i < c->path_count; ++i) {
    execve(c->paths[i], c->argv, c->envp);
    if (errno == EACCES) {
      err = EACCES;
    } else if (errno != ENOENT && errno != ENOTDIR) {
      err = errno;
      break;
    }
  }
  errno = err;
  child_fail(c, "exec");
}

MODAL_CHILD_CODE int child_entry(void* arg) { child_main(static_cast<ChildContext*>(arg)); }

// kRunSteps, in its only process (a vfork-like clone or a fork): enters the namespaces,
// runs the steps and exits.
[[noreturn]] MODAL_CHILD_CODE void steps_main(ChildContext* c) {
  enter_namespaces(c);
  for (MountStep const& step : c->request->mounts) {
    if (!run_step(step) && !step.optional && !(step.unless_missing && errno == ENOENT)) {
      child_fail(c, step.what.c_str());
    }
  }
  child_exit(0);
}

MODAL_CHILD_CODE int steps_entry(void* arg) { steps_main(static_cast<ChildContext*>(arg)); }

MODAL_CHILD_CODE char const* setns_step(int type) {
  switch (type) {
    case CLONE_NEWNS:
      return "setns(mnt)";
    case CLONE_NEWPID:
      return "setns(pid)";
    case CLONE_NEWNET:
      return "setns(net)";
    case CLONE_NEWIPC:
      return "setns(ipc)";
    case CLONE_NEWUTS:
      return "setns(uts)";
    default:
      return "setns";
  }
}

MODAL_CHILD_CODE void enter_namespaces(ChildContext* c) {
  for (NamespaceFd const& ns : c->request->join) {
    if (setns(ns.fd, ns.type) != 0) child_fail(c, setns_step(ns.type));
  }
}

// Runs in the first child of kJoinNamespaces: enters the namespaces, then creates the
// real process as a sibling (CLONE_PARENT), so that the runtime is its parent.
MODAL_CHILD_CODE int intermediate_main(void* arg) {
  auto* c = static_cast<ChildContext*>(arg);
  enter_namespaces(c);
  pid_t const pid =
      clone(child_entry, c->grandchild_stack, CLONE_VM | CLONE_VFORK | CLONE_PARENT | SIGCHLD, c);
  if (pid < 0) child_fail(c, "clone");
  c->grandchild = pid;
  child_exit(0);
}

constexpr int kSandboxNamespaces = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS;

// Fork path, first child of kNewNamespaces / kJoinNamespaces (single-threaded: a fork):
// gets the namespaces (unshare: the PID namespace applies to its children), then makes
// the real process a sibling with a fork-like raw clone(CLONE_PARENT) and reports its pid.
[[noreturn]] MODAL_CHILD_CODE void fork_intermediate(ChildContext* c) {
  SpawnRequest const& r = *c->request;
  if (r.kind == SpawnRequest::Kind::kNewNamespaces) {
    if (unshare(kSandboxNamespaces | r.extra_namespaces) != 0) child_fail(c, "clone");
  } else {
    enter_namespaces(c);
  }
  long const pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
  if (pid < 0) child_fail(c, "clone");
  if (pid == 0) child_main(c);
  Report report{};
  report.kind = Report::kPid;
  report.pid = static_cast<pid_t>(pid);
  child_report(c, report);
  child_exit(0);
}

void reap(pid_t pid) {
  int status;
  while (waitpid(pid, &status, __WALL) < 0 && errno == EINTR) {
  }
}

}  // namespace

bool Spawner::forks_by_default() { return MODAL_SPAWN_FORKS != 0; }

Spawner::Spawner(bool fork) : fork_(fork) {
  void* mem = mmap(nullptr, 2 * kStackSize, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (mem == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap");
  stacks_ = static_cast<char*>(mem);
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  thread_ = std::thread([this] { run(); });
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

Spawner::~Spawner() {
  stop();
  munmap(stacks_, 2 * kStackSize);
}

void Spawner::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

SpawnResult Spawner::spawn(SpawnRequest const& request) {
  std::lock_guard<std::mutex> call_lock(call_mu_);
  std::unique_lock<std::mutex> lock(mu_);
  if (stop_) {
    SpawnResult result;
    result.error = ESHUTDOWN;
    result.step = "spawn";
    return result;
  }
  pending_ = &request;
  done_ = false;
  cv_.notify_all();
  cv_.wait(lock, [&] { return done_; });
  return std::move(result_);
}

void Spawner::run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stop_ || pending_ != nullptr; });
    if (pending_ != nullptr) {
      SpawnRequest const* request = pending_;
      lock.unlock();
      SpawnResult result = do_spawn(*request);
      lock.lock();
      result_ = std::move(result);
      pending_ = nullptr;
      done_ = true;
      cv_.notify_all();
      continue;
    }
    if (stop_) break;
  }
}

namespace {

// A close-on-exec pipe for child reports, both ends above 2 (so that the child's dup2
// onto 0..2 never clobbers them).
bool report_pipe(int fds[2], SpawnResult& result) {
  if (pipe2(fds, O_CLOEXEC) != 0) {
    result.error = errno;
    result.step = "pipe";
    return false;
  }
  for (int i = 0; i < 2; ++i) {
    if (fds[i] < 3) {
      int const moved = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
      close(fds[i]);
      fds[i] = moved;
    }
  }
  return true;
}

// Reads reports until EOF: every copy of the write end is gone once the process has
// exec'd (close-on-exec), paused (closed) or exited. Closes `fd`.
void read_reports(int fd, pid_t* child, SpawnResult& result) {
  Report report;
  for (;;) {
    ssize_t const n = read(fd, &report, sizeof report);
    if (n < 0 && errno == EINTR) continue;
    if (n != static_cast<ssize_t>(sizeof report)) break;
    if (report.kind == Report::kPid) {
      *child = report.pid;
    } else if (result.error == 0) {
      result.error = report.error;
      report.step[sizeof report.step - 1] = '\0';
      result.step = report.step;
    }
  }
  close(fd);
}

}  // namespace

SpawnResult Spawner::do_spawn(SpawnRequest const& r) {
  std::vector<char*> argv;
  for (auto const& arg : r.args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto const& entry : r.env) envp.push_back(const_cast<char*>(entry.c_str()));
  envp.push_back(nullptr);
  std::vector<char const*> paths;
  for (auto const& path : r.exec_paths) paths.push_back(path.c_str());

  ChildContext c{};
  c.request = &r;
  c.argv = argv.data();
  c.envp = envp.data();
  c.paths = paths.data();
  c.path_count = paths.size();
  c.grandchild_stack = stacks_ + 2 * kStackSize;  // top of the second stack
  c.error = 0;
  c.step = nullptr;
  c.grandchild = -1;
  c.report_fd = -1;

  SpawnResult result;
  pid_t child = -1;
  if (fork_) {
    int pipe_fds[2];
    if (!report_pipe(pipe_fds, result)) return result;
    c.report_fd = pipe_fds[1];
    pid_t const pid = fork();
    if (pid == 0) {
      close(pipe_fds[0]);
      if (r.kind == SpawnRequest::Kind::kPlain) child_main(&c);
      if (r.kind == SpawnRequest::Kind::kRunSteps) steps_main(&c);
      fork_intermediate(&c);
    }
    int const fork_error = errno;
    close(pipe_fds[1]);
    if (pid < 0) {
      close(pipe_fds[0]);
      result.error = fork_error;
      result.step = "fork";
      return result;
    }
    if (r.kind == SpawnRequest::Kind::kPlain) child = pid;
    read_reports(pipe_fds[0], &child, result);
    if (r.kind != SpawnRequest::Kind::kPlain) reap(pid);  // the intermediate, or kRunSteps'
    if (r.kind == SpawnRequest::Kind::kRunSteps) {
      if (result.error == 0) result.pid = 0;
      return result;
    }
  } else {
    int flags = CLONE_VM | CLONE_VFORK | SIGCHLD;
    int (*fn)(void*) = child_entry;
    if (r.kind == SpawnRequest::Kind::kNewNamespaces) {
      flags |= kSandboxNamespaces | r.extra_namespaces;
    }
    if (r.kind == SpawnRequest::Kind::kJoinNamespaces) fn = intermediate_main;
    if (r.kind == SpawnRequest::Kind::kRunSteps) fn = steps_entry;
    // A process that never execs cannot share our memory; it reports through a pipe.
    int pipe_fds[2] = {-1, -1};
    if (r.pause_forever) {
      flags &= ~(CLONE_VM | CLONE_VFORK);
      if (!report_pipe(pipe_fds, result)) return result;
      c.report_fd = pipe_fds[1];
    }
    pid_t const pid = clone(fn, stacks_ + kStackSize, flags, &c);
    int const clone_error = errno;
    if (pipe_fds[1] >= 0) close(pipe_fds[1]);
    if (pid < 0) {
      if (pipe_fds[0] >= 0) close(pipe_fds[0]);
      result.error = clone_error;
      result.step = "clone";
      return result;
    }
    std::atomic_signal_fence(std::memory_order_seq_cst);
    child = pid;
    if (r.kind == SpawnRequest::Kind::kRunSteps) {
      reap(pid);  // it has exited: the vfork-like clone resumes us then
      if (c.error != 0) {
        result.error = c.error;
        result.step = c.step != nullptr ? c.step : "spawn";
      } else {
        result.pid = 0;
      }
      return result;
    }
    if (r.kind == SpawnRequest::Kind::kJoinNamespaces) {
      reap(pid);  // the intermediate exits right after creating the real process
      child = c.grandchild;
    }
    if (pipe_fds[0] >= 0) read_reports(pipe_fds[0], &child, result);
    if (c.error != 0 && result.error == 0) {
      result.error = c.error;
      result.step = c.step != nullptr ? c.step : "spawn";
    }
  }
  if (result.error != 0) {
    if (child > 0) reap(child);
    return result;
  }
  if (child <= 0) {
    result.error = ECHILD;
    result.step = "clone";
    return result;
  }
  result.pid = child;
  return result;
}

}  // namespace modal::emulator::runtime::internal
