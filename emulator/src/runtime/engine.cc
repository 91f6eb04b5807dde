// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "runtime/engine.h"

#include <fcntl.h>
#include <pty.h>
#include <sched.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "runtime/sandbox_root.h"
#include "runtime/state_dir.h"
#include "runtime/unique_fd.h"
#include "runtime/user.h"

namespace modal::emulator::runtime::internal {
namespace {

constexpr size_t kMaxRead = size_t{1} << 20;
constexpr int kPipeSize = 1 << 20;
constexpr auto kPollInterval = std::chrono::milliseconds(10);

absl::Status errno_status(int err, std::string const& what) {
  return absl::InternalError(what + ": " + std::strerror(err));
}

// Moves `fd` to a number >= 3 so that the child's dup2 onto 0..2 never clobbers it.
absl::Status ensure_high(UniqueFd& fd) {
  if (fd.get() >= 3) return absl::OkStatus();
  int const moved = fcntl(fd.get(), F_DUPFD_CLOEXEC, 3);
  if (moved < 0) return errno_status(errno, "fcntl(F_DUPFD_CLOEXEC)");
  fd.reset(moved);
  return absl::OkStatus();
}

void set_nonblocking(int fd) {
  int const flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

void set_cloexec(int fd) {
  int const flags = fcntl(fd, F_GETFD);
  if (flags >= 0) fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

// pipe(): [0] read end, [1] write end, both O_CLOEXEC.
absl::Status make_pipe(UniqueFd* read_end, UniqueFd* write_end) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return errno_status(errno, "pipe2");
  read_end->reset(fds[0]);
  write_end->reset(fds[1]);
  return absl::OkStatus();
}

std::string sanitize_id(std::string_view id) {
  std::string out;
  for (char c : id) {
    bool const ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    out.push_back(ok ? c : '_');
  }
  if (out.empty() || out == "." || out == "..") out = "sandbox";
  return out;
}

std::string find_sleep() {
  for (char const* path : {"/usr/bin/sleep", "/bin/sleep"}) {
    if (access(path, X_OK) == 0) return path;
  }
  return {};
}

// Whether a failed isolated launch means the machine cannot isolate sandboxes (no
// permission for namespaces, no overlayfs, ...) rather than a problem of the command.
// The `what` of the mount steps of SandboxSpec::volumes: their failures are the spec's
// (a bad mount path), not the machine's.
constexpr char kVolumeMountPoint[] = "create the Volume mount point ";
constexpr char kVolumeMount[] = "mount a Volume at ";

bool is_volume_step(std::string_view step) {
  return step.starts_with(kVolumeMountPoint) || step.starts_with(kVolumeMount);
}

/// The steps that mount `volumes` after the pivot_root (paths inside the new root),
/// parents first: each mount point's directories, then the bind mount moved there.
std::vector<MountStep> volume_steps(std::vector<VolumeMount> const& volumes) {
  std::vector<VolumeMount const*> sorted;
  sorted.reserve(volumes.size());
  for (auto const& v : volumes) sorted.push_back(&v);
  std::stable_sort(sorted.begin(), sorted.end(), [](VolumeMount const* a, VolumeMount const* b) {
    return std::filesystem::path(a->mount_path).lexically_normal() <
           std::filesystem::path(b->mount_path).lexically_normal();
  });
  std::vector<MountStep> steps;
  for (VolumeMount const* v : sorted) {
    std::filesystem::path const target = std::filesystem::path(v->mount_path).lexically_normal();
    std::filesystem::path prefix("/");
    for (auto const& part : target.relative_path()) {
      if (part.empty()) continue;
      prefix /= part;
      MountStep mkdir;
      mkdir.op = MountStep::Op::kMkdir;
      mkdir.target = prefix.string();
      mkdir.mode = 0755;
      mkdir.what = absl::StrCat(kVolumeMountPoint, prefix.string());
      steps.push_back(std::move(mkdir));
    }
    MountStep attach;
    attach.op = MountStep::Op::kMoveMount;
    attach.fd = v->tree ? v->tree->get() : -1;
    attach.target = prefix.string();
    attach.what = absl::StrCat(kVolumeMount, prefix.string());
    steps.push_back(std::move(attach));
  }
  return steps;
}

bool is_isolation_failure(SpawnResult const& r) {
  if (is_volume_step(r.step)) return false;
  if (r.step == "clone") {
    return r.error == EPERM || r.error == EINVAL || r.error == ENOSPC || r.error == EUSERS ||
           r.error == ENOSYS || r.error == EACCES;
  }
  static constexpr std::string_view kProcessSteps[] = {"exec",
                                                       "chdir",
                                                       "dup2",
                                                       "setsid",
                                                       "TIOCSCTTY",
                                                       "spawn",
                                                       "fork",
                                                       "pipe",
                                                       "prctl(PR_SET_PDEATHSIG)",
                                                       "move into the sandbox's cgroup"};
  return std::find(std::begin(kProcessSteps), std::end(kProcessSteps), r.step) ==
         std::end(kProcessSteps);
}

absl::Status refusal(absl::string_view why) {
  return absl::FailedPreconditionError(absl::StrCat(
      "cannot start Sandboxes: they run in Linux namespaces on an overlay of the host's file "
      "system, so that they cannot change the host, and ",
      why,
      ". Run the emulator as root on Linux >= 5.2 with overlayfs, or start it with "
      "--unsafe-host-filesystem (EmulatorOptions::unsafe_host_filesystem) to run Sandboxes "
      "directly on the host's file system, where their writes reach the host"));
}

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

}  // namespace

Engine::Engine(RuntimeOptions options)
    : options_(std::move(options)),
      spawner_(options_.spawn_with_fork || Spawner::forks_by_default()) {
  logger_ = options_.logger;
  if (!logger_) {
    logger_ = std::make_shared<spdlog::logger>("modal-emulator-runtime",
                                               std::make_shared<spdlog::sinks::stderr_sink_mt>());
  }
  std::string base = options_.state_dir;
  if (base.empty()) {
    char const* tmpdir = std::getenv("TMPDIR");
    base = tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp";
  }
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  std::error_code ec;
  std::filesystem::create_directories(base, ec);
  if (ec) throw std::system_error(ec, "create state dir " + base);
  // Sandboxes see it at the same path: no symlinks on the way.
  base = std::filesystem::canonical(base, ec).string();
  if (ec) throw std::system_error(ec, "resolve state dir " + options_.state_dir);
  // Leftovers of crashed emulators: their sandboxes died with them (PDEATHSIG), their
  // upper layers did not.
  if (size_t const stale = remove_stale_state_dirs(base); stale > 0) {
    logger_->info("removed {} state director{} of emulators that are gone from {}", stale,
                  stale == 1 ? "y" : "ies", base);
  }
  auto dir = make_state_dir(base);
  if (!dir.ok()) throw std::system_error(EIO, std::generic_category(), dir.status().ToString());
  state_dir_ = *dir;
  hidden_dir_ = base == "/" ? state_dir_ : base;
  cgroups_ = std::make_unique<Cgroups>(options_.cgroup_root);
  default_path_ = options_.default_path;
  if (default_path_.empty()) {
    char const* path = std::getenv("PATH");
    default_path_ = path != nullptr && *path != '\0'
                        ? path
                        : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  }
  default_home_ = options_.default_home;
  if (default_home_.empty()) {
    char const* home = std::getenv("HOME");
    default_home_ = home != nullptr && *home != '\0' ? home : "/root";
  }
  sleep_path_ = find_sleep();
  devnull_ = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull_ < 0) throw std::system_error(errno, std::generic_category(), "open /dev/null");
  if (devnull_ < 3) {
    int const moved = fcntl(devnull_, F_DUPFD_CLOEXEC, 3);
    ::close(devnull_);
    devnull_ = moved;
  }
}

Engine::~Engine() {
  shutdown();
  if (devnull_ >= 0) ::close(devnull_);
}

std::map<std::string, std::string> Engine::with_defaults(
    std::map<std::string, std::string> env) const {
  env.try_emplace("PATH", default_path_);
  env.try_emplace("HOME", default_home_);
  return env;
}

std::optional<bool> Engine::namespaces_available() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (options_.isolation == Isolation::kNone) return false;
  return namespaces_ok_;
}

