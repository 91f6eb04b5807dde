// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_RUNTIME_CGROUPS_H
#define MODAL_EMULATOR_RUNTIME_CGROUPS_H

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/unique_fd.h"

namespace modal::emulator::runtime {

/// A sandbox's resource limits (SandboxCreate's Resources.memory_mb_max and
/// milli_cpu_max). Unset = unlimited.
struct ResourceLimits {
  /// memory.max (and memory.swap.max = 0): beyond it the kernel's OOM killer kills a
  /// process of the sandbox (SIGKILL, exit code 137).
  std::optional<uint64_t> memory_bytes{};
  /// cpu.max: CPU time per period, in CPUs (0.5 = half of one CPU).
  std::optional<double> cpus{};
  bool any() const { return memory_bytes.has_value() || cpus.has_value(); }
};

namespace internal {

/// One sandbox's cgroup; removed (rmdir) on destruction.
class SandboxCgroup {
 public:
  SandboxCgroup(std::string path, UniqueFd procs, bool fake);
  ~SandboxCgroup();
  SandboxCgroup(SandboxCgroup const&) = delete;
  SandboxCgroup& operator=(SandboxCgroup const&) = delete;

  /// The cgroup's directory.
  std::string const& path() const { return path_; }
  /// Its cgroup.procs, open for writing: a process writing "0" there moves into it.
  int procs_fd() const { return procs_.get(); }

 private:
  std::string const path_;
  UniqueFd procs_;
  bool const fake_;
};

/**
 * cgroup v2 for sandbox resource limits (internal to the runtime), detected on first use:
 * the cgroup2 mount (from /proc/self/mountinfo) must offer the memory and cpu
 * controllers. The emulator's cgroups live in `modal-emulator.<pid>.<start>` (see
 * state_dir.h) under the emulator's own cgroup if that can hand both controllers to
 * children (only possible for a cgroup without processes of its own, e.g. the root),
 * else under the hierarchy's root (as Docker's cgroupfs driver does; needs root). Empty
 * ones of emulators that are gone are removed then. Thread-safe.
 *
 * `root` other than "" replaces the cgroup2 mount (and the emulator's own cgroup) with a
 * directory: for tests, which can then check what was written. In a directory that is
 * not a cgroup2 file system, files are created as needed and cgroups removed with their
 * files.
 */
class Cgroups {
 public:
  explicit Cgroups(std::string root = {});
  ~Cgroups();
  Cgroups(Cgroups const&) = delete;
  Cgroups& operator=(Cgroups const&) = delete;

  /// OK when limits can be enforced; else FAILED_PRECONDITION saying why.
  absl::Status status();
  /// A cgroup named `name` with `limits` written. FAILED_PRECONDITION when cgroups are
  /// unavailable (status()), INTERNAL when writing a limit fails.
  absl::StatusOr<std::unique_ptr<SandboxCgroup>> create(std::string const& name,
                                                        ResourceLimits const& limits);
  /// The directory sandbox cgroups are created in ("" while unavailable).
  std::string parent();
  /// Removes the emulator's cgroup (once its sandboxes' are gone); later create() calls
  /// fail. Idempotent; the destructor calls it.
  void shutdown();

 private:
  void detect();  // once, under mu_
  absl::Status adopt(std::string const& base);

  std::string const root_override_;
  std::mutex mu_;
  bool detected_ = false;
  bool fake_ = false;
  absl::Status status_;
  std::string parent_;
};

}  // namespace internal
}  // namespace modal::emulator::runtime

#endif  // MODAL_EMULATOR_RUNTIME_CGROUPS_H
