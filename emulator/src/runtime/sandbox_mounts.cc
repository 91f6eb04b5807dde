// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// The file system of a running sandbox from outside: directory snapshots and image mounts
// (TaskSnapshotDirectory, TaskMountDirectory, TaskUnmountDirectory).
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "runtime/engine.h"
#include "runtime/sandbox.h"
#include "runtime/sandbox_root.h"

namespace modal::emulator::runtime {
namespace {

using internal::MountStep;
using internal::UniqueFd;

constexpr size_t kMaxPath = 4096;

/// `path` as the key of a mount: absolute, lexically normal, no trailing '/'.
absl::StatusOr<std::string> normal_path(std::string const& path) {
  if (path.empty() || path.front() != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("the path must be absolute, got \"", path, "\""));
  }
  if (path.size() > kMaxPath || path.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError("the path is too long or contains a NUL byte");
  }
  std::string out = std::filesystem::path(path).lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

bool same_file(int a, int b) {
  struct stat sa, sb;
  return ::fstat(a, &sa) == 0 && ::fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

}  // namespace

internal::UniqueFd Sandbox::dup_mount_namespace() const {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto const& ns : namespaces_) {
    if (ns.type == CLONE_NEWNS) return UniqueFd(fcntl(ns.fd, F_DUPFD_CLOEXEC, 3));
  }
  return UniqueFd();
}

absl::Status Sandbox::snapshot_directory_to_layer(std::string const& path, std::string const& dest,
                                                  TreeCopyStats* stats) {
  // Checked, but resolved as given: ".." after a symbolic link is not lexical.
  if (auto st = normal_path(path).status(); !st.ok()) return st;
  if (!isolated_) {
    return absl::FailedPreconditionError(
        "directory snapshots need the sandbox's own root, which this machine does not allow");
  }
  auto const gone = [] {
    return absl::FailedPreconditionError("the sandbox has finished; its file system is gone");
  };
  if (!hold_state()) return gone();
  absl::Status result = [&]() -> absl::Status {
    // The root of the sandbox's init, checked to be in the sandbox's mount namespace (a
    // pid reused after the init was reaped is some other process).
    UniqueFd const ns = dup_mount_namespace();
    if (!ns) return gone();
    std::string const proc = absl::StrCat("/proc/", pid());
    UniqueFd const root(::open((proc + "/root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    UniqueFd const init_ns(::open((proc + "/ns/mnt").c_str(), O_RDONLY | O_CLOEXEC));
    if (!root || !init_ns || !same_file(ns.get(), init_ns.get()) || finished()) return gone();
    struct open_how how {};
    how.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    UniqueFd const dir(
        static_cast<int>(::syscall(SYS_openat2, root.get(), path.c_str(), &how, sizeof how)));
    if (!dir) {
      int const err = errno;
      if (err == ENOENT) return absl::NotFoundError(absl::StrCat("no such directory: ", path));
      if (err == ENOTDIR) {
        return absl::InvalidArgumentError(absl::StrCat("not a directory: ", path));
      }
      return absl::FailedPreconditionError(
          absl::StrCat("cannot open ", path, ": ", std::strerror(err)));
    }
    return copy_tree(dir.get(), dest, stats);
  }();
  release_state();
  return result;
}

absl::Status Sandbox::mount_layers(std::string const& path,
                                   std::vector<std::string> const& layers) {
  auto const normal = normal_path(path);
  if (!normal.ok()) return normal.status();
  if (*normal == "/") return absl::InvalidArgumentError("an image cannot be mounted on /");
  if (!isolated_) {
    return absl::FailedPreconditionError(
        "image mounts need the sandbox's own mount namespace, which this machine does not "
        "allow");
  }
  auto engine = engine_.lock();
  auto const gone = [&] {
    return absl::FailedPreconditionError(absl::StrCat("sandbox ", id_, " has finished"));
  };
  if (!engine || !hold_state()) return gone();
  std::string dir;
  absl::Status result = [&]() -> absl::Status {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (layer_mounts_.contains(*normal)) {
        return absl::AlreadyExistsError(
            absl::StrCat("an image is already mounted at ", *normal, "; unmount it first"));
      }
      uint64_t const seq = next_mount_++;
      dir = absl::StrCat(state_dir_, "/mounts/", seq);
      layer_mounts_.emplace(*normal, LayerMount{dir, seq});  // reserved; erased on failure
    }
    std::error_code ec;
    std::vector<std::string> lower = layers;
    if (lower.empty()) lower.push_back(dir + "/empty");
    for (char const* sub : {"upper", "work", "empty"}) {
      std::filesystem::create_directories(std::filesystem::path(dir) / sub, ec);
      if (ec) {
        return absl::InternalError(absl::StrCat("create ", dir, "/", sub, ": ", ec.message()));
      }
    }
    auto overlay = internal::new_overlay(lower, dir + "/upper", dir + "/work");
    if (!overlay.ok()) return overlay.status();
    UniqueFd ns = dup_mount_namespace();
    if (!ns) return gone();

    std::vector<MountStep> steps;
    std::filesystem::path prefix("/");
    for (auto const& part : std::filesystem::path(*normal).relative_path()) {
      prefix /= part;
      MountStep mkdir;
      mkdir.op = MountStep::Op::kMkdir;
      mkdir.target = prefix.string();
      mkdir.mode = 0755;
      mkdir.what = absl::StrCat("create ", prefix.string());
      steps.push_back(std::move(mkdir));
    }
    MountStep attach;
    attach.op = MountStep::Op::kMoveMount;
    attach.fd = overlay->get();
    attach.target = *normal;
    attach.what = absl::StrCat("mount the image on ", *normal);
    steps.push_back(std::move(attach));
    internal::SpawnResult const raw =
        engine->run_steps({{ns.get(), CLONE_NEWNS}}, std::move(steps));
    if (raw.error == 0) return absl::OkStatus();
    if (raw.step.rfind("setns", 0) == 0) return gone();
    std::string const message = absl::StrCat(raw.step, ": ", std::strerror(raw.error));
    if (raw.error == ENOTDIR || raw.error == EEXIST || raw.error == ELOOP ||
        raw.error == ENAMETOOLONG) {
      return absl::InvalidArgumentError(message);
    }
    return absl::FailedPreconditionError(message);
  }();
  if (!result.ok() && !dir.empty()) {
    bool reserved = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = layer_mounts_.find(*normal);
      reserved = it != layer_mounts_.end() && it->second.dir == dir;
      if (reserved) layer_mounts_.erase(it);
    }
    if (reserved) {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  }
  release_state();
  return result;
}

absl::Status Sandbox::unmount_layers(std::string const& path) {
  auto const normal = normal_path(path);
  if (!normal.ok()) return normal.status();
  auto engine = engine_.lock();
  auto const gone = [&] {
    return absl::FailedPreconditionError(absl::StrCat("sandbox ", id_, " has finished"));
  };
  if (!engine || !hold_state()) return gone();
  absl::Status result = [&]() -> absl::Status {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!layer_mounts_.contains(*normal)) {
        return absl::NotFoundError(absl::StrCat("no image is mounted at ", *normal));
      }
    }
    UniqueFd ns = dup_mount_namespace();
    if (!ns) return gone();
    MountStep detach;
    detach.op = MountStep::Op::kUnmount;
    detach.target = *normal;
    detach.what = absl::StrCat("unmount ", *normal);
    internal::SpawnResult const raw = engine->run_steps({{ns.get(), CLONE_NEWNS}}, {detach});
    // EINVAL: no longer a mount point (the sandbox's root moved or unmounted it itself).
    if (raw.error != 0 && raw.error != EINVAL && raw.error != ENOENT) {
      if (raw.step.rfind("setns", 0) == 0) return gone();
      return absl::FailedPreconditionError(absl::StrCat(raw.step, ": ", std::strerror(raw.error)));
    }
    // MNT_DETACH took along the mounts made on top of it (below its path, later).
    std::vector<std::string> dirs;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto const self = layer_mounts_.find(*normal);
      if (self == layer_mounts_.end()) return absl::OkStatus();  // a concurrent unmount
      uint64_t const seq = self->second.seq;
      std::string const below = *normal + "/";
      for (auto it = layer_mounts_.begin(); it != layer_mounts_.end();) {
        if (it->first == *normal || (it->first.starts_with(below) && it->second.seq > seq)) {
          dirs.push_back(it->second.dir);
          it = layer_mounts_.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (auto const& dir : dirs) {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
    return absl::OkStatus();
  }();
  release_state();
  return result;
}

std::vector<std::string> Sandbox::layer_mounts() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (auto const& [path, mount] : layer_mounts_) out.push_back(path);
  return out;
}

}  // namespace modal::emulator::runtime