absl::Status Engine::resource_limits_status() const {
  if (options_.isolation == Isolation::kNone) {
    return absl::FailedPreconditionError("sandboxes are not isolated (Isolation::kNone)");
  }
  return cgroups_->status();
}

size_t Engine::running_process_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return running_.size();
}

size_t Engine::running_sandbox_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sandboxes_.size();
}

// ---------------------------------------------------------------------------------------
// Launching

absl::StatusOr<std::shared_ptr<Process>> Engine::launch(ProcessSpec spec, Launch const& how,
                                                        SpawnResult* raw) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shut_down_) return absl::FailedPreconditionError("the process runtime is shut down");
  }
  auto request = spawn_request(spec, how);
  if (!request.ok()) return request.status();
  Stdio stdio;
  if (auto st = spec.pty ? open_pty(spec, how.devpts_fd, stdio) : open_pipes(spec, stdio);
      !st.ok()) {
    return st;
  }
  request->controlling_tty = spec.pty.has_value();
  std::copy(std::begin(stdio.child), std::end(stdio.child), std::begin(request->stdio));

  SpawnResult result = spawner_.spawn(*request);
  stdio.out_child.reset();
  stdio.err_child.reset();
  stdio.in_child.reset();
  if (raw != nullptr) *raw = result;
  if (result.pid < 0) return spawn_error(result, spec);

  std::shared_ptr<Process> process = new_process(result.pid, spec, how, stdio);
  if (!track(process)) return absl::FailedPreconditionError("the process runtime is shut down");
  if (spec.timeout) arm_timeout(process, *spec.timeout);
  start_pumps(process, std::move(stdio), how.on_output);
  return process;
}

absl::StatusOr<SpawnRequest> Engine::spawn_request(ProcessSpec const& spec,
                                                   Launch const& how) const {
  if (spec.argv.empty()) return absl::InvalidArgumentError("empty command");
  for (auto const& arg : spec.argv) {
    if (arg.find('\0') != std::string::npos) {
      return absl::InvalidArgumentError("command arguments must not contain NUL bytes");
    }
  }
  std::map<std::string, std::string> env = with_defaults(spec.env);
  if (spec.pty) {
    if (!spec.pty->term.empty()) env.try_emplace("TERM", spec.pty->term);
    if (!spec.pty->colorterm.empty()) env.try_emplace("COLORTERM", spec.pty->colorterm);
  }
  SpawnRequest request;
  request.kind = how.kind;
  request.args = spec.argv;
  for (auto const& [key, value] : env) {
    if (key.empty() || key.find('=') != std::string::npos || key.find('\0') != std::string::npos ||
        value.find('\0') != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("invalid environment variable '", key, "'"));
    }
    request.env.push_back(absl::StrCat(key, "=", value));
  }
  std::string const& program = spec.argv[0];
  if (program.find('/') != std::string::npos) {
    request.exec_paths.push_back(program);
  } else {
    std::vector<std::string> const dirs = absl::StrSplit(env["PATH"], ':');
    for (std::string dir : dirs) {
      if (dir.empty()) dir = ".";
      if (dir.back() != '/') dir.push_back('/');
      request.exec_paths.push_back(dir + program);
    }
  }
  request.workdir = spec.workdir;
  request.extra_namespaces = how.extra_namespaces;
  request.mounts = how.mounts;
  request.loopback_up = how.loopback_up;
  request.join = how.join;
  request.cgroup_procs_fd = how.cgroup_procs_fd;
  request.keep_capabilities = how.keep_capabilities;
  request.pause_forever = how.pause_forever;
  request.uid = how.uid;
  request.gid = how.gid;
  request.groups = how.groups;
  return request;
}

