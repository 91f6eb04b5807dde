// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "runtime/cgroups.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "runtime/sandbox_root.h"
#include "runtime/state_dir.h"

namespace modal::emulator::runtime::internal {
namespace {

constexpr long kCgroup2Magic = 0x63677270;  // CGROUP2_SUPER_MAGIC
constexpr uint64_t kCpuPeriodUs = 100000;
constexpr char const* kControllers[] = {"memory", "cpu"};

std::string read_file(std::string const& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return std::string(absl::StripAsciiWhitespace(ss.str()));
}

absl::Status write_file(std::string const& path, std::string const& value, bool create) {
  int const flags = O_WRONLY | O_CLOEXEC | (create ? O_CREAT | O_TRUNC : 0);
  UniqueFd fd(::open(path.c_str(), flags, 0644));
  if (!fd || ::write(fd.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size())) {
    return absl::InternalError(
        absl::StrCat("write '", value, "' to ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

/// The controllers of `list` ("cpuset cpu io memory ...") among kControllers that are
/// missing.
std::vector<std::string> missing_controllers(std::string const& list) {
  std::vector<absl::string_view> have = absl::StrSplit(list, ' ', absl::SkipEmpty());
  std::vector<std::string> missing;
  for (char const* c : kControllers) {
    if (std::find(have.begin(), have.end(), c) == have.end()) missing.emplace_back(c);
  }
  return missing;
}

std::string cgroup2_mount() {
  for (HostMount const& m : read_host_mounts()) {
    if (m.fstype == "cgroup2") return m.mount_point;
  }
  return {};
}

/// The emulator's own cgroup v2 path ("/..."), from /proc/self/cgroup's "0::" line.
std::string own_cgroup() {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("0::", 0) == 0) return line.substr(3);
  }
  return {};
}

/// Removes a cgroup and its (empty) descendants; a cgroup with processes stays.
void remove_cgroup_tree(std::string const& path, bool fake) {
  std::error_code ec;
  if (fake) {
    std::filesystem::remove_all(path, ec);
    return;
  }
  std::vector<std::string> children;
  for (auto it = std::filesystem::directory_iterator(path, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec)) children.push_back(it->path().string());
  }
  for (auto const& child : children) remove_cgroup_tree(child, fake);
  ::rmdir(path.c_str());
}

}  // namespace

SandboxCgroup::SandboxCgroup(std::string path, UniqueFd procs, bool fake)
    : path_(std::move(path)), procs_(std::move(procs)), fake_(fake) {}

SandboxCgroup::~SandboxCgroup() {
  procs_.reset();
  remove_cgroup_tree(path_, fake_);
}

Cgroups::Cgroups(std::string root) : root_override_(std::move(root)) {}

Cgroups::~Cgroups() { shutdown(); }

void Cgroups::shutdown() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!parent_.empty()) remove_cgroup_tree(parent_, fake_);
  parent_.clear();
  detected_ = true;
  status_ = absl::FailedPreconditionError("the process runtime is shut down");
}

absl::Status Cgroups::status() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!detected_) detect();
  return status_;
}

std::string Cgroups::parent() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!detected_) detect();
  return parent_;
}

void Cgroups::detect() {
  detected_ = true;
  std::string mount, own;
  if (!root_override_.empty()) {
    mount = own = root_override_;
    struct statfs fs {};
    fake_ = ::statfs(mount.c_str(), &fs) != 0 || fs.f_type != kCgroup2Magic;
  } else {
    mount = cgroup2_mount();
    if (mount.empty()) {
      status_ = absl::FailedPreconditionError("no cgroup v2 hierarchy is mounted");
      return;
    }
    own = mount + own_cgroup();
    while (own.size() > 1 && own.back() == '/') own.pop_back();
  }
  std::string const offered = read_file(mount + "/cgroup.controllers");
  if (auto missing = missing_controllers(offered); !missing.empty()) {
    status_ = absl::FailedPreconditionError(absl::StrCat(
        "the cgroup v2 hierarchy at ", mount, " offers no ", absl::StrJoin(missing, " or "),
        " controller (it offers: ", offered.empty() ? "none" : offered,
        "; on hosts that mount cgroup v1 hierarchies these controllers are there)"));
    return;
  }
  std::vector<std::string> candidates = {own};
  if (own != mount) candidates.push_back(mount);
  absl::Status last;
  for (auto const& base : candidates) {
    last = adopt(base);
    if (last.ok()) {
      status_ = absl::OkStatus();
      return;
    }
  }
  status_ = absl::FailedPreconditionError(
      absl::StrCat("cannot create cgroups with the memory and cpu controllers: ", last.message()));
}

