// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "runtime/sandbox.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/engine.h"
#include "runtime/sandbox_root.h"
#include "runtime/unique_fd.h"

namespace modal::emulator::runtime {
namespace {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

}  // namespace

Sandbox::Sandbox(std::weak_ptr<internal::Engine> engine, std::string id, bool isolated,
                 std::string state_dir, std::string host_tmp_dir, std::string workdir,
                 std::map<std::string, std::string> env, std::shared_ptr<Process> entrypoint,
                 std::shared_ptr<std::atomic<int64_t>> last_activity)
    : engine_(std::move(engine)),
      id_(std::move(id)),
      isolated_(isolated),
      state_dir_(std::move(state_dir)),
      host_tmp_dir_(std::move(host_tmp_dir)),
      workdir_(std::move(workdir)),
      env_(std::move(env)),
      entrypoint_(std::move(entrypoint)),
      stdin_input_(std::shared_ptr<InputSink>(entrypoint_, &entrypoint_->stdin_sink())),
      last_activity_(std::move(last_activity)) {}

Sandbox::~Sandbox() {
  for (auto const& ns : namespaces_) ::close(ns.fd);
  if (devpts_fd_ >= 0) ::close(devpts_fd_);
}

std::string Sandbox::host_upper_dir() const {
  return isolated_ ? state_dir_ + "/upper" : std::string();
}

bool Sandbox::hold_state() {
  std::lock_guard<std::mutex> lock(mu_);
  if (result_ || finishing_) return false;
  ++snapshots_running_;
  return true;
}

void Sandbox::release_state() {
  bool remove = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    remove = --snapshots_running_ == 0 && remove_pending_;
  }
  if (remove) {
    std::error_code ec;
    std::filesystem::remove_all(state_dir_, ec);
  }
}

absl::Status Sandbox::snapshot_to_layer(std::string const& dest, TreeCopyStats* stats) {
  if (!isolated_) {
    return absl::FailedPreconditionError(
        "file system snapshots need the sandbox's own overlay root, which this machine does "
        "not allow (the sandbox runs on the host's file system)");
  }
  if (!hold_state()) {
    return absl::FailedPreconditionError("the sandbox has finished; its file system is gone");
  }
  TreeCopyStats local;
  TreeCopyStats& s = stats != nullptr ? *stats : local;
  absl::Status st = copy_tree(host_upper_dir(), dest, &s);
  if (st.ok()) {
    // /tmp is a mount of its own (sandbox_root.h), not in the upper directory.
    std::error_code ec;
    std::filesystem::remove_all(std::filesystem::path(dest) / "tmp", ec);
    st = copy_tree(host_tmp_dir_, dest + "/tmp", &s);
    if (!st.ok()) std::filesystem::remove_all(dest, ec);
  }
  release_state();
  return st;
}

int Sandbox::dup_network_namespace() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!network_blocked_) return -1;
  for (auto const& ns : namespaces_) {
    if (ns.type == CLONE_NEWNET) return fcntl(ns.fd, F_DUPFD_CLOEXEC, 3);
  }
  return -1;
}

absl::Status Sandbox::write_stdin(uint64_t index, std::string_view data, bool eof,
                                  Deadline deadline) {
  touch();
  return stdin_input_.write(index, data, eof, deadline);
}

absl::Status Sandbox::write_stdin_at(uint64_t offset, std::string_view data, bool eof,
                                     Deadline deadline) {
  touch();
  return stdin_input_.sink().write(offset, data, eof, deadline).status();
}

absl::StatusOr<std::shared_ptr<Process>> Sandbox::exec(ProcessSpec spec) {
  auto engine = engine_.lock();
  if (!engine) return absl::FailedPreconditionError("the process runtime is shut down");
  std::map<std::string, std::string> env = env_;
  for (auto& [key, value] : spec.env) env[key] = std::move(value);
  spec.env = std::move(env);
  if (spec.workdir.empty()) spec.workdir = workdir_;

  internal::Engine::Launch how;
  how.uid = uid_;
  how.gid = gid_;
  how.groups = groups_;
  std::vector<internal::UniqueFd> held;  // duplicates, closed once launched
  auto const dup = [&](int fd) {
    held.emplace_back(fcntl(fd, F_DUPFD_CLOEXEC, 3));
    return held.back().get();
  };
  auto finished_error = [&] {
    return absl::FailedPreconditionError(absl::StrCat("sandbox ", id_, " has finished"));
  };
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (result_ || finishing_ || pending_outcome_) return finished_error();
    if (isolated_) {
      if (namespaces_.empty()) return finished_error();
      how.kind = internal::SpawnRequest::Kind::kJoinNamespaces;
      for (auto const& ns : namespaces_) how.join.push_back({dup(ns.fd), ns.type});
      how.devpts_fd = dup(devpts_fd_);
      if (cgroup_) how.cgroup_procs_fd = dup(cgroup_->procs_fd());
      how.keep_capabilities = internal::sandbox_capabilities();
    }
  }
  internal::SpawnResult raw;
  auto launched = engine->launch(std::move(spec), how, &raw);
  held.clear();
  if (!launched.ok()) {
    // A PID namespace whose init is gone refuses new members (ENOMEM).
    if (isolated_ && raw.pid < 0 && raw.step == "clone" && raw.error == ENOMEM) {
      return finished_error();
    }
    if (isolated_ && raw.pid < 0 && raw.step.rfind("setns", 0) == 0) return finished_error();
    return launched.status();
  }
  std::shared_ptr<Process> process = *std::move(launched);
  bool late = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (result_ || finishing_ || pending_outcome_) {
      late = true;
    } else {
      std::erase_if(execs_, [](std::weak_ptr<Process> const& p) { return p.expired(); });
      execs_.push_back(process);
      ++running_execs_;
    }
  }
  if (late) {
    process->kill();
    return finished_error();
  }
  touch();
  process->on_exit([weak = weak_from_this()](ExitStatus const&) {
    auto self = weak.lock();
    if (!self) return;
    self->touch();
    std::lock_guard<std::mutex> lock(self->mu_);
    --self->running_execs_;
  });
  return process;
}

