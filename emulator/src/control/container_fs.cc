// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// ContainerFilesystemExec, ContainerFilesystemExecGetOutput: open files of a Sandbox.
#include "control/container_fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "runtime/sandbox.h"
#include "runtime/unique_fd.h"
#include "server/call_scope.h"
#include "server/ids.h"
#include "server/status.h"
#include "store/sandbox_registry.h"

namespace modal::emulator {
namespace {

namespace pb = modal::client;
using runtime::internal::UniqueFd;

/// Largest read answered in one outcome (the SDKs ask for at most 100 MiB).
constexpr std::size_t kMaxRead = std::size_t{100} << 20;
constexpr auto kKeepDelivered = std::chrono::minutes(1);

struct Failure {
  int error;
  std::string message;
};

Failure errno_failure(int err, std::string const& what) {
  return {err, absl::StrCat(what, ": ", std::strerror(err))};
}

/// The entrypoint's root: the directory all paths of the Sandbox are resolved in.
absl::StatusOr<UniqueFd> sandbox_root(Core& core, std::string const& task_id) {
  auto rec = core.sandboxes().get_by_task(task_id);
  if (!rec.ok()) return rec.status();
  auto sb = (*rec)->runtime();
  if (sb == nullptr || (*rec)->finished() || sb->finished()) {
    return absl::FailedPreconditionError(
        absl::StrCat("Sandbox of task '", task_id, "' has finished"));
  }
  std::string const root = absl::StrCat("/proc/", sb->pid(), "/root");
  UniqueFd fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot open ", root, ": ", std::strerror(errno)));
  }
  return fd;
}

/// `path` opened inside `root` (symbolic links and `..` stay inside it).
int open_in(int root, std::string const& path, int flags, mode_t mode = 0) {
  open_how how{};
  how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
  how.mode = (flags & O_CREAT) != 0 ? mode : 0;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, root, path.c_str(), &how, sizeof how));
}

/// fopen-style mode → open(2) flags; nullopt if invalid ("r", "w", "a", "x", each with an
/// optional "+" and "b").
std::optional<int> open_flags(std::string const& mode) {
  int kinds = 0;
  int plus = 0;
  char kind = 0;
  for (char c : mode) {
    if (c == 'r' || c == 'w' || c == 'a' || c == 'x') {
      ++kinds;
      kind = c;
    } else if (c == '+') {
      ++plus;
    } else if (c != 'b' && c != 't') {
      return std::nullopt;
    }
  }
  if (kinds != 1 || plus > 1) return std::nullopt;
  int const rw = plus != 0 ? O_RDWR : (kind == 'r' ? O_RDONLY : O_WRONLY);
  switch (kind) {
    case 'r':
      return rw;
    case 'w':
      return rw | O_CREAT | O_TRUNC;
    case 'a':
      return rw | O_CREAT | O_APPEND;  // the kernel keeps writes at the end
    default:
      return rw | O_CREAT | O_EXCL;
  }
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t const n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

/// The contents from the current position to the end (for delete/replace).
std::optional<std::string> read_rest(int fd, off_t from) {
  std::string out;
  char buf[65536];
  for (off_t pos = from;;) {
    ssize_t const n = ::pread(fd, buf, sizeof buf, pos);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
    pos += n;
  }
}

/// Replaces bytes [start, end) of the file with `data` (end unset: to the end of file).
std::optional<Failure> replace_bytes(int fd, std::optional<std::uint32_t> start,
                                     std::optional<std::uint32_t> end, std::string_view data) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return errno_failure(errno, "fstat");
  off_t const size = st.st_size;
  off_t const from = start ? std::min<off_t>(*start, size) : 0;
  off_t const to = end ? std::clamp<off_t>(*end, from, size) : size;
  auto tail = read_rest(fd, to);
  if (!tail) return errno_failure(errno, "read");
  if (::ftruncate(fd, from) != 0) return errno_failure(errno, "truncate");
  if (::lseek(fd, from, SEEK_SET) < 0) return errno_failure(errno, "seek");
  if (!write_all(fd, data) || !write_all(fd, *tail)) return errno_failure(errno, "write");
  if (::lseek(fd, from + static_cast<off_t>(data.size()), SEEK_SET) < 0) {
    return errno_failure(errno, "seek");
  }
  return std::nullopt;
}

