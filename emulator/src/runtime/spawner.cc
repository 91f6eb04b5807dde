// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "runtime/spawner.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace modal::emulator::runtime::internal {
namespace {

constexpr size_t kStackSize = size_t{512} << 10;

// The child code runs on a private stack in a process sharing our address space; keep
// sanitizer instrumentation (which assumes the thread's own stack) out of it.
#if defined(__clang__) || defined(__GNUC__)
#define MODAL_CHILD_CODE __attribute__((no_sanitize("address", "thread", "undefined")))
#else
#define MODAL_CHILD_CODE
#endif

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
  volatile int proc_mounted{};
};

[[noreturn]] MODAL_CHILD_CODE void child_fail(ChildContext* c, char const* step) {
  c->error = errno != 0 ? errno : EINVAL;
  c->step = step;
  _exit(127);
}

// Runs in the child (shared address space, parent suspended): syscalls only.
MODAL_CHILD_CODE int child_main(void* arg) {
  auto* c = static_cast<ChildContext*>(arg);
  SpawnRequest const& r = *c->request;

  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < _NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &dfl, nullptr);
  }
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) child_fail(c, "prctl(PR_SET_PDEATHSIG)");
  if (r.kind == SpawnRequest::Kind::kNewNamespaces) {
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      child_fail(c, "mount --make-rprivate /");
    }
    if (!r.tmp_source.empty() &&
        mount(r.tmp_source.c_str(), "/tmp", nullptr, MS_BIND, nullptr) != 0) {
      child_fail(c, "bind-mount /tmp");
    }
    if (r.mount_proc &&
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) == 0) {
      c->proc_mounted = 1;
    }
  }
  if (setsid() < 0) child_fail(c, "setsid");
  if (r.controlling_tty && ioctl(r.stdio[0], TIOCSCTTY, 0) != 0) child_fail(c, "TIOCSCTTY");
  for (int fd = 0; fd < 3; ++fd) {
    if (dup2(r.stdio[fd], fd) < 0) child_fail(c, "dup2");
  }
  // Nothing else leaks into the process, even fds opened without O_CLOEXEC elsewhere.
  syscall(SYS_close_range, 3U, ~0U, 0U);
  if (!r.workdir.empty() && chdir(r.workdir.c_str()) != 0) child_fail(c, "chdir");
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  if (r.pause_forever) {
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

// Runs in the first child of kJoinNamespaces: enters the namespaces, then creates the
// real process as a sibling (CLONE_PARENT), so that the runtime is its parent.
MODAL_CHILD_CODE int intermediate_main(void* arg) {
  auto* c = static_cast<ChildContext*>(arg);
  SpawnRequest const& r = *c->request;
  if (setns(r.mnt_ns_fd, CLONE_NEWNS) != 0) child_fail(c, "setns(mnt)");
  if (setns(r.pid_ns_fd, CLONE_NEWPID) != 0) child_fail(c, "setns(pid)");
  pid_t const pid =
      clone(child_main, c->grandchild_stack, CLONE_VM | CLONE_VFORK | CLONE_PARENT | SIGCHLD, c);
  if (pid < 0) child_fail(c, "clone");
  c->grandchild = pid;
  _exit(0);
}

void reap(pid_t pid) {
  int status;
  while (waitpid(pid, &status, __WALL) < 0 && errno == EINTR) {
  }
}

}  // namespace

Spawner::Spawner() {
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
  c.proc_mounted = 0;

  int flags = CLONE_VM | CLONE_VFORK | SIGCHLD;
  int (*fn)(void*) = child_main;
  if (r.kind == SpawnRequest::Kind::kNewNamespaces) flags |= CLONE_NEWNS | CLONE_NEWPID;
  if (r.kind == SpawnRequest::Kind::kJoinNamespaces) fn = intermediate_main;
  if (r.pause_forever) flags &= ~(CLONE_VM | CLONE_VFORK);

  SpawnResult result;
  pid_t const pid = clone(fn, stacks_ + kStackSize, flags, &c);
  if (pid < 0) {
    result.error = errno;
    result.step = "clone";
    return result;
  }
  std::atomic_signal_fence(std::memory_order_seq_cst);
  pid_t child = pid;
  if (r.kind == SpawnRequest::Kind::kJoinNamespaces) {
    reap(pid);  // the intermediate exits right after creating the real process
    child = c.grandchild;
  }
  if (c.error != 0) {
    if (child > 0) reap(child);
    result.error = c.error;
    result.step = c.step != nullptr ? c.step : "spawn";
    return result;
  }
  result.pid = child;
  result.proc_mounted = c.proc_mounted != 0;
  return result;
}

}  // namespace modal::emulator::runtime::internal
