// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "runtime/tree_copy.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "runtime/unique_fd.h"

namespace modal::emulator::runtime {
namespace {

using internal::UniqueFd;

/// Deeper trees fail instead of exhausting file descriptors (one per open level).
constexpr int kMaxDepth = 512;

/// Kernel file systems (proc, sysfs, ...) whose files are views of the running system, not
/// content: a copy keeps their mount points as empty directories.
bool is_kernel_fs(int dir_fd) {
  struct statfs fs {};
  if (::fstatfs(dir_fd, &fs) != 0) return false;
  switch (static_cast<unsigned long>(fs.f_type)) {
    case PROC_SUPER_MAGIC:
    case SYSFS_MAGIC:
    case DEVPTS_SUPER_MAGIC:
    case CGROUP_SUPER_MAGIC:
    case CGROUP2_SUPER_MAGIC:
    case DEBUGFS_MAGIC:
    case TRACEFS_MAGIC:
    case SECURITYFS_MAGIC:
    case BPF_FS_MAGIC:
    case PSTOREFS_MAGIC:
    case SELINUX_MAGIC:
    case NSFS_MAGIC:
      return true;
    default:
      return false;
  }
}

absl::Status errno_status(std::string const& what, std::string const& path, int err) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(err)));
}

/// The extended attributes of `fd` (an O_PATH fd of a symlink has none worth copying).
absl::Status copy_xattrs(int src_fd, int dst_fd, std::string const& path) {
  std::vector<char> names(4096);
  ssize_t n;
  for (;;) {
    n = ::flistxattr(src_fd, names.data(), names.size());
    if (n >= 0) break;
    if (errno == ENOTSUP) return absl::OkStatus();
    if (errno != ERANGE) return errno_status("list extended attributes of", path, errno);
    names.resize(names.size() * 4);
  }
  std::vector<char> value(4096);
  for (ssize_t off = 0; off < n;) {
    char const* name = names.data() + off;
    off += static_cast<ssize_t>(std::strlen(name)) + 1;
    ssize_t len;
    for (;;) {
      len = ::fgetxattr(src_fd, name, value.data(), value.size());
      if (len >= 0 || errno != ERANGE) break;
      value.resize(value.size() * 4);
    }
    if (len < 0) {
      if (errno == ENODATA) continue;  // removed meanwhile
      return errno_status(absl::StrCat("read extended attribute ", name, " of"), path, errno);
    }
    if (::fsetxattr(dst_fd, name, value.data(), static_cast<size_t>(len), 0) != 0 &&
        errno != ENOTSUP) {
      return errno_status(absl::StrCat("set extended attribute ", name, " on"), path, errno);
    }
  }
  return absl::OkStatus();
}

/// Owner, mode and times of `dst_fd` as `st` (after the content and attributes: chown
/// clears set-id bits, a write updates the times).
absl::Status copy_metadata(int dst_fd, struct stat const& st, std::string const& path) {
  if (::fchown(dst_fd, st.st_uid, st.st_gid) != 0 && errno != EPERM) {
    return errno_status("chown", path, errno);
  }
  if (::fchmod(dst_fd, st.st_mode & 07777) != 0) return errno_status("chmod", path, errno);
  struct timespec const times[2] = {st.st_atim, st.st_mtim};
  if (::futimens(dst_fd, times) != 0) return errno_status("set the times of", path, errno);
  return absl::OkStatus();
}

absl::Status copy_file_data(int src, int dst, struct stat const& st, std::string const& path,
                            TreeCopyStats& stats) {
  off_t remaining = st.st_size;
  bool use_copy_range = true;
  std::vector<char> buf;
  while (remaining > 0) {
    ssize_t n = -1;
    if (use_copy_range) {
      n = ::copy_file_range(src, nullptr, dst, nullptr, static_cast<size_t>(remaining), 0);
      if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP || errno == EINVAL)) {
        use_copy_range = false;
        continue;
      }
    } else {
      if (buf.empty()) buf.resize(size_t{1} << 20);
      n = ::read(src, buf.data(), buf.size());
      if (n > 0) {
        for (ssize_t done = 0; done < n;) {
          ssize_t const w = ::write(dst, buf.data() + done, static_cast<size_t>(n - done));
          if (w < 0) {
            if (errno == EINTR) continue;
            return errno_status("write", path, errno);
          }
          done += w;
        }
      }
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_status("copy", path, errno);
    }
    if (n == 0) break;  // the file shrank meanwhile
    remaining -= n;
    stats.bytes += static_cast<uint64_t>(n);
  }
  return absl::OkStatus();
}

class Copier {
 public:
  explicit Copier(TreeCopyStats& stats) : stats_(stats) {}