/// rm -r of `name` in directory `dir`.
int remove_tree(int dir, char const* name) {
  if (::unlinkat(dir, name, 0) == 0) return 0;
  if (errno != EISDIR && errno != EPERM) return errno;
  UniqueFd sub(::openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!sub) return errno;
  DIR* d = ::fdopendir(::dup(sub.get()));
  if (d == nullptr) return errno;
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
      names.emplace_back(e->d_name);
    }
  }
  ::closedir(d);
  for (auto const& n : names) {
    if (int const err = remove_tree(sub.get(), n.c_str()); err != 0) return err;
  }
  return ::unlinkat(dir, name, AT_REMOVEDIR) == 0 ? 0 : errno;
}

/// The parent directory of `path` opened in `root`, and the last component.
std::optional<std::pair<UniqueFd, std::string>> parent_in(int root, std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  auto const slash = path.rfind('/');
  std::string const dir = slash == std::string::npos || slash == 0 ? "/" : path.substr(0, slash);
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  if (name.empty() || name == "." || name == "..") {
    errno = EINVAL;
    return std::nullopt;
  }
  UniqueFd fd(open_in(root, dir, O_RDONLY | O_DIRECTORY));
  if (!fd) return std::nullopt;
  return std::make_pair(std::move(fd), std::move(name));
}

int mkdir_in(int root, std::string const& path, bool parents) {
  if (!parents) {
    auto parent = parent_in(root, path);
    if (!parent) return errno;
    return ::mkdirat(parent->first.get(), parent->second.c_str(), 0777) == 0 ? 0 : errno;
  }
  std::string prefix;
  std::size_t pos = 0;
  while (pos < path.size()) {
    auto const next = path.find('/', pos + 1);
    prefix = path.substr(0, next);
    pos = next == std::string::npos ? path.size() : next;
    if (prefix.empty() || prefix == "/") continue;
    auto parent = parent_in(root, prefix);
    if (!parent) return errno;
    if (::mkdirat(parent->first.get(), parent->second.c_str(), 0777) != 0 && errno != EEXIST) {
      return errno;
    }
  }
  UniqueFd check(open_in(root, path, O_RDONLY | O_DIRECTORY));
  return check ? 0 : errno;
}

}  // namespace

ContainerFsHandlers::OpenFile::~OpenFile() {
  if (fd >= 0) ::close(fd);
}

void ContainerFsHandlers::purge_finished() {
  std::set<std::string> tasks;
  {
    std::lock_guard lock(mu_);
    for (auto const& [key, file] : files_) tasks.insert(key.first);
  }
  std::set<std::string> finished;  // looked up without holding mu_ (one lock at a time)
  for (auto const& t : tasks) {
    auto rec = core_.sandboxes().get_by_task(t);
    if (!rec.ok() || (*rec)->finished()) finished.insert(t);
  }
  if (finished.empty()) return;
  std::vector<std::shared_ptr<OpenFile>> closing;  // closed after the lock is released
  std::lock_guard lock(mu_);
  std::erase_if(files_, [&](auto& kv) {
    if (finished.count(kv.first.first) == 0) return false;
    closing.push_back(std::move(kv.second));
    return true;
  });
}