absl::Status Engine::open_pty(ProcessSpec const& spec, int devpts_fd, Stdio& stdio) const {
  int master = -1, slave = -1;
  if (devpts_fd >= 0) {
    UniqueFd m, sl;
    if (auto st = open_devpts_pty(devpts_fd, spec.pty->rows, spec.pty->cols, &m, &sl); !st.ok()) {
      return st;
    }
    master = m.release();
    slave = sl.release();
  } else {
    struct winsize ws {};
    ws.ws_row = spec.pty->rows;
    ws.ws_col = spec.pty->cols;
    if (openpty(&master, &slave, nullptr, nullptr, &ws) != 0) {
      return errno_status(errno, "openpty");
    }
  }
  stdio.out.reset(master);
  stdio.out_child.reset(slave);
  set_cloexec(master);
  set_cloexec(slave);
  if (auto s = ensure_high(stdio.out_child); !s.ok()) return s;
  set_nonblocking(master);
  int const terminal = stdio.out_child.get();
  stdio.child[0] = terminal;
  stdio.child[1] = spec.stdout_mode != StdioMode::kDevNull ? terminal : devnull_;
  stdio.child[2] = spec.stderr_mode != StdioMode::kDevNull ? terminal : devnull_;
  if (spec.stdin_enabled) {
    int const dup = fcntl(master, F_DUPFD_CLOEXEC, 3);
    if (dup < 0) return errno_status(errno, "dup");
    stdio.in.reset(dup);
  }
  return absl::OkStatus();
}

absl::Status Engine::open_pipes(ProcessSpec const& spec, Stdio& stdio) const {
  stdio.child[0] = stdio.child[1] = stdio.child[2] = devnull_;
  auto const output_pipe = [](UniqueFd& parent, UniqueFd& child) -> absl::Status {
    if (auto s = make_pipe(&parent, &child); !s.ok()) return s;
    if (auto s = ensure_high(child); !s.ok()) return s;
    set_nonblocking(parent.get());
    fcntl(parent.get(), F_SETPIPE_SZ, kPipeSize);
    return absl::OkStatus();
  };
  if (spec.stdout_mode == StdioMode::kPipe) {
    if (auto s = output_pipe(stdio.out, stdio.out_child); !s.ok()) return s;
    stdio.child[1] = stdio.out_child.get();
  }
  if (spec.stderr_mode == StdioMode::kPipe) {
    if (auto s = output_pipe(stdio.err, stdio.err_child); !s.ok()) return s;
    stdio.child[2] = stdio.err_child.get();
  } else if (spec.stderr_mode == StdioMode::kMergeWithStdout) {
    stdio.child[2] = stdio.child[1];
  }
  if (spec.stdin_enabled) {
    if (auto s = make_pipe(&stdio.in_child, &stdio.in); !s.ok()) return s;
    if (auto s = ensure_high(stdio.in_child); !s.ok()) return s;
    set_nonblocking(stdio.in.get());
    stdio.child[0] = stdio.in_child.get();
  }
  return absl::OkStatus();
}

absl::Status Engine::spawn_error(SpawnResult const& result, ProcessSpec const& spec) {
  std::string const what = absl::StrCat(result.step, " failed for '", absl::StrJoin(spec.argv, " "),
                                        "': ", std::strerror(result.error));
  if (result.step == "exec" && (result.error == ENOENT || result.error == ENOTDIR)) {
    return absl::NotFoundError(what);
  }
  if (result.step == "exec" && result.error == EACCES) return absl::PermissionDeniedError(what);
  if (result.step == "chdir") {
    return absl::InvalidArgumentError(
        absl::StrCat("workdir '", spec.workdir, "': ", std::strerror(result.error)));
  }
  if (result.step == "spawn" && result.error == ESHUTDOWN) {
    return absl::FailedPreconditionError("the process runtime is shut down");
  }
  return absl::InternalError(what);
}

std::shared_ptr<Process> Engine::new_process(pid_t pid, ProcessSpec const& spec, Launch const& how,
                                             Stdio const& stdio) const {
  OutputBufferOptions output = spec.output_options;
  if (output.spill_limit > 0 && output.spill_dir.empty()) output.spill_dir = state_dir_;
  auto out_buffer = std::make_shared<OutputBuffer>(output);
  auto err_buffer = std::make_shared<OutputBuffer>(output);
  auto in_sink = std::make_shared<InputSink>(spec.input_options);
  if (!stdio.out) out_buffer->close();
  if (!stdio.err) err_buffer->close();
  if (!stdio.in) in_sink->mark_closed(false);
  std::shared_ptr<Process> process(
      new Process(pid, out_buffer, err_buffer, in_sink, spec.pty.has_value()));
  process->kill_group_on_exit_ = how.kill_group_on_exit;
  if (spec.pty) process->pty_hold_fd_ = fcntl(stdio.out.get(), F_DUPFD_CLOEXEC, 3);
  if (options_.use_pidfd) {
    process->pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
    if (process->pidfd_ >= 0) set_cloexec(process->pidfd_);
  }
  return process;
}

