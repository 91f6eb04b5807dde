// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "fs_tools/fs_tools.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

namespace modal::fs_tools {
namespace {

using Json = nlohmann::json;

/// A failed command: becomes the error object on stderr.
struct FsError {
  std::string kind;
  std::string message;
  std::string detail{};
};

[[noreturn]] void fail(std::string kind, std::string message, int err = 0) {
  throw FsError{std::move(kind), std::move(message), err != 0 ? std::strerror(err) : ""};
}

/// The error kinds an errno maps to; `fallback` for the rest.
[[noreturn]] void fail_errno(int err, std::string_view what, char const* fallback = "Io") {
  switch (err) {
    case ENOENT:
      fail("NotFound", "No such file or directory", err);
    case ENOTDIR:
      fail("NotDirectory", "A component of the path is not a directory", err);
    case EISDIR:
      fail("IsDirectory", "Is a directory", err);
    case EACCES:
    case EPERM:
    case EROFS:
      fail("PermissionDenied", "Permission denied", err);
    case EEXIST:
      fail("PathAlreadyExists", "Path already exists", err);
    case ENOTEMPTY:
      fail("DirectoryNotEmpty", "Directory not empty", err);
    default:
      fail(fallback, std::string(what) + " failed", err);
  }
}

std::string json_text(Json const& j) {
  // Paths need not be UTF-8: invalid bytes become U+FFFD instead of failing the dump.
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

/// Writes all of `data`; false when the reader is gone (EPIPE) or on another error.
bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t const n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

/// Copies `from` to `to` until EOF, with `fast(from, to, max)` (sendfile or splice) while the
/// kernel supports it for these descriptors, else read() and write(). `progress(total)`
/// runs after each chunk (it may throw). Failures name `what`.
template <typename Fast, typename Progress>
void copy_all(int from, int to, Fast fast, char const* what, Progress progress) {
  constexpr std::size_t kChunk = std::size_t{1} << 20;
  std::uint64_t total = 0;
  bool use_fast = true;
  std::vector<char> buffer;
  for (;;) {
    ssize_t n = -1;
    if (use_fast) {
      n = fast(from, to, kChunk);
      if (n < 0 && (errno == EINVAL || errno == ENOSYS)) {
        use_fast = false;
        continue;
      }
    } else {
      if (buffer.empty()) buffer.resize(kChunk);
      n = ::read(from, buffer.data(), buffer.size());
      if (n > 0 && !write_all(to, std::string_view(buffer.data(), n))) fail_errno(errno, what);
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_errno(errno, what);
    }
    if (n == 0) return;
    total += static_cast<std::uint64_t>(n);
    progress(total);
  }
}

/// A path that lstat() or stat() could not look up: PermissionDenied, NotDirectory where
/// the command reports it, else NotFound.
[[noreturn]] void fail_lookup(int err, bool not_directory = false) {
  if (err == EACCES || err == EPERM || (not_directory && err == ENOTDIR)) fail_errno(err, "stat");
  fail("NotFound", "No such file or directory", err);
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(Fd const&) = delete;
  Fd& operator=(Fd const&) = delete;
  int get() const { return fd_; }
  /// Closes now, reporting the error (a write-back failure shows up here).
  int close() {
    int const r = ::close(fd_);
    fd_ = -1;
    return r;
  }

 private:
  int fd_;
};

// ---- FileInfo ----------------------------------------------------------------------

/// Names of users or groups from /etc/passwd or /etc/group (the Sandbox's own files; no
/// NSS, so the program works linked statically).
std::map<unsigned, std::string> read_id_names(char const* file) {
  std::map<unsigned, std::string> names;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    auto const c1 = line.find(':');
    if (c1 == std::string::npos) continue;
    auto const c2 = line.find(':', c1 + 1);
    if (c2 == std::string::npos) continue;
    auto const c3 = line.find(':', c2 + 1);
    std::string const id = line.substr(c2 + 1, c3 == std::string::npos ? c3 : c3 - c2 - 1);
    char* end = nullptr;
    unsigned long const value = std::strtoul(id.c_str(), &end, 10);
    if (id.empty() || *end != '\0') continue;
    names.emplace(static_cast<unsigned>(value), line.substr(0, c1));
  }
  return names;
}

std::string id_name(unsigned id, char const* file) {
  static std::map<std::string, std::map<unsigned, std::string>> cache;
  auto it = cache.find(file);
  if (it == cache.end()) it = cache.emplace(file, read_id_names(file)).first;
  auto const name = it->second.find(id);
  return name != it->second.end() ? name->second : std::to_string(id);
}

std::string base_name(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  auto const slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

Json file_info(std::string const& path, struct stat const& st) {
  char permissions[8];
  std::snprintf(permissions, sizeof permissions, "%04o", st.st_mode & 07777);
  char const* type = S_ISLNK(st.st_mode) ? "symlink" : S_ISDIR(st.st_mode) ? "directory" : "file";
  Json info = {
      {"name", base_name(path)},
      {"path", path},
      {"type", type},
      {"size", static_cast<std::int64_t>(st.st_size)},
      {"mode", static_cast<std::uint32_t>(st.st_mode)},
      {"permissions", permissions},
      {"owner", id_name(st.st_uid, "/etc/passwd")},
      {"group", id_name(st.st_gid, "/etc/group")},
      {"modified_time",
       static_cast<double>(st.st_mtim.tv_sec) + static_cast<double>(st.st_mtim.tv_nsec) / 1e9},
  };
  if (S_ISLNK(st.st_mode)) {
    std::string target(static_cast<std::size_t>(std::max<off_t>(st.st_size, 0)) + 256, '\0');
    ssize_t const n = ::readlink(path.c_str(), target.data(), target.size());
    if (n >= 0) {
      target.resize(static_cast<std::size_t>(n));
      info["symlink_target"] = target;
    }
  }
  return info;
}

// ---- commands ----------------------------------------------------------------------

void read_file(Command const& cmd, Io io, std::uint64_t max_read_bytes) {
  int const raw = ::open(cmd.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (raw < 0) fail_errno(errno, "open");
  Fd fd(raw);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) fail_errno(errno, "stat");
  if (S_ISDIR(st.st_mode)) fail("IsDirectory", "Is a directory");
  auto too_large = [&](std::uint64_t size) {
    fail("FileTooLarge", "file is " + std::to_string(size) + " bytes, which exceeds the " +
                             std::to_string(max_read_bytes) + " byte limit");
  };
  if (static_cast<std::uint64_t>(st.st_size) > max_read_bytes) {
    too_large(static_cast<std::uint64_t>(st.st_size));
  }
  // Files without a size (/proc, devices) are bounded while they are copied.
  copy_all(
      fd.get(), io.out,
      [](int from, int to, std::size_t max) { return ::sendfile(to, from, nullptr, max); },
      "copy to stdout",
      [&](std::uint64_t copied) {
        if (copied > max_read_bytes) too_large(copied);
      });
}

bool is_directory(std::string const& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

/// mkdir -p of `dir`. A component that exists but is not a directory is NotDirectory, or
/// `last_kind` if it is `dir` itself.
void make_parents(std::string const& dir, char const* last_kind) {
  if (dir.empty() || dir == "/") return;
  std::size_t pos = 1;
  for (;;) {
    pos = dir.find('/', pos);
    std::string const prefix = dir.substr(0, pos);
    if (!prefix.empty() && prefix != "/" && ::mkdir(prefix.c_str(), 0777) != 0) {
      int const err = errno;
      if (err == EEXIST) {
        if (!is_directory(prefix)) {
          fail(pos == std::string::npos ? last_kind : "NotDirectory",
               "A component of the path is not a directory");
        }
      } else {
        fail_errno(err, "mkdir");
      }
    }
    if (pos == std::string::npos) break;
    ++pos;
  }
}

std::string parent_of(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  auto const slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

void write_file(Command const& cmd, Io io) {
  if (is_directory(cmd.path)) fail("IsDirectory", "Is a directory");
  make_parents(parent_of(cmd.path), "AlreadyExists");
  int const raw = ::open(cmd.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (raw < 0) fail_errno(errno, "open");
  Fd fd(raw);
  copy_all(
      io.in, fd.get(),
      [](int from, int to, std::size_t max) {
        return ::splice(from, nullptr, to, nullptr, max, SPLICE_F_MOVE);
      },
      "copy from stdin", [](std::uint64_t) {});
  if (fd.close() != 0) fail_errno(errno, "close");
}

void list_files(Command const& cmd, Io io) {
  struct stat st {};
  if (::stat(cmd.path.c_str(), &st) != 0) fail_lookup(errno, /*not_directory=*/true);
  if (!S_ISDIR(st.st_mode)) fail("IsFile", "expected a directory path");
  DIR* dir = ::opendir(cmd.path.c_str());
  if (dir == nullptr) fail_errno(errno, "opendir");
  std::vector<std::string> names;
  while (dirent* e = ::readdir(dir)) {
    std::string_view const name = e->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  Json entries = Json::array();
  for (std::string const& name : names) {
    std::string const path = normalize_path(cmd.path + "/" + name);
    struct stat entry {};
    if (::lstat(path.c_str(), &entry) != 0) continue;  // gone meanwhile
    entries.push_back(file_info(path, entry));
  }
  if (!write_all(io.out, json_text(entries))) fail_errno(errno, "write to stdout");
}

void stat_path(Command const& cmd, Io io) {
  struct stat st {};
  if (::lstat(cmd.path.c_str(), &st) != 0) {
    int const err = errno;
    if (err == ENOENT || err == ENOTDIR || err == EACCES || err == EPERM) fail_errno(err, "stat");
    fail("Io", "I/O error", err);
  }
  if (!write_all(io.out, json_text(file_info(cmd.path, st)))) fail_errno(errno, "write to stdout");
}

void make_directory(Command const& cmd) {
  if (cmd.parents) {
    struct stat st {};
    if (::stat(cmd.path.c_str(), &st) == 0) {
      if (S_ISDIR(st.st_mode)) return;
      fail("PathAlreadyExists", "Path already exists");
    }
    make_parents(cmd.path, "PathAlreadyExists");
    return;
  }
  if (::mkdir(cmd.path.c_str(), 0777) != 0) fail_errno(errno, "mkdir");
}

/// Removes the directory `name` in `parent_fd` with everything in it; never follows a
/// symbolic link.
void remove_tree_at(int parent_fd, char const* name) {
  int const raw = ::openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (raw < 0) fail_errno(errno, "open");
  DIR* dir = ::fdopendir(raw);
  if (dir == nullptr) {
    int const err = errno;
    ::close(raw);
    fail_errno(err, "opendir");
  }
  std::vector<std::pair<std::string, bool>> entries;
  while (dirent* e = ::readdir(dir)) {
    std::string_view const n = e->d_name;
    if (n == "." || n == "..") continue;
    struct stat st {};
    bool const is_dir =
        ::fstatat(raw, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
    entries.emplace_back(std::string(n), is_dir);
  }
  try {
    for (auto const& [n, is_dir] : entries) {
      if (is_dir) {
        remove_tree_at(raw, n.c_str());
      } else if (::unlinkat(raw, n.c_str(), 0) != 0 && errno != ENOENT) {
        fail_errno(errno, "unlink");
      }
    }
  } catch (...) {
    ::closedir(dir);
    throw;
  }
  ::closedir(dir);
  if (::unlinkat(parent_fd, name, AT_REMOVEDIR) != 0 && errno != ENOENT) {
    fail_errno(errno, "rmdir");
  }
}

void remove_path(Command const& cmd) {
  struct stat st {};
  if (::lstat(cmd.path.c_str(), &st) != 0) fail_lookup(errno);
  if (!S_ISDIR(st.st_mode)) {
    if (::unlink(cmd.path.c_str()) != 0) fail_errno(errno, "unlink");
    return;
  }
  if (!cmd.recursive) {
    if (::rmdir(cmd.path.c_str()) != 0) {
      int const err = errno;
      if (err == EEXIST) fail("DirectoryNotEmpty", "Directory not empty", err);
      fail_errno(err, "rmdir");
    }
    return;
  }
  std::string const path = normalize_path(cmd.path);
  std::string const parent = parent_of(path);
  std::string const name = base_name(path);
  if (name.empty() || path == "/") fail("NotSupported", "cannot remove the root directory");
  int const raw = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (raw < 0) fail_errno(errno, "open");
  Fd parent_fd(raw);
  remove_tree_at(parent_fd.get(), name.c_str());
}

// ---- Watch ---------------------------------------------------------------------------

class Watcher {
 public:
  Watcher(Command const& cmd, Io io) : cmd_(cmd), io_(io) {}

  void run() {
    struct stat st {};
    if (::lstat(cmd_.path.c_str(), &st) != 0) fail_lookup(errno);
    // A symbolic link is followed: events name paths under its target.
    char* resolved = ::realpath(cmd_.path.c_str(), nullptr);
    if (resolved == nullptr) fail_errno(errno, "realpath", "NotFound");
    std::string const root = resolved;
    std::free(resolved);
    if (cmd_.timeout_secs && *cmd_.timeout_secs <= 0) return;
    std::optional<std::chrono::steady_clock::time_point> deadline;
    if (cmd_.timeout_secs) {
      deadline = std::chrono::steady_clock::now() + std::chrono::seconds(*cmd_.timeout_secs);
    }
    inotify_ = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (inotify_ < 0) fail_errno(errno, "inotify_init1");
    Fd inotify(inotify_);
    if (is_directory(root)) {
      add_directory(root, cmd_.recursive);
    } else {
      add(root, kFileMask);
    }
    bool stdin_open = true;
    for (;;) {
      int timeout_ms = -1;
      if (deadline) {
        auto const left = std::chrono::duration_cast<std::chrono::milliseconds>(
            *deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return;
        timeout_ms = static_cast<int>(std::min<std::int64_t>(left.count(), 1 << 30));
      }
      pollfd fds[2] = {{inotify_, POLLIN, 0}, {io_.in, POLLIN, 0}};
      int const n = ::poll(fds, stdin_open ? 2 : 1, timeout_ms);
      if (n < 0) {
        if (errno == EINTR) continue;
        fail_errno(errno, "poll");
      }
      if (stdin_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        char buf[4096];
        ssize_t const r = ::read(io_.in, buf, sizeof buf);
        if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) return;  // stdin ended
      }
      if ((fds[0].revents & POLLIN) != 0 && !drain()) return;  // stdout closed
    }
  }

 private:
  static constexpr std::uint32_t kDirMask = IN_CREATE | IN_DELETE | IN_MODIFY | IN_ATTRIB |
                                            IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO |
                                            IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;
  static constexpr std::uint32_t kFileMask =
      IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF;

  void add(std::string const& path, std::uint32_t mask) {
    int const wd = ::inotify_add_watch(inotify_, path.c_str(), mask);
    if (wd < 0) {
      if (watches_.empty()) fail_errno(errno, "inotify_add_watch");
      return;  // a directory that went away or cannot be read: not watched
    }
    watches_[wd] = path;
  }

  void add_directory(std::string const& dir, bool recursive) {
    add(dir, kDirMask);
    if (!recursive) return;
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return;
    std::vector<std::string> subdirs;
    while (dirent* e = ::readdir(d)) {
      std::string_view const n = e->d_name;
      if (n == "." || n == "..") continue;
      std::string const child = dir == "/" ? "/" + std::string(n) : dir + "/" + std::string(n);
      struct stat st {};
      if (::lstat(child.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) subdirs.push_back(child);
    }
    ::closedir(d);
    for (auto const& s : subdirs) add_directory(s, true);
  }

  bool wanted(std::string_view type) const {
    return !cmd_.filter ||
           std::find(cmd_.filter->begin(), cmd_.filter->end(), type) != cmd_.filter->end();
  }

  bool emit(std::string_view type, std::vector<std::string> paths) {
    if (!wanted(type)) return true;
    Json event = {{"event_type", type}, {"paths", std::move(paths)}};
    return write_all(io_.out, json_text(event) + "\n");
  }

  /// Reads the pending events; false once stdout is closed.
  bool drain() {
    alignas(inotify_event) char buf[64 * 1024];
    for (;;) {
      ssize_t const n = ::read(inotify_, buf, sizeof buf);
      if (n <= 0) return true;
      std::vector<std::pair<inotify_event const*, std::string>> events;
      for (char const* p = buf; p < buf + n;) {
        auto const* e = reinterpret_cast<inotify_event const*>(p);
        p += sizeof(inotify_event) + e->len;
        auto const w = watches_.find(e->wd);
        if (w == watches_.end()) continue;
        std::string path = w->second;
        if (e->len > 0) path = (path == "/" ? "" : path) + "/" + e->name;
        events.emplace_back(e, std::move(path));
      }
      for (std::size_t i = 0; i < events.size(); ++i) {
        inotify_event const* const e = events[i].first;
        std::string const& path = events[i].second;
        std::uint32_t const m = e->mask;
        if ((m & IN_IGNORED) != 0) {
          watches_.erase(e->wd);
          continue;
        }
        bool ok = true;
        if ((m & IN_CREATE) != 0) {
          // The new directory is watched before its Create is reported, so what a reader
          // does there after seeing the event is seen too.
          if ((m & IN_ISDIR) != 0 && cmd_.recursive) add_directory(path, true);
          ok = emit("Create", {path});
        } else if ((m & (IN_DELETE | IN_DELETE_SELF)) != 0) {
          ok = emit("Remove", {path});
        } else if ((m & IN_MOVED_FROM) != 0) {
          // The matching IN_MOVED_TO, if the destination is watched too, comes next.
          auto const to = std::find_if(events.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                                       events.end(), [&](auto const& other) {
                                         return (other.first->mask & IN_MOVED_TO) != 0 &&
                                                other.first->cookie == e->cookie;
                                       });
          if (to != events.end()) {
            if ((to->first->mask & IN_ISDIR) != 0 && cmd_.recursive) {
              add_directory(to->second, true);
            }
            ok = emit("Rename", {path, to->second});
            moved_.insert(to->first);
          } else {
            ok = emit("RenameFrom", {path});
          }
        } else if ((m & IN_MOVED_TO) != 0) {
          if (moved_.erase(e) == 0) {
            if ((m & IN_ISDIR) != 0 && cmd_.recursive) add_directory(path, true);
            ok = emit("RenameTo", {path});
          }
        } else if ((m & IN_MOVE_SELF) != 0) {
          ok = emit("RenameFrom", {path});
        } else if ((m & (IN_MODIFY | IN_ATTRIB)) != 0) {
          ok = emit("Modify", {path});
        } else if ((m & IN_CLOSE_WRITE) != 0) {
          ok = emit("Access", {path});
        }
        if (!ok) return false;
      }
      moved_.clear();
    }
  }

  Command const& cmd_;
  Io io_;
  int inotify_ = -1;
  std::map<int, std::string> watches_;
  std::set<inotify_event const*> moved_;
};

void watch(Command const& cmd, Io io) { Watcher(cmd, io).run(); }

}  // namespace

std::string normalize_path(std::string const& path) {
  bool const absolute = !path.empty() && path.front() == '/';
  std::vector<std::string_view> parts;
  std::string_view rest = path;
  while (!rest.empty()) {
    auto const slash = rest.find('/');
    std::string_view const part = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!absolute) {
        parts.push_back(part);
      }
      continue;
    }
    parts.push_back(part);
  }
  std::string out = absolute ? "/" : "";
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += '/';
    out += parts[i];
  }
  return out.empty() ? "." : out;
}

int run(Command const& cmd, Io io, std::uint64_t max_read_bytes) {
  try {
    switch (cmd.kind) {
      case Command::Kind::kReadFile:
        read_file(cmd, io, max_read_bytes);
        break;
      case Command::Kind::kWriteFile:
        write_file(cmd, io);
        break;
      case Command::Kind::kListFiles:
        list_files(cmd, io);
        break;
      case Command::Kind::kMakeDirectory:
        make_directory(cmd);
        break;
      case Command::Kind::kRemove:
        remove_path(cmd);
        break;
      case Command::Kind::kStat:
        stat_path(cmd, io);
        break;
      case Command::Kind::kWatch:
        watch(cmd, io);
        break;
    }
    return 0;
  } catch (FsError const& e) {
    Json error = {{"version", 1}, {"error_kind", e.kind}, {"message", e.message}};
    if (!e.detail.empty()) error["detail"] = e.detail;
    write_all(io.err, json_text(error));
    return 1;
  }
}

int main_entry(int argc, char const* const* argv, Io io) {
  if (argc != 2) {
    write_all(io.err, "usage: modal-sandbox-fs-tools <command-json>\n");
    return 2;
  }
  Command cmd;
  try {
    cmd = parse_command(argv[1]);
  } catch (UsageError const& e) {
    write_all(io.err, std::string("modal-sandbox-fs-tools: ") + e.what() + "\n");
    return 2;
  }
  std::uint64_t max_read_bytes = kDefaultMaxReadBytes;
  if (char const* limit = std::getenv("MODAL_FS_TOOLS_MAX_READ_BYTES")) {
    char* end = nullptr;
    unsigned long long const value = std::strtoull(limit, &end, 10);
    if (*limit != '\0' && *end == '\0') max_read_bytes = value;
  }
  return run(cmd, io, max_read_bytes);
}

}  // namespace modal::fs_tools