grpc::Status ContainerFsHandlers::ContainerFilesystemExec(
    grpc::ServerContext* ctx, pb::ContainerFilesystemExecRequest const* req,
    pb::ContainerFilesystemExecResponse* resp) {
  CallScope scope(core_, ctx, "ContainerFilesystemExec", Plane::kControl);
  if (!scope.ok()) return scope.status();
  using R = pb::ContainerFilesystemExecRequest;
  if (req->file_exec_request_oneof_case() == R::FILE_EXEC_REQUEST_ONEOF_NOT_SET) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "the request names no operation");
  }
  if (req->file_exec_request_oneof_case() == R::kFileWatchRequest) {
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                        "file watch requests are not supported by the emulator; use the "
                        "filesystem tool's Watch (Sandbox.filesystem.watch)");
  }
  purge_finished();
  auto root = sandbox_root(core_, req->task_id());
  if (!root.ok()) return to_grpc(root.status());
  int const rootfd = root->get();
  std::string const& task = req->task_id();

  auto file_of = [&](std::string const& id) -> std::shared_ptr<OpenFile> {
    std::lock_guard lock(mu_);
    auto it = files_.find(std::make_pair(task, id));
    return it == files_.end() ? nullptr : it->second;
  };
  Outcome out;
  auto fail = [&](Failure f) {
    out.error = f.error == 0 ? EIO : f.error;
    out.message = std::move(f.message);
  };
  auto with_file = [&](std::string const& id, auto&& op) {
    auto f = file_of(id);
    if (f == nullptr) {
      fail({EBADF, absl::StrCat("file descriptor '", id, "' is not open")});
      return;
    }
    op(*f);
  };

  switch (req->file_exec_request_oneof_case()) {
    case R::kFileOpenRequest: {
      auto const& o = req->file_open_request();
      auto flags = open_flags(o.mode());
      if (!flags) {
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                            absl::StrCat("invalid file mode '", o.mode(), "'"));
      }
      int const fd = open_in(rootfd, o.path(), *flags, 0666);
      if (fd < 0) {
        fail(errno_failure(errno, absl::StrCat("cannot open '", o.path(), "'")));
        break;
      }
      auto file = std::make_shared<OpenFile>();
      file->fd = fd;
      std::lock_guard lock(mu_);
      std::string const id = o.has_file_descriptor() && !o.file_descriptor().empty()
                                 ? o.file_descriptor()
                                 : absl::StrCat("fd-", next_fd_++);
      files_[std::make_pair(task, id)] = std::move(file);
      resp->set_file_descriptor(id);
      break;
    }
    case R::kFileReadRequest:
      with_file(req->file_read_request().file_descriptor(), [&](OpenFile& f) {
        std::size_t want = kMaxRead;
        if (req->file_read_request().has_n()) {
          want = std::min<std::size_t>(want, req->file_read_request().n());
        }
        std::string data(want, '\0');
        std::size_t got = 0;
        while (got < want) {
          ssize_t const n = ::read(f.fd, data.data() + got, want - got);
          if (n < 0 && errno == EINTR) continue;
          if (n < 0) {
            fail(errno_failure(errno, "read"));
            return;
          }
          if (n == 0) break;
          got += static_cast<std::size_t>(n);
        }
        data.resize(got);
        out.output = std::move(data);
      });
      break;
    case R::kFileReadLineRequest:
      with_file(req->file_read_line_request().file_descriptor(), [&](OpenFile& f) {
        off_t const pos = ::lseek(f.fd, 0, SEEK_CUR);
        std::string line;
        char buf[4096];
        for (off_t at = pos;;) {
          ssize_t const n = ::pread(f.fd, buf, sizeof buf, at);
          if (n < 0 && errno == EINTR) continue;
          if (n < 0) {
            fail(errno_failure(errno, "read"));
            return;
          }
          if (n == 0) break;
          auto const* nl =
              static_cast<char const*>(std::memchr(buf, '\n', static_cast<std::size_t>(n)));
          std::size_t const take =
              nl != nullptr ? static_cast<std::size_t>(nl - buf) + 1 : static_cast<std::size_t>(n);
          line.append(buf, take);
          at += static_cast<off_t>(take);
          if (nl != nullptr) break;
        }
        ::lseek(f.fd, pos + static_cast<off_t>(line.size()), SEEK_SET);
        out.output = std::move(line);
      });
      break;
    case R::kFileWriteRequest:
      with_file(req->file_write_request().file_descriptor(), [&](OpenFile& f) {
        if (!write_all(f.fd, req->file_write_request().data())) fail(errno_failure(errno, "write"));
      });
      break;
    case R::kFileFlushRequest:
      with_file(req->file_flush_request().file_descriptor(), [&](OpenFile& f) {
        if (::fdatasync(f.fd) != 0 && errno != EINVAL && errno != EROFS) {
          fail(errno_failure(errno, "flush"));
        }
      });
      break;
    case R::kFileSeekRequest:
      with_file(req->file_seek_request().file_descriptor(), [&](OpenFile& f) {
        int whence = SEEK_SET;
        switch (req->file_seek_request().whence()) {
          case pb::SEEK_WHENCE_CUR:
            whence = SEEK_CUR;
            break;
          case pb::SEEK_WHENCE_END:
            whence = SEEK_END;
            break;
          default:
            break;
        }
        if (::lseek(f.fd, req->file_seek_request().offset(), whence) < 0) {
          fail(errno_failure(errno, "seek"));
        }
      });
      break;
    case R::kFileDeleteBytesRequest: {
      auto const& d = req->file_delete_bytes_request();
      with_file(d.file_descriptor(), [&](OpenFile& f) {
        auto st = replace_bytes(
            f.fd, d.has_start_inclusive() ? std::optional(d.start_inclusive()) : std::nullopt,
            d.has_end_exclusive() ? std::optional(d.end_exclusive()) : std::nullopt, {});
        if (st) fail(*st);
      });
      break;
    }
    case R::kFileWriteReplaceBytesRequest: {
      auto const& w = req->file_write_replace_bytes_request();
      with_file(w.file_descriptor(), [&](OpenFile& f) {
        auto st = replace_bytes(
            f.fd, w.has_start_inclusive() ? std::optional(w.start_inclusive()) : std::nullopt,
            w.has_end_exclusive() ? std::optional(w.end_exclusive()) : std::nullopt, w.data());
        if (st) fail(*st);
      });
      break;
    }
    case R::kFileCloseRequest: {
      std::lock_guard lock(mu_);
      if (files_.erase(std::make_pair(task, req->file_close_request().file_descriptor())) == 0) {
        fail({EBADF, absl::StrCat("file descriptor '", req->file_close_request().file_descriptor(),
                                  "' is not open")});
      }
      break;
    }
    case R::kFileLsRequest: {
      UniqueFd dir(open_in(rootfd, req->file_ls_request().path(), O_RDONLY | O_DIRECTORY));
      if (!dir) {
        fail(errno_failure(errno,
                           absl::StrCat("cannot list '", req->file_ls_request().path(), "'")));
        break;
      }
      DIR* d = ::fdopendir(dir.release());
      std::vector<std::string> names;
      while (dirent* e = d != nullptr ? ::readdir(d) : nullptr) {
        if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
          names.emplace_back(e->d_name);
        }
      }
      if (d != nullptr) ::closedir(d);
      std::sort(names.begin(), names.end());
      nlohmann::json j;
      j["paths"] = names;
      out.output = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      break;
    }
    case R::kFileMkdirRequest:
      if (int const err = mkdir_in(rootfd, req->file_mkdir_request().path(),
                                   req->file_mkdir_request().make_parents());
          err != 0) {
        fail(errno_failure(
            err, absl::StrCat("cannot create directory '", req->file_mkdir_request().path(), "'")));
      }
      break;
    case R::kFileRmRequest: {
      auto const& r = req->file_rm_request();
      auto parent = parent_in(rootfd, r.path());
      int err = parent ? 0 : errno;
      if (parent) {
        if (r.recursive()) {
          err = remove_tree(parent->first.get(), parent->second.c_str());
        } else if (::unlinkat(parent->first.get(), parent->second.c_str(), 0) != 0) {
          err = errno;
          if (err == EISDIR || err == EPERM) {
            err = ::unlinkat(parent->first.get(), parent->second.c_str(), AT_REMOVEDIR) == 0
                      ? 0
                      : errno;
          }
        }
      }
      if (err != 0) fail(errno_failure(err, absl::StrCat("cannot remove '", r.path(), "'")));
      break;
    }
    default:
      break;
  }

  std::string const exec_id = new_id("fe");
  resp->set_exec_id(exec_id);
  std::lock_guard lock(mu_);
  auto const now = std::chrono::steady_clock::now();
  std::erase_if(outcomes_, [&](auto const& kv) {
    return kv.second.delivered && now - *kv.second.delivered > kKeepDelivered;
  });
  outcomes_[exec_id] = std::move(out);
  return grpc::Status::OK;
}

