// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "runtime/volume_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace modal::emulator::runtime {
namespace {

using internal::UniqueFd;

constexpr int kMaxDepth = 512;
constexpr int kRetries = 5;

absl::Status errno_error(absl::string_view what, int err) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(err)));
}

int openat2_beneath(int root, std::string const& path, int flags) {
  struct open_how how {};
  how.flags = static_cast<uint64_t>(flags) | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
  return static_cast<int>(::syscall(SYS_openat2, root, path.c_str(), &how, sizeof how));
}

/// Moves `fd` above the standard streams (a spawned child dup2()s onto 0, 1, 2).
absl::Status above_stdio(UniqueFd& fd) {
  if (fd.get() >= 3) return absl::OkStatus();
  int const moved = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3);
  if (moved < 0) return errno_error("fcntl(F_DUPFD_CLOEXEC)", errno);
  fd.reset(moved);
  return absl::OkStatus();
}

/// Empties the directory `dir` (an O_NOFOLLOW fd it takes over) recursively.
absl::Status empty_dir(int dir, int depth);

/// Removes the entry `name` of the directory `parent`, recursively.
absl::Status remove_entry(int parent, char const* name, int depth) {
  for (int attempt = 0; attempt < kRetries; ++attempt) {
    if (::unlinkat(parent, name, 0) == 0 || errno == ENOENT) return absl::OkStatus();
    if (errno != EISDIR && errno != EPERM) return errno_error(absl::StrCat("unlink ", name), errno);
    if (depth >= kMaxDepth) {
      return absl::FailedPreconditionError(
          absl::StrCat("more than ", kMaxDepth, " nested directories"));
    }
    int const fd = ::openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return absl::OkStatus();
      if (errno == ENOTDIR || errno == ELOOP) continue;  // replaced meanwhile: unlink it
      return errno_error(absl::StrCat("open ", name), errno);
    }
    if (auto st = empty_dir(fd, depth + 1); !st.ok()) return st;
    if (::unlinkat(parent, name, AT_REMOVEDIR) == 0 || errno == ENOENT) return absl::OkStatus();
    if (errno != ENOTEMPTY && errno != EEXIST && errno != ENOTDIR) {
      return errno_error(absl::StrCat("rmdir ", name), errno);
    }
  }
  return absl::FailedPreconditionError(
      absl::StrCat("cannot remove ", name, ": it keeps being written to"));
}

absl::Status empty_dir(int dir, int depth) {
  DIR* stream = ::fdopendir(dir);
  if (stream == nullptr) {
    int const err = errno;
    ::close(dir);
    return errno_error("fdopendir", err);
  }
  std::vector<std::string> names;
  while (dirent* entry = ::readdir(stream)) {
    if (std::strcmp(entry->d_name, ".") == 0 || std::strcmp(entry->d_name, "..") == 0) continue;
    names.emplace_back(entry->d_name);
  }
  absl::Status result;
  for (auto const& name : names) {
    result = remove_entry(::dirfd(stream), name.c_str(), depth);
    if (!result.ok()) break;
  }
  ::closedir(stream);
  return result;
}

}  // namespace

absl::StatusOr<std::string> normal_sub_path(std::string_view sub_path_view) {
  std::string const sub_path(sub_path_view);
  if (sub_path.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError("sub_path must not contain NUL bytes");
  }
  // A leading '/' names the Volume's root, as upstream's examples write it ("/data").
  std::vector<absl::string_view> parts;
  for (absl::string_view part : absl::StrSplit(absl::string_view(sub_path.data(), sub_path.size()),
                                               '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    if (part == "..") {
      return absl::InvalidArgumentError(
          absl::StrCat("sub_path must not contain '..', got '", sub_path, "'"));
    }
    parts.push_back(part);
  }
  return absl::StrJoin(parts, "/");
}

absl::StatusOr<std::shared_ptr<UniqueFd>> open_volume_tree(std::string const& volume_dir,
                                                           std::string_view sub_path_view,
                                                           bool read_only) {
  std::string const sub_path(sub_path_view);
  auto const normal = normal_sub_path(sub_path);
  if (!normal.ok()) return normal.status();
  UniqueFd const root(::open(volume_dir.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!root) {
    return absl::FailedPreconditionError(absl::StrCat("the Volume's directory ", volume_dir,
                                                      " cannot be opened: ", std::strerror(errno)));
  }
  UniqueFd dir(::fcntl(root.get(), F_DUPFD_CLOEXEC, 3));
  if (!dir) return errno_error("fcntl(F_DUPFD_CLOEXEC)", errno);
  std::string prefix;
  for (absl::string_view part : absl::StrSplit(*normal, '/', absl::SkipEmpty())) {
    std::string const name(part);
    prefix = prefix.empty() ? name : absl::StrCat(prefix, "/", name);
    int fd = openat2_beneath(root.get(), prefix, O_PATH | O_DIRECTORY);
    if (fd < 0 && errno == ENOENT) {
      if (::mkdirat(dir.get(), name.c_str(), 0777) == 0) {
        // Mode 0777 whatever the emulator's umask: a sandbox's non-root user may write.
        UniqueFd const made(openat2_beneath(root.get(), prefix, O_RDONLY | O_DIRECTORY));
        if (made) ::fchmod(made.get(), 0777);
      } else if (errno != EEXIST) {
        return absl::InvalidArgumentError(absl::StrCat("sub_path '", sub_path, "': cannot create '",
                                                       prefix, "': ", std::strerror(errno)));
      }
      fd = openat2_beneath(root.get(), prefix, O_PATH | O_DIRECTORY);
    }
    if (fd < 0) {
      int const err = errno;
      if (err == EXDEV || err == ELOOP) {
        return absl::InvalidArgumentError(absl::StrCat("sub_path '", sub_path,
                                                       "' leads outside the Volume ('", prefix,
                                                       "' is a symbolic link out of it)"));
      }
      if (err == ENOTDIR || err == ENOENT || err == EACCES) {
        return absl::InvalidArgumentError(
            absl::StrCat("sub_path '", sub_path, "': '", prefix, "': ", std::strerror(err)));
      }
      return errno_error(absl::StrCat("open ", prefix, " in the Volume"), err);
    }
    dir.reset(fd);
  }
  auto tree = std::make_shared<UniqueFd>(
      ::open_tree(dir.get(), "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH));
  if (!*tree) return errno_error("open_tree(the Volume's directory)", errno);
  if (auto st = above_stdio(*tree); !st.ok()) return st;
  struct mount_attr attr {};
  attr.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (read_only ? MOUNT_ATTR_RDONLY : 0);
  if (::mount_setattr(tree->get(), "", AT_EMPTY_PATH, &attr, sizeof attr) != 0) {
    return errno_error("mount_setattr(the Volume's bind mount)", errno);
  }
  return tree;
}

absl::Status remove_tree(std::string const& path) {
  std::string const parent = path.substr(0, path.find_last_of('/') + 1);
  std::string const name = path.substr(parent.size());
  if (name.empty()) return absl::InvalidArgumentError("remove_tree needs a path with a name");
  UniqueFd const dir(::open(parent.empty() ? "." : parent.c_str(),
                            O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir) {
    if (errno == ENOENT) return absl::OkStatus();
    return errno_error(absl::StrCat("open ", parent), errno);
  }
  return remove_entry(dir.get(), name.c_str(), 0);
}

}  // namespace modal::emulator::runtime