void Sandbox::terminate() { terminate_with(SandboxOutcome::kTerminated); }

void Sandbox::terminate_with(SandboxOutcome outcome) {
  std::vector<std::shared_ptr<Process>> execs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (result_ || finishing_) return;
    if (!pending_outcome_) pending_outcome_ = outcome;
    for (auto const& weak : execs_) {
      if (auto p = weak.lock()) execs.push_back(std::move(p));
    }
  }
  entrypoint_->kill();
  for (auto const& p : execs) p->kill();
}

void Sandbox::finish(ExitStatus const& status) {
  std::vector<std::shared_ptr<Process>> execs;
  std::vector<std::function<void(SandboxResult const&)>> callbacks;
  SandboxResult result;
  uint64_t lifetime_timer, idle_timer;
  std::vector<internal::NamespaceFd> namespaces;
  int devpts_fd;
  std::unique_ptr<internal::SandboxCgroup> cgroup;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (result_ || finishing_) return;
    finishing_ = true;
    result.outcome = pending_outcome_.value_or(SandboxOutcome::kExited);
    result.status = status;
    for (auto const& weak : execs_) {
      if (auto p = weak.lock()) execs.push_back(std::move(p));
    }
    lifetime_timer = std::exchange(lifetime_timer_, 0);
    idle_timer = std::exchange(idle_timer_, 0);
    namespaces.swap(namespaces_);
    devpts_fd = std::exchange(devpts_fd_, -1);
    cgroup = std::move(cgroup_);
  }
  // Without namespaces nothing else stops the execs (with them the kernel already did).
  for (auto const& p : execs) p->kill();
  // The last references to the namespaces: the mount namespace (and with it the overlay)
  // goes away; then the upper layer and the cgroup can be removed.
  for (auto const& ns : namespaces) ::close(ns.fd);
  if (devpts_fd >= 0) ::close(devpts_fd);
  bool remove = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    remove_pending_ = snapshots_running_ > 0;  // the last snapshot removes it
    remove = !remove_pending_;
  }
  if (remove) {
    std::error_code ec;
    std::filesystem::remove_all(state_dir_, ec);
  }
  cgroup.reset();
  if (auto engine = engine_.lock()) {
    if (lifetime_timer != 0) engine->loop().cancel_timer(lifetime_timer);
    if (idle_timer != 0) engine->loop().cancel_timer(idle_timer);
    engine->sandbox_finished(this);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    result_ = result;
    callbacks.swap(finished_callbacks_);
  }
  cv_.notify_all();
  for (auto& callback : callbacks) callback(result);
}

void Sandbox::check_idle() {
  auto engine = engine_.lock();
  if (!engine) return;
  Deadline next;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (result_ || finishing_ || pending_outcome_ || !idle_timeout_) return;
    auto const idle = std::chrono::duration_cast<Clock::duration>(*idle_timeout_);
    Deadline const now = Clock::now();
    Deadline const last{std::chrono::duration_cast<Clock::duration>(
        std::chrono::nanoseconds(last_activity_->load(std::memory_order_relaxed)))};
    if (running_execs_ > 0) {
      next = now + idle;
    } else if (now - last >= idle) {
      next = kNoDeadline;
    } else {
      next = last + idle;
    }
  }
  if (next == kNoDeadline) {
    terminate_with(SandboxOutcome::kIdleTimeout);
    return;
  }
  // The timer only holds a weak reference (the registry owns running sandboxes).
  uint64_t const timer = engine->loop().add_timer(next, [weak = weak_from_this()] {
    if (auto self = weak.lock()) self->check_idle();
  });
  std::lock_guard<std::mutex> lock(mu_);
  idle_timer_ = timer;
}

std::optional<SandboxResult> Sandbox::result() const {
  std::lock_guard<std::mutex> lock(mu_);
  return result_;
}

std::optional<SandboxResult> Sandbox::wait(Deadline deadline) const {
  std::unique_lock<std::mutex> lock(mu_);
  auto done = [&] { return result_.has_value(); };
  if (deadline == kNoDeadline) {
    cv_.wait(lock, done);
  } else {
    cv_.wait_until(lock, deadline, done);
  }
  return result_;
}

void Sandbox::touch() { last_activity_->store(now_ns(), std::memory_order_relaxed); }

int Sandbox::running_execs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return running_execs_;
}

void Sandbox::on_finished(std::function<void(SandboxResult const&)> callback) {
  std::optional<SandboxResult> result;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!result_) {
      finished_callbacks_.push_back(std::move(callback));
      return;
    }
    result = result_;
  }
  callback(*result);
}

}  // namespace modal::emulator::runtime