bool Engine::track(std::shared_ptr<Process> const& process) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!shut_down_) {
    running_.emplace(process->pid_, process);
    return true;
  }
  // Lost the race with shutdown(): do not leave it behind.
  pid_t const pid = process->pid_;
  ::kill(-pid, SIGKILL);
  ::kill(pid, SIGKILL);
  int status;
  while (waitpid(pid, &status, __WALL) < 0 && errno == EINTR) {
  }
  if (process->pidfd_ >= 0) ::close(process->pidfd_);
  process->pidfd_ = -1;
  if (process->pty_hold_fd_ >= 0) ::close(process->pty_hold_fd_);
  process->pty_hold_fd_ = -1;
  process->stdout_->close();
  process->stderr_->close();
  process->stdin_->mark_closed(true);
  process->reaped_ = true;
  process->status_ = ExitStatus{0, SIGKILL, false};
  return false;
}

void Engine::arm_timeout(std::shared_ptr<Process> const& process,
                         std::chrono::milliseconds timeout) {
  std::weak_ptr<Process> weak = process;
  uint64_t const timer = loop_.add_timer(deadline_after(timeout), [weak] {
    auto p = weak.lock();
    if (!p) return;
    {
      std::lock_guard<std::mutex> lock(p->mu_);
      if (p->reaped_) return;
      p->timed_out_ = true;
    }
    p->kill();
  });
  std::lock_guard<std::mutex> lock(process->mu_);
  process->timeout_timer_ = timer;
}

void Engine::start_pumps(std::shared_ptr<Process> const& process, Stdio stdio,
                         std::function<void()> on_output) {
  // The fds go to the I/O thread; they are closed if it never runs the task.
  auto fds = std::make_shared<Stdio>(std::move(stdio));
  loop_.post([this, fds, process, on_output = std::move(on_output)] {
    if (fds->out) add_output_pump(fds->out.release(), process->stdout_, on_output);
    if (fds->err) add_output_pump(fds->err.release(), process->stderr_, on_output);
    if (fds->in) {
      process->stdin_pump_ = add_input_pump(fds->in.release(), process->stdin_, process->has_pty_);
    }
    watch_process(process);
  });
}

absl::StatusOr<std::shared_ptr<Sandbox>> Engine::create_sandbox(SandboxSpec spec) {
  bool try_namespaces;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shut_down_) return absl::FailedPreconditionError("the process runtime is shut down");
    if (options_.isolation == Isolation::kNone) {
      if (!options_.unsafe_host_filesystem) {
        return refusal("isolation is disabled here (Isolation::kNone)");
      }
      try_namespaces = false;
    } else {
      // Refusing, it tries again every time; in the unsafe fallback only until it failed.
      try_namespaces = !options_.unsafe_host_filesystem || namespaces_ok_ != false;
    }
    if (!try_namespaces && !unsafe_warning_logged_) {
      unsafe_warning_logged_ = true;
      logger_->warn(
          "sandboxes run on the host's file system (--unsafe-host-filesystem): their writes "
          "reach the host, and resource limits and network blocking are not enforced");
    }
  }
  bool const joins_network = spec.network_namespace && *spec.network_namespace;
  if (joins_network && spec.block_network) {
    return absl::InvalidArgumentError(
        "a sandbox joins another's network namespace or gets one of its own, not both");
  }
  auto dir = make_sandbox_dir(spec.id, try_namespaces);
  if (!dir.ok()) return dir.status();
  std::string const tmp_dir = (*dir / "tmp").string();
  auto const remove_dir = [&] {
    std::error_code ec;
    std::filesystem::remove_all(*dir, ec);
  };

  // An image's /tmp: the topmost layer made from a sandbox holds all of it
  // (Sandbox::snapshot_to_layer).
  std::vector<std::string> below = spec.layers;
  if (!spec.rootfs.empty()) below.push_back(spec.rootfs);
  for (std::string const& layer : below) {
    std::error_code ec;
    if (!std::filesystem::is_directory(layer + "/tmp", ec)) continue;
    std::filesystem::remove_all(tmp_dir, ec);
    if (auto st = copy_tree(layer + "/tmp", tmp_dir); !st.ok()) {
      remove_dir();
      return st;
    }
    break;
  }

  // The image's USER, resolved in its own /etc/passwd (the topmost layer with one, else
  // its root file system or the host's).
  std::optional<runtime::UserIds> user;
  if (!spec.user.empty()) {
    std::vector<std::string> roots = spec.layers;
    roots.push_back(spec.rootfs);  // "" + "/etc/passwd": the host's
    auto ids = runtime::resolve_user_in(spec.user, roots);
    if (!ids.ok()) {
      remove_dir();
      return ids.status();
    }
    if (!spec.env.contains("HOME") && !ids->home.empty()) spec.env["HOME"] = ids->home;
    user = *std::move(ids);
  }

  std::map<std::string, std::string> env = with_defaults(std::move(spec.env));
  auto activity = std::make_shared<std::atomic<int64_t>>(now_ns());
  Entrypoint entry = entrypoint(spec, env, activity);
  if (user) {
    entry.how.uid = user->uid;
    entry.how.gid = user->gid;
    entry.how.groups = user->groups;
  }
  std::optional<absl::StatusOr<Started>> started;
  if (try_namespaces) {
    started = launch_isolated(entry, spec, *dir);
    if (!started->ok() && started->status().code() == absl::StatusCode::kUnavailable) {
      std::string const why =
          absl::StrCat("that is unavailable here (", started->status().message(), ")");
      if (!options_.unsafe_host_filesystem) {
        remove_dir();
        return refusal(why);
      }
      logger_->warn(
          "sandboxes: {}; running them on the host's file system instead "
          "(--unsafe-host-filesystem): their writes reach the host, and resource limits and "
          "network blocking are not enforced",
          why);
      std::lock_guard<std::mutex> lock(mu_);
      unsafe_warning_logged_ = true;
      started.reset();
    }
  }
  if (!started && joins_network) {
    remove_dir();
    return absl::FailedPreconditionError(
        "sharing another sandbox's network namespace needs isolated sandboxes, which this "
        "machine does not allow");
  }
  if (!started && !spec.volumes.empty()) {
    remove_dir();
    return absl::FailedPreconditionError(
        "Volume mounts need the isolated root of a sandbox (its own mount namespace), which "
        "this machine does not allow");
  }
  if (!started && (!spec.layers.empty() || !spec.rootfs.empty())) {
    remove_dir();
    return absl::FailedPreconditionError(
        "this sandbox's image has layers of its own, which need the isolated overlay root "
        "that this machine does not allow (only images without build steps run on the "
        "host's file system)");
  }
  if (!started) started = launch_plain(std::move(entry), spec.workdir, tmp_dir);
  if (!started->ok()) {
    remove_dir();
    return started->status();
  }
  Started& s = **started;

  std::string const name = dir->filename().string();
  std::shared_ptr<Sandbox> sandbox(new Sandbox(weak_from_this(), spec.id.empty() ? name : spec.id,
                                               s.isolated, dir->string(), tmp_dir, s.workdir, env,
                                               s.process, activity));
  if (s.isolated) {
    sandbox->namespaces_ = open_namespaces(*s.process, s.network_blocked);
    sandbox->devpts_fd_ = s.devpts.release();
    sandbox->network_blocked_ = s.network_blocked;
    if (s.cgroup) sandbox->cgroup_path_ = s.cgroup->path();
    sandbox->cgroup_ = std::move(s.cgroup);
  }
  sandbox->idle_timeout_ = spec.idle_timeout;
  if (user) {
    sandbox->uid_ = user->uid;
    sandbox->gid_ = user->gid;
    sandbox->groups_ = user->groups;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    sandboxes_.emplace(sandbox.get(), sandbox);
  }
  watch_sandbox(sandbox, spec.timeout);
  return sandbox;
}