  /// Copies the contents of directory `src` into the existing directory `dst`.
  absl::Status copy_dir(int src, int dst, std::string const& path, int depth) {
    if (depth > kMaxDepth) {
      return absl::FailedPreconditionError(
          absl::StrCat("directory tree deeper than ", kMaxDepth, " levels at ", path));
    }
    int const listing_fd = ::fcntl(src, F_DUPFD_CLOEXEC, 0);
    if (listing_fd < 0) return errno_status("duplicate the descriptor of", path, errno);
    DIR* dir = ::fdopendir(listing_fd);
    if (dir == nullptr) {
      ::close(listing_fd);
      return errno_status("list", path, errno);
    }
    absl::Status result;
    for (;;) {
      errno = 0;
      struct dirent* entry = ::readdir(dir);
      if (entry == nullptr) {
        if (errno != 0) result = errno_status("list", path, errno);
        break;
      }
      std::string const name = entry->d_name;
      if (name == "." || name == "..") continue;
      result = copy_entry(src, dst, entry->d_name, absl::StrCat(path, "/", name), depth);
      if (!result.ok()) break;
    }
    ::closedir(dir);
    return result;
  }

 private:
  absl::Status copy_entry(int src_parent, int dst_parent, char const* name, std::string const& path,
                          int depth) {
    struct stat st;
    if (::fstatat(src_parent, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) return absl::OkStatus();  // removed meanwhile
      return errno_status("stat", path, errno);
    }
    switch (st.st_mode & S_IFMT) {
      case S_IFDIR: {
        UniqueFd s(::openat(src_parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!s) return errno_status("open", path, errno);
        if (::mkdirat(dst_parent, name, 0700) != 0) return errno_status("create", path, errno);
        UniqueFd d(::openat(dst_parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!d) return errno_status("open the copy of", path, errno);
        ++stats_.directories;
        if (is_kernel_fs(s.get())) return copy_metadata(d.get(), st, path);
        if (auto st2 = copy_dir(s.get(), d.get(), path, depth + 1); !st2.ok()) return st2;
        if (auto st2 = copy_xattrs(s.get(), d.get(), path); !st2.ok()) return st2;
        return copy_metadata(d.get(), st, path);
      }
      case S_IFREG: {
        UniqueFd s(::openat(src_parent, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        if (!s) return errno_status("open", path, errno);
        UniqueFd d(
            ::openat(dst_parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!d) return errno_status("create", path, errno);
        ++stats_.files;
        if (auto st2 = copy_file_data(s.get(), d.get(), st, path, stats_); !st2.ok()) return st2;
        if (auto st2 = copy_xattrs(s.get(), d.get(), path); !st2.ok()) return st2;
        return copy_metadata(d.get(), st, path);
      }
      case S_IFLNK: {
        std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
        ssize_t const n = ::readlinkat(src_parent, name, target.data(), target.size());
        if (n < 0) return errno_status("read the link", path, errno);
        target.resize(static_cast<size_t>(n));
        if (::symlinkat(target.c_str(), dst_parent, name) != 0) {
          return errno_status("create the link", path, errno);
        }
        if (::fchownat(dst_parent, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0 &&
            errno != EPERM) {
          return errno_status("chown", path, errno);
        }
        struct timespec const times[2] = {st.st_atim, st.st_mtim};
        ::utimensat(dst_parent, name, times, AT_SYMLINK_NOFOLLOW);
        ++stats_.files;
        return absl::OkStatus();
      }
      case S_IFCHR:
      case S_IFBLK:
      case S_IFIFO: {
        // Character device 0/0 is an overlayfs whiteout: what makes a deletion part of
        // the layer.
        if (::mknodat(dst_parent, name, st.st_mode, st.st_rdev) != 0) {
          return errno_status("create the node", path, errno);
        }
        UniqueFd d(::openat(dst_parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC));
        if (d) {
          // Through /proc: O_PATH fds take no fchown/fchmod, but their proc link does.
          std::string const proc = absl::StrCat("/proc/self/fd/", d.get());
          if (::chown(proc.c_str(), st.st_uid, st.st_gid) != 0 && errno != EPERM) {
            return errno_status("chown", path, errno);
          }
          ::chmod(proc.c_str(), st.st_mode & 07777);
        }
        ++stats_.files;
        return absl::OkStatus();
      }
      default:  // sockets are endpoints of running programs, not content
        return absl::OkStatus();
    }
  }

  TreeCopyStats& stats_;
};

}  // namespace

absl::Status copy_tree(int src_dirfd, std::string const& dest, TreeCopyStats* stats) {
  TreeCopyStats local;
  TreeCopyStats& s = stats != nullptr ? *stats : local;
  struct stat st;
  if (::fstat(src_dirfd, &st) != 0) return errno_status("stat", "the source of", errno);
  if (!S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat("not a directory: the source of ", dest));
  }
  if (::mkdir(dest.c_str(), 0700) != 0) return errno_status("create", dest, errno);
  absl::Status result;
  {
    UniqueFd d(::open(dest.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!d) {
      result = errno_status("open", dest, errno);
    } else {
      result = Copier(s).copy_dir(src_dirfd, d.get(), "", 0);
      if (result.ok()) result = copy_xattrs(src_dirfd, d.get(), "/");
      if (result.ok()) result = copy_metadata(d.get(), st, "/");
    }
  }
  if (!result.ok()) {
    std::error_code ec;
    std::filesystem::remove_all(dest, ec);
  }
  return result;
}

absl::Status copy_tree(std::string const& src, std::string const& dest, TreeCopyStats* stats) {
  UniqueFd fd(::open(src.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return errno_status("open", src, errno);
  return copy_tree(fd.get(), dest, stats);
}

}  // namespace modal::emulator::runtime