grpc::Status ContainerFsHandlers::ContainerFilesystemExecGetOutput(
    grpc::ServerContext* ctx, pb::ContainerFilesystemExecGetOutputRequest const* req,
    grpc::ServerWriter<pb::FilesystemRuntimeOutputBatch>* writer) {
  CallScope scope(core_, ctx, "ContainerFilesystemExecGetOutput", Plane::kControl);
  if (!scope.ok()) return scope.status();
  pb::FilesystemRuntimeOutputBatch batch;
  {
    std::lock_guard lock(mu_);
    auto it = outcomes_.find(req->exec_id());
    if (it == outcomes_.end()) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          absl::StrCat("Filesystem exec '", req->exec_id(), "' not found"));
    }
    Outcome& o = it->second;
    if (!o.delivered) o.delivered = std::chrono::steady_clock::now();
    if (!o.output.empty()) batch.add_output(o.output);
    if (o.error != 0) {
      batch.mutable_error()->set_error_code(pb::SystemErrorCode_IsValid(o.error)
                                                ? static_cast<pb::SystemErrorCode>(o.error)
                                                : pb::SYSTEM_ERROR_CODE_UNSPECIFIED);
      batch.mutable_error()->set_error_message(o.message);
    }
  }
  batch.set_batch_index(0);
  batch.set_eof(true);
  if (!writer->Write(batch)) return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
  return grpc::Status::OK;
}

}  // namespace modal::emulator