SpawnResult Engine::run_steps(std::vector<NamespaceFd> join, std::vector<MountStep> steps) {
  SpawnRequest request;
  request.kind = SpawnRequest::Kind::kRunSteps;
  request.join = std::move(join);
  request.mounts = std::move(steps);
  return spawner_.spawn(request);
}

absl::StatusOr<std::string> Engine::layer_store() {
  std::lock_guard<std::mutex> lock(mu_);
  if (shut_down_) return absl::FailedPreconditionError("the process runtime is shut down");
  if (!layer_store_) {
    auto store = new_layer_store();
    if (!store.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "image layers need a tmpfs of the emulator's own, which this machine does not allow (",
          store.status().message(), ")"));
    }
    layer_store_ = *std::move(store);
  }
  // The detached mount's root through the emulator's own fd: a path that the sandboxes'
  // mount steps (before their pivot_root) resolve as well.
  return absl::StrCat("/proc/", ::getpid(), "/fd/", layer_store_.get());
}

std::vector<NamespaceFd> Engine::open_namespaces(Process& init, bool network) {
  std::vector<std::pair<char const*, int>> kinds = {
      {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS}, {"pid", CLONE_NEWPID}, {"mnt", CLONE_NEWNS}};
  if (network) kinds.insert(kinds.begin(), {"net", CLONE_NEWNET});
  std::vector<NamespaceFd> out;
  bool ok = true;
  for (auto const& [name, type] : kinds) {
    std::string const path = absl::StrCat("/proc/", init.pid(), "/ns/", name);
    int const fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) ok = false;
    out.push_back({fd, type});
  }
  // Opened before the init was reaped, the pid was still the init's (not reused).
  {
    std::lock_guard<std::mutex> lock(init.mu_);
    if (init.reaped_) ok = false;
  }
  if (!ok) {
    for (auto const& ns : out) {
      if (ns.fd >= 0) ::close(ns.fd);
    }
    out.clear();
  }
  return out;
}

absl::StatusOr<std::filesystem::path> Engine::make_sandbox_dir(std::string const& id,
                                                               bool isolated) {
  std::string const base = sanitize_id(id);
  auto next_suffix = [&] {
    std::lock_guard<std::mutex> lock(mu_);
    return ++sandbox_counter_;
  };
  std::string name = id.empty() ? absl::StrCat(base, "-", next_suffix()) : base;
  std::filesystem::path dir;
  for (;;) {
    dir = std::filesystem::path(state_dir_) / name;
    if (::mkdir(dir.c_str(), 0700) == 0) break;
    if (errno != EEXIST) return errno_status(errno, absl::StrCat("mkdir ", dir.string()));
    name = absl::StrCat(base, "-", next_suffix());
  }
  auto const failed = [&](std::string const& what) {
    auto status = errno_status(errno, absl::StrCat("mkdir ", what));
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    return status;
  };
  std::string const tmp_dir = (dir / "tmp").string();
  if (::mkdir(tmp_dir.c_str(), 01777) != 0 || ::chmod(tmp_dir.c_str(), 01777) != 0) {
    return failed(tmp_dir);
  }
  if (isolated) {
    // upper/ becomes the sandbox's / (its mode and owner show there).
    for (char const* sub : {"upper", "work", "root"}) {
      std::string const path = (dir / sub).string();
      if (::mkdir(path.c_str(), 0755) != 0 || ::chmod(path.c_str(), 0755) != 0) {
        return failed(path);
      }
    }
  }
  return dir;
}