absl::Status Cgroups::adopt(std::string const& base) {
  // Leftovers of emulators that are gone (empty once their processes died).
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(base, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    std::string const owner = owner_of(it->path().filename().string());
    if (!owner.empty() && !owner_alive(owner) && it->is_directory(ec)) {
      remove_cgroup_tree(it->path().string(), fake_);
    }
  }
  if (auto missing = missing_controllers(read_file(base + "/cgroup.controllers"));
      !missing.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(base, " offers no ", absl::StrJoin(missing, " or "), " controller"));
  }
  if (!missing_controllers(read_file(base + "/cgroup.subtree_control")).empty()) {
    // Refused (EBUSY) for a cgroup other than the root that has processes of its own.
    if (auto st = write_file(base + "/cgroup.subtree_control", "+memory +cpu", fake_); !st.ok()) {
      return st;
    }
  }
  std::string const parent = absl::StrCat(base, "/modal-emulator.", owner_tag());
  if (::mkdir(parent.c_str(), 0755) != 0 && errno != EEXIST) {
    return absl::InternalError(absl::StrCat("mkdir ", parent, ": ", std::strerror(errno)));
  }
  if (auto st = write_file(parent + "/cgroup.subtree_control", "+memory +cpu", fake_); !st.ok()) {
    remove_cgroup_tree(parent, fake_);
    return st;
  }
  parent_ = parent;
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<SandboxCgroup>> Cgroups::create(std::string const& name,
                                                               ResourceLimits const& limits) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!detected_) detect();
  if (!status_.ok()) return status_;
  std::string const path = absl::StrCat(parent_, "/", name);
  if (::mkdir(path.c_str(), 0755) != 0) {
    return absl::InternalError(absl::StrCat("mkdir ", path, ": ", std::strerror(errno)));
  }
  auto const fail = [&](absl::Status st) {
    remove_cgroup_tree(path, fake_);
    return st;
  };
  if (limits.memory_bytes) {
    if (auto st = write_file(path + "/memory.max", std::to_string(*limits.memory_bytes), fake_);
        !st.ok()) {
      return fail(st);
    }
    // The limit is on memory, not memory + swap (absent when swap is not accounted).
    std::string const swap = path + "/memory.swap.max";
    if (fake_ || ::access(swap.c_str(), F_OK) == 0) {
      if (auto st = write_file(swap, "0", fake_); !st.ok()) return fail(st);
    }
  }
  if (limits.cpus) {
    auto const quota = std::max<uint64_t>(
        1000,
        static_cast<uint64_t>(std::llround(*limits.cpus * static_cast<double>(kCpuPeriodUs))));
    if (auto st = write_file(path + "/cpu.max", absl::StrCat(quota, " ", kCpuPeriodUs), fake_);
        !st.ok()) {
      return fail(st);
    }
  }
  int const flags = O_WRONLY | O_CLOEXEC | (fake_ ? O_CREAT : 0);
  UniqueFd procs(::open((path + "/cgroup.procs").c_str(), flags, 0644));
  if (!procs) {
    return fail(
        absl::InternalError(absl::StrCat("open ", path, "/cgroup.procs: ", std::strerror(errno))));
  }
  if (procs.get() < 3) {
    int const moved = fcntl(procs.get(), F_DUPFD_CLOEXEC, 3);
    if (moved < 0) return fail(absl::InternalError("fcntl(F_DUPFD_CLOEXEC)"));
    procs.reset(moved);
  }
  return std::make_unique<SandboxCgroup>(path, std::move(procs), fake_);
}

}  // namespace modal::emulator::runtime::internal