Engine::Entrypoint Engine::entrypoint(SandboxSpec const& spec,
                                      std::map<std::string, std::string> const& env,
                                      std::shared_ptr<std::atomic<int64_t>> const& activity) const {
  Entrypoint entry;
  entry.spec.argv = spec.argv;
  entry.spec.env = env;
  entry.spec.pty = spec.pty;
  entry.spec.output_options = spec.log_options;
  entry.spec.input_options = spec.stdin_options;
  if (entry.spec.argv.empty()) {
    // An image's own root may have no sleep(1): the built-in idle process then.
    if (!sleep_path_.empty() && !options_.builtin_idle && spec.rootfs.empty()) {
      entry.spec.argv = {sleep_path_, "infinity"};
    } else {
      entry.spec.argv = {"sleep-forever"};
      entry.how.pause_forever = true;
    }
  }
  entry.how.on_output = [activity] { activity->store(now_ns(), std::memory_order_relaxed); };
  return entry;
}

absl::StatusOr<Engine::Started> Engine::launch_isolated(Entrypoint const& entry,
                                                        SandboxSpec const& spec,
                                                        std::filesystem::path const& dir) {
  Started started;
  auto devpts = new_devpts();
  if (!devpts.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    namespaces_ok_ = false;
    return devpts.status();  // UNAVAILABLE
  }
  started.devpts = *std::move(devpts);
  if (spec.limits.any()) {
    auto cgroup = cgroups_->create(dir.filename().string(), spec.limits);
    if (cgroup.ok()) {
      started.cgroup = *std::move(cgroup);
    } else {
      std::lock_guard<std::mutex> lock(mu_);
      if (!limits_warning_logged_) {
        limits_warning_logged_ = true;
        logger_->warn("sandboxes: resource limits are recorded, not enforced: {}",
                      std::string(cgroup.status().message()));
      }
    }
  }
  RootLayout layout;
  layout.root = (dir / "root").string();
  layout.upper = (dir / "upper").string();
  layout.work = (dir / "work").string();
  layout.tmp = (dir / "tmp").string();
  layout.hidden = {hidden_dir_};
  layout.hidden.insert(layout.hidden.end(), options_.hidden_dirs.begin(),
                       options_.hidden_dirs.end());
  layout.devpts_fd = started.devpts.get();
  if (!options_.fs_tools.empty()) layout.modal_bin = {options_.fs_tools};
  layout.layers = spec.layers;
  layout.rootfs = spec.rootfs;

  ProcessSpec process = entry.spec;
  process.workdir = spec.workdir.empty() ? "/tmp" : spec.workdir;
  Launch how = entry.how;
  how.kind = SpawnRequest::Kind::kNewNamespaces;
  how.mounts = root_plan(layout, read_host_mounts());
  for (auto const& v : spec.volumes) {
    if (!v.tree || !*v.tree) return absl::InvalidArgumentError("a Volume mount without its tree");
  }
  for (MountStep& step : volume_steps(spec.volumes)) how.mounts.push_back(std::move(step));
  how.extra_namespaces = spec.block_network ? CLONE_NEWNET : 0;
  how.loopback_up = spec.block_network;
  bool const joins_network = spec.network_namespace && *spec.network_namespace;
  // The fd stays the spec's (the spawner only uses it until the init has entered it).
  if (joins_network) how.join.push_back({spec.network_namespace->get(), CLONE_NEWNET});
  how.devpts_fd = started.devpts.get();
  how.cgroup_procs_fd = started.cgroup ? started.cgroup->procs_fd() : -1;
  how.keep_capabilities = sandbox_capabilities();
  started.workdir = process.workdir;
  started.isolated = true;
  started.network_blocked = spec.block_network || joins_network;
  SpawnResult raw;
  auto launched = launch(std::move(process), how, &raw);
  std::lock_guard<std::mutex> lock(mu_);
  if (launched.ok()) {
    namespaces_ok_ = true;
    started.process = *std::move(launched);
    return started;
  }
  if (raw.pid < 0 && raw.error != 0 && is_volume_step(raw.step)) {
    return absl::InvalidArgumentError(absl::StrCat(raw.step, ": ", std::strerror(raw.error)));
  }
  if (raw.pid >= 0 || !is_isolation_failure(raw)) return launched.status();
  namespaces_ok_ = false;
  return absl::UnavailableError(absl::StrCat(raw.step, ": ", std::strerror(raw.error)));
}

absl::StatusOr<Engine::Started> Engine::launch_plain(Entrypoint entry, std::string const& workdir,
                                                     std::string const& tmp_dir) {
  entry.spec.workdir = workdir.empty() ? tmp_dir : workdir;
  entry.how.kind = SpawnRequest::Kind::kPlain;
  entry.how.kill_group_on_exit = true;
  Started started;
  started.workdir = entry.spec.workdir;
  auto launched = launch(std::move(entry.spec), entry.how);
  if (!launched.ok()) return launched.status();
  started.process = *std::move(launched);
  return started;
}

void Engine::watch_sandbox(std::shared_ptr<Sandbox> const& sandbox,
                           std::optional<std::chrono::milliseconds> timeout) {
  std::weak_ptr<Sandbox> weak = sandbox;
  if (timeout) {
    uint64_t const timer = loop_.add_timer(deadline_after(*timeout), [weak] {
      if (auto sb = weak.lock()) sb->terminate_with(SandboxOutcome::kTimeout);
    });
    std::lock_guard<std::mutex> lock(sandbox->mu_);
    sandbox->lifetime_timer_ = timer;
  }
  if (sandbox->idle_timeout_) {
    uint64_t const timer = loop_.add_timer(deadline_after(*sandbox->idle_timeout_), [weak] {
      if (auto sb = weak.lock()) sb->check_idle();
    });
    std::lock_guard<std::mutex> lock(sandbox->mu_);
    sandbox->idle_timer_ = timer;
  }
  sandbox->entrypoint_->on_exit([weak](ExitStatus const& status) {
    if (auto sb = weak.lock()) sb->finish(status);
  });
}

void Engine::sandbox_finished(Sandbox const* sandbox) {
  std::shared_ptr<Sandbox> keep;  // released outside the lock
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sandboxes_.find(sandbox);
  if (it == sandboxes_.end()) return;
  keep = std::move(it->second);
  sandboxes_.erase(it);
  cv_.notify_all();
}

// ---------------------------------------------------------------------------------------
// I/O thread: pumps

void Engine::add_output_pump(int fd, std::shared_ptr<OutputBuffer> buffer,
                             std::function<void()> on_output) {
  uint64_t const id = next_pump_++;
  std::weak_ptr<Engine> weak = weak_from_this();
  buffer->set_space_callback([weak, id] {
    if (auto engine = weak.lock()) engine->loop_.post([engine, id] { engine->resume_output(id); });
  });
  OutputPump pump;
  pump.fd = fd;
  pump.buffer = std::move(buffer);
  pump.on_output = std::move(on_output);
  pump.watch = loop_.add_fd(fd, EPOLLIN, [this, id](uint32_t) { on_output_ready(id); });
  output_pumps_.emplace(id, std::move(pump));
  if (output_pumps_[id].watch == 0) close_output_pump(id);
}

void Engine::on_output_ready(uint64_t id) {
  auto it = output_pumps_.find(id);
  if (it == output_pumps_.end()) return;
  OutputPump& pump = it->second;
  struct iovec iov[16];
  size_t count = 0;
  size_t const room = pump.buffer->prepare(kMaxRead, iov, 16, &count);
  if (room == 0) {
    if (pump.buffer->closed()) {
      close_output_pump(id);
      return;
    }
    // Back-pressure: stop polling until a reader acknowledges (space callback).
    loop_.remove_fd(pump.watch);
    pump.watch = 0;
    return;
  }
  ssize_t const n = readv(pump.fd, iov, static_cast<int>(count));
  if (n > 0) {
    pump.buffer->commit(static_cast<size_t>(n));
    if (pump.on_output) pump.on_output();
    return;
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  close_output_pump(id);  // EOF, or EIO from a PTY whose slave side is gone
}

void Engine::resume_output(uint64_t id) {
  auto it = output_pumps_.find(id);
  if (it == output_pumps_.end() || it->second.watch != 0) return;
  it->second.watch =
      loop_.add_fd(it->second.fd, EPOLLIN, [this, id](uint32_t) { on_output_ready(id); });
  if (it->second.watch == 0) close_output_pump(id);
}

void Engine::close_output_pump(uint64_t id) {
  auto it = output_pumps_.find(id);
  if (it == output_pumps_.end()) return;
  if (it->second.watch != 0) loop_.remove_fd(it->second.watch);
  ::close(it->second.fd);
  it->second.buffer->close();
  output_pumps_.erase(it);
}

uint64_t Engine::add_input_pump(int fd, std::shared_ptr<InputSink> sink, bool pty) {
  uint64_t const id = next_pump_++;
  std::weak_ptr<Engine> weak = weak_from_this();
  sink->set_data_callback([weak, id] {
    if (auto engine = weak.lock()) engine->loop_.post([engine, id] { engine->activate_input(id); });
  });
  InputPump pump;
  pump.fd = fd;
  pump.sink = std::move(sink);
  pump.pty = pty;
  input_pumps_.emplace(id, std::move(pump));
  activate_input(id);  // data may have been written before the pump existed
  return id;
}

void Engine::activate_input(uint64_t id) {
  auto it = input_pumps_.find(id);
  if (it == input_pumps_.end() || it->second.watch != 0) return;
  InputPump& pump = it->second;
  if (pump.sink->go_idle()) return;  // nothing to do yet; the data callback re-activates
  pump.watch = loop_.add_fd(pump.fd, EPOLLOUT, [this, id](uint32_t) { on_input_ready(id); });
  if (pump.watch == 0) close_input_pump(id, true);
}

void Engine::on_input_ready(uint64_t id) {
  auto it = input_pumps_.find(id);
  if (it == input_pumps_.end()) return;
  InputPump& pump = it->second;
  if (pump.sink->should_close()) {
    if (pump.pty) {
      char const eof_char = 0x04;  // ^D: EOF for a terminal in canonical mode
      [[maybe_unused]] ssize_t r = ::write(pump.fd, &eof_char, 1);
    }
    close_input_pump(id, false);
    return;
  }
  struct iovec iov[16];
  size_t count = 0;
  size_t const queued = pump.sink->peek(iov, 16, &count);
  if (queued == 0) {
    if (pump.sink->go_idle()) {
      loop_.remove_fd(pump.watch);
      pump.watch = 0;
    }
    return;
  }
  ssize_t const n = writev(pump.fd, iov, static_cast<int>(count));
  if (n > 0) {
    pump.sink->consume(static_cast<size_t>(n));
    return;
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  close_input_pump(id, true);  // EPIPE / EIO: the process stopped reading
}

void Engine::close_input_pump(uint64_t id, bool broken) {
  auto it = input_pumps_.find(id);
  if (it == input_pumps_.end()) return;
  if (it->second.watch != 0) loop_.remove_fd(it->second.watch);
  ::close(it->second.fd);
  auto const status = it->second.sink->status();
  it->second.sink->mark_closed(broken || status.accepted != status.written);
  input_pumps_.erase(it);
}

// ---------------------------------------------------------------------------------------
// I/O thread: exits

void Engine::watch_process(std::shared_ptr<Process> const& process) {
  if (process->pidfd_ >= 0) {
    std::weak_ptr<Process> weak = process;
    process->pidfd_watch_ = loop_.add_fd(process->pidfd_, EPOLLIN, [this, weak](uint32_t) {
      if (auto p = weak.lock()) handle_exit(p);
    });
    if (process->pidfd_watch_ != 0) return;
  }
  // No pidfd (kernel < 5.3, or disabled): poll with waitpid(WNOHANG).
  polled_.emplace(process->pid(), process);
  if (!poll_timer_armed_) {
    poll_timer_armed_ = true;
    loop_.add_timer(deadline_after(kPollInterval), [this] { poll_exits(); });
  }
}

void Engine::poll_exits() {
  poll_timer_armed_ = false;
  std::vector<std::shared_ptr<Process>> snapshot;
  for (auto const& [pid, process] : polled_) snapshot.push_back(process);
  for (auto const& process : snapshot) handle_exit(process);
  if (!polled_.empty()) {
    poll_timer_armed_ = true;
    loop_.add_timer(deadline_after(kPollInterval), [this] { poll_exits(); });
  }
}

void Engine::handle_exit(std::shared_ptr<Process> const& process) {
  ExitStatus status;
  {
    std::lock_guard<std::mutex> lock(process->mu_);
    if (process->reaped_) return;
    // The leader is a zombie until reaped, so its group id cannot have been reused yet.
    if (process->kill_group_on_exit_) ::kill(-process->pid_, SIGKILL);
    int wait_status = 0;
    pid_t r;
    do {
      r = waitpid(process->pid_, &wait_status, WNOHANG | __WALL);
    } while (r < 0 && errno == EINTR);
    if (r == 0) return;  // still running (spurious wakeup / poll tick)
    if (r > 0) {
      status = exit_status_from_wait_status(wait_status);
    } else {
      status = ExitStatus{-1, 0, false};  // reaped by someone else
    }
    status.timed_out = process->timed_out_;
    process->reaped_ = true;
  }
  if (process->pidfd_watch_ != 0) loop_.remove_fd(process->pidfd_watch_);
  process->pidfd_watch_ = 0;
  if (process->pidfd_ >= 0) ::close(process->pidfd_);
  process->pidfd_ = -1;
  if (process->pty_hold_fd_ >= 0) ::close(process->pty_hold_fd_);
  process->pty_hold_fd_ = -1;
  polled_.erase(process->pid_);
  if (process->stdin_pump_ != 0) close_input_pump(process->stdin_pump_, false);
  process->stdin_pump_ = 0;
  std::shared_ptr<Process> keep;  // released after the callbacks
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = running_.find(process->pid_);
    if (it != running_.end() && it->second == process) {
      keep = std::move(it->second);
      running_.erase(it);
    }
    cv_.notify_all();
  }
  // Publish only now, so that a waiter sees consistent runtime state.
  std::vector<std::function<void(ExitStatus const&)>> callbacks;
  uint64_t timer;
  {
    std::lock_guard<std::mutex> lock(process->mu_);
    process->status_ = status;
    callbacks.swap(process->exit_callbacks_);
    timer = std::exchange(process->timeout_timer_, 0);
  }
  process->cv_.notify_all();
  if (timer != 0) loop_.cancel_timer(timer);
  for (auto& callback : callbacks) callback(status);
}

void Engine::close_all_streams() {
  std::vector<uint64_t> ids;
  for (auto const& [id, pump] : output_pumps_) ids.push_back(id);
  for (uint64_t id : ids) close_output_pump(id);
  ids.clear();
  for (auto const& [id, pump] : input_pumps_) ids.push_back(id);
  for (uint64_t id : ids) close_input_pump(id, true);
}

// ---------------------------------------------------------------------------------------

void Engine::shutdown() {
  std::vector<std::shared_ptr<Sandbox>> sandboxes;
  std::vector<std::shared_ptr<Process>> processes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shut_down_) return;
    shut_down_ = true;
    for (auto const& [key, sandbox] : sandboxes_) sandboxes.push_back(sandbox);
    for (auto const& [pid, process] : running_) processes.push_back(process);
  }
  for (auto const& sandbox : sandboxes) sandbox->terminate();
  for (auto const& process : processes) process->kill();
  sandboxes.clear();
  processes.clear();
  {
    std::unique_lock<std::mutex> lock(mu_);
    bool const done = cv_.wait_for(lock, options_.shutdown_grace,
                                   [&] { return running_.empty() && sandboxes_.empty(); });
    if (!done) {
      std::vector<pid_t> left;
      for (auto const& [pid, process] : running_) left.push_back(pid);
      logger_->error("process runtime shutdown: {} process(es) not reaped after SIGKILL: {}",
                     left.size(), absl::StrJoin(left, ", "));
    }
  }
  loop_.post([this] {
    close_all_streams();
    polled_.clear();
  });
  loop_.stop();
  spawner_.stop();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto const& [pid, process] : running_) {
      if (process->pidfd_ >= 0) ::close(process->pidfd_);
      process->pidfd_ = -1;
      if (process->pty_hold_fd_ >= 0) ::close(process->pty_hold_fd_);
      process->pty_hold_fd_ = -1;
    }
    running_.clear();
    sandboxes_.clear();
  }
  cgroups_->shutdown();
  std::error_code ec;
  std::filesystem::remove_all(state_dir_, ec);
}

}  // namespace modal::emulator::runtime::internal
