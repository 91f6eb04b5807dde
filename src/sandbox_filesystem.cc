// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Sandbox::filesystem(): Modal's filesystem tool run through the exec path.
#include "modal/sandbox_filesystem.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "internal/client_state.h"
#include "internal/fs_tools_protocol.h"
#include "internal/router_client.h"
#include "internal/sandbox_exec.h"
#include "internal/sandbox_state.h"
#include "internal/status.h"
#include "internal/stdin_upload.h"
#include "internal/uuid.h"
#include "modal/errors.h"
#include "modal/sandbox.h"

namespace modal {
namespace internal {
namespace {

using fs_tools::Command;

constexpr char kUnavailable[] =
    "The Sandbox is unavailable. This Sandbox may have already shut down.";
constexpr char kUnexpected[] = "An unexpected error occurred, please contact support@modal.com";
/// Local reads and writes of copy_from_local / copy_to_local.
constexpr std::size_t kLocalBuffer = std::size_t{1} << 20;

/// " (Error code: ABCD1234)" when `text` carries such a code, as upstream extracts it.
std::string error_code_suffix(std::string_view text) {
  constexpr std::string_view kTag = "Error code:";
  for (auto pos = text.find(kTag); pos != std::string_view::npos; pos = text.find(kTag, pos + 1)) {
    auto rest = text.substr(pos + kTag.size());
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
    if (rest.size() < 8) continue;
    bool ok = true;
    for (char c : rest.substr(0, 8)) ok = ok && ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'));
    if (ok) return " (Error code: " + std::string(rest.substr(0, 8)) + ")";
  }
  return {};
}

/// Runs `f` (the exec-level part of an operation), translating RPC failures as upstream
/// does: a Sandbox that is gone or unreachable is NotFoundError("The Sandbox is
/// unavailable..."), anything else SandboxFilesystemError("An unexpected error...").
/// The original error survives as server_message(). Local errors (InvalidError, a local
/// file's I/O), ClientClosedError and CancelledError pass through.
template <typename F>
void translating(F&& f) {
  try {
    f();
  } catch (ClientClosedError const&) {
    throw;
  } catch (CancelledError const&) {
    throw;
  } catch (Error const& e) {
    if (e.rpc_method().empty()) throw;
    switch (e.code()) {
      case StatusCode::kNotFound:
      case StatusCode::kCancelled:
      case StatusCode::kUnknown:
      case StatusCode::kDeadlineExceeded:
      case StatusCode::kUnavailable:
        throw NotFoundError(kUnavailable, StatusCode::kNotFound, e.rpc_method(), e.what());
      default:
        throw SandboxFilesystemError(kUnexpected + error_code_suffix(e.what()), e.code(),
                                     e.rpc_method(), e.what());
    }
  }
}

/// The container the tool runs in: the Sandbox's main container ("") or a sidecar.
struct FsTarget {
  Sandbox sandbox;
  std::string container_id;
};

ContainerProcess start_tool(FsTarget const& sb, std::string command_json) {
  return exec_in_container(SandboxState::of(sb.sandbox),
                           {fs_tools::kToolPath, std::move(command_json)}, {}, sb.container_id);
}

/// Runs a command whose reply is its whole stdout.
std::string run_tool(FsTarget const& sb, Command command, std::string const& path,
                     std::string command_json) {
  std::string out;
  std::string err;
  int code = 0;
  translating([&] {
    auto p = start_tool(sb, std::move(command_json));
    out = p.stdout_stream().read_all();
    code = p.wait();
    if (code != 0) err = p.stderr_stream().read_all();
  });
  if (code != 0) fs_tools::throw_tool_error(command, path, code, err);
  return out;
}

/// ReadFile into memory. A large file (more than kSizeProbeAfter bytes without the end in
/// sight) is sized with a Stat exec, so its bytes go straight into one allocation of the
/// right size: a growing string would copy and page-fault about twice the file.
std::string read_file(FsTarget const& sb, std::string const& path) {
  constexpr std::size_t kSizeProbeAfter = std::size_t{4} << 20;
  std::string data;
  std::string err;
  int code = 0;
  translating([&] {
    auto p = start_tool(sb, fs_tools::read_file_command(path));
    auto out = p.stdout_stream();
    bool probed = false;
    for (;;) {
      if (!probed && data.size() >= kSizeProbeAfter) {
        probed = true;
        try {
          auto const info = fs_tools::parse_file_info(
              run_tool(sb, Command::kStat, path, fs_tools::stat_command(path)), path);
          if (info.size > data.size() && info.size <= data.max_size()) {
            std::size_t const have = data.size();
            data.resize(static_cast<std::size_t>(info.size));  // touched once, here
            std::size_t pos = have;
            while (pos < data.size()) {
              std::size_t const n = out.read(std::span<char>(data.data() + pos, data.size() - pos));
              if (n == 0) break;
              pos += n;
            }
            data.resize(pos);  // the file shrank meanwhile: what was there
          }
        } catch (SandboxFilesystemError const&) {
          // The file changed under us (or the Stat failed): read on without the size.
        }
      }
      auto chunk = out.read_chunk();
      if (!chunk) break;
      if (data.empty()) {
        data = std::move(*chunk);
      } else {
        data += *chunk;
      }
    }
    code = p.wait();
    if (code != 0) err = p.stderr_stream().read_all();
  });
  if (code != 0) fs_tools::throw_tool_error(Command::kReadFile, path, code, err);
  return data;
}

/// WriteFile with the data `source` produces.
void run_write(FsTarget const& sb, std::string const& path, UploadSource const& source) {
  std::string err;
  int code = 0;
  translating([&] {
    auto p = start_tool(sb, fs_tools::write_file_command(path));
    auto router = SandboxState::of(sb.sandbox).router_client();
    auto const st = upload_stdin(*router, p.exec_id(), source);
    // FAILED_PRECONDITION / ABORTED: the tool stopped reading (it failed before taking
    // the data, e.g. the path is a directory); its exit status says why.
    if (!st.ok() && st.error_code() != grpc::StatusCode::FAILED_PRECONDITION &&
        st.error_code() != grpc::StatusCode::ABORTED) {
      throw_rpc_error(st, rpc::TaskExecStdinWriteStream.name);
    }
    code = p.wait();
    if (code != 0) err = p.stderr_stream().read_all();
  });
  if (code != 0) fs_tools::throw_tool_error(Command::kWriteFile, path, code, err);
}

std::string errno_text(int err) { return std::error_code(err, std::generic_category()).message(); }

/// A file descriptor closed on destruction.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(Fd const&) = delete;
  Fd& operator=(Fd const&) = delete;
  int get() const { return fd_; }
  /// Closes now, reporting the error close() returned (0 if none).
  int close() {
    int const fd = std::exchange(fd_, -1);
    return fd >= 0 && ::close(fd) != 0 ? errno : 0;
  }

 private:
  int fd_;
};

void write_all(int fd, char const* data, std::size_t size, std::string const& what) {
  while (size > 0) {
    ssize_t const n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error("copy_to_local: writing " + what + " failed: " + errno_text(errno),
                  StatusCode::kUnknown);
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

/// The events of one watch; stops the tool when the range lets go of it.
class WatchSession {
 public:
  WatchSession(FsTarget sb, std::string path, std::string command_json)
      : sb_(std::move(sb)), path_(std::move(path)), command_json_(std::move(command_json)) {}
  WatchSession(WatchSession const&) = delete;
  WatchSession& operator=(WatchSession const&) = delete;

  ~WatchSession() {
    if (!process_ || finished_) return;
    // Like upstream: EOF on the tool's stdin stops it; then collect its exit. Failures
    // only mean the Sandbox or the connection is gone already.
    try {
      process_->stdin_stream().close();
      (void)process_->wait_for(std::chrono::seconds(5));
    } catch (std::exception const& e) {
      SandboxState::of(sb_.sandbox)
          .client->logger()
          .debug("watch of '{}': stopping the tool: {}", path_, e.what());
    }
  }

  std::optional<WatchEvent> next() {
    if (finished_) return std::nullopt;
    for (;;) {
      std::optional<std::string> line;
      translating([&] {
        if (!process_) {
          process_ = start_tool(sb_, command_json_);
          out_ = process_->stdout_stream();
        }
        line = out_->read_line();
      });
      if (!line) return end();
      bool malformed = false;
      if (auto ev = fs_tools::parse_watch_line(*line, &malformed)) return ev;
      if (malformed) {
        SandboxState::of(sb_.sandbox)
            .client->logger()
            .warn("watch of '{}': skipped a line that is no watch event ({} bytes)", path_,
                  line->size());
      }
    }
  }

 private:
  std::optional<WatchEvent> end() {
    finished_ = true;
    int code = 0;
    std::string err;
    translating([&] {
      code = process_->wait();
      if (code != 0) err = process_->stderr_stream().read_all();
    });
    if (code != 0) fs_tools::throw_tool_error(Command::kWatch, path_, code, err);
    return std::nullopt;
  }

  FsTarget sb_;
  std::string path_;
  std::string command_json_;
  std::optional<ContainerProcess> process_{};
  std::optional<StreamReader> out_{};
  bool finished_ = false;
};

}  // namespace
}  // namespace internal

namespace fst = internal::fs_tools;

SandboxFilesystem Sandbox::filesystem() const {
  return SandboxFilesystem(std::make_shared<Sandbox const>(*this));
}

std::string SandboxFilesystem::read_bytes(std::string const& remote_path) const {
  fst::validate_remote_path("read_bytes", remote_path);
  return internal::read_file(internal::FsTarget{*sandbox_, container_id_}, remote_path);
}

std::string SandboxFilesystem::read_text(std::string const& remote_path) const {
  fst::validate_remote_path("read_text", remote_path);
  return internal::read_file(internal::FsTarget{*sandbox_, container_id_}, remote_path);
}

void SandboxFilesystem::write_bytes(std::string_view data, std::string const& remote_path) const {
  fst::validate_remote_path("write_bytes", remote_path);
  internal::run_write(internal::FsTarget{*sandbox_, container_id_}, remote_path,
                      [data](std::uint64_t offset, std::span<char> buf) {
                        if (offset >= data.size()) return std::size_t{0};
                        return data.copy(buf.data(), buf.size(), static_cast<std::size_t>(offset));
                      });
}

void SandboxFilesystem::write_text(std::string_view text, std::string const& remote_path) const {
  fst::validate_remote_path("write_text", remote_path);
  write_bytes(text, remote_path);
}

void SandboxFilesystem::copy_from_local(std::string const& local_path,
                                        std::string const& remote_path) const {
  fst::validate_remote_path("copy_from_local", remote_path);
  internal::Fd fd(::open(local_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    throw InvalidError("copy_from_local: cannot open local file '" + local_path +
                       "': " + internal::errno_text(errno));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    throw InvalidError("copy_from_local: local path '" + local_path + "' is not a regular file");
  }
  internal::run_write(internal::FsTarget{*sandbox_, container_id_}, remote_path,
                      [&](std::uint64_t offset, std::span<char> buf) -> std::size_t {
                        for (;;) {
                          ssize_t const n =
                              ::pread(fd.get(), buf.data(), buf.size(), static_cast<off_t>(offset));
                          if (n >= 0) return static_cast<std::size_t>(n);
                          if (errno == EINTR) continue;
                          throw Error("copy_from_local: reading local file '" + local_path +
                                          "' failed: " + internal::errno_text(errno),
                                      StatusCode::kUnknown);
                        }
                      });
}

void SandboxFilesystem::copy_to_local(std::string const& remote_path,
                                      std::string const& local_path) const {
  fst::validate_remote_path("copy_to_local", remote_path);
  if (local_path.empty()) throw InvalidError("copy_to_local: local_path must not be empty");
  namespace fs = std::filesystem;
  fs::path const target(local_path);
  fs::path const dir = target.parent_path();
  if (!dir.empty()) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
      throw Error(
          "copy_to_local: cannot create local directory '" + dir.string() + "': " + ec.message(),
          StatusCode::kUnknown);
    }
  }
  fs::path const tmp =
      (dir.empty() ? fs::path(".") : dir) / (".modal-sandbox-fs-tmp-" + internal::uuid4());
  internal::Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
  if (fd.get() < 0) {
    throw Error(
        "copy_to_local: cannot create '" + tmp.string() + "': " + internal::errno_text(errno),
        StatusCode::kUnknown);
  }
  struct Unlink {
    fs::path const& p;
    bool armed = true;
    ~Unlink() {
      if (armed) ::unlink(p.c_str());
    }
  } unlink_tmp{tmp};

  std::string err;
  int code = 0;
  internal::translating([&] {
    auto p = internal::start_tool(internal::FsTarget{*sandbox_, container_id_},
                                  fst::read_file_command(remote_path));
    auto out = p.stdout_stream();
    std::vector<char> buf(internal::kLocalBuffer);
    for (;;) {
      std::size_t const n = out.read(std::span<char>(buf));
      if (n == 0) break;
      internal::write_all(fd.get(), buf.data(), n, "'" + tmp.string() + "'");
    }
    code = p.wait();
    if (code != 0) err = p.stderr_stream().read_all();
  });
  if (code != 0) fst::throw_tool_error(fst::Command::kReadFile, remote_path, code, err);
  if (int const e = fd.close(); e != 0) {
    throw Error("copy_to_local: writing '" + tmp.string() + "' failed: " + internal::errno_text(e),
                StatusCode::kUnknown);
  }
  if (::rename(tmp.c_str(), target.c_str()) != 0) {
    throw Error(
        "copy_to_local: cannot replace '" + local_path + "': " + internal::errno_text(errno),
        StatusCode::kUnknown);
  }
  unlink_tmp.armed = false;
}

std::vector<FileInfo> SandboxFilesystem::list_files(std::string const& remote_path) const {
  fst::validate_remote_path("list_files", remote_path);
  return fst::parse_file_list(
      internal::run_tool(internal::FsTarget{*sandbox_, container_id_}, fst::Command::kListFiles,
                         remote_path, fst::list_files_command(remote_path)),
      remote_path);
}

void SandboxFilesystem::make_directory(std::string const& remote_path,
                                       SandboxFilesystemMakeDirectoryParams const& params) const {
  fst::validate_remote_path("make_directory", remote_path);
  internal::run_tool(internal::FsTarget{*sandbox_, container_id_}, fst::Command::kMakeDirectory,
                     remote_path, fst::make_directory_command(remote_path, params.create_parents));
}

void SandboxFilesystem::remove(std::string const& remote_path,
                               SandboxFilesystemRemoveParams const& params) const {
  fst::validate_remote_path("remove", remote_path);
  internal::run_tool(internal::FsTarget{*sandbox_, container_id_}, fst::Command::kRemove,
                     remote_path, fst::remove_command(remote_path, params.recursive));
}

FileInfo SandboxFilesystem::stat(std::string const& remote_path) const {
  fst::validate_remote_path("stat", remote_path);
  return fst::parse_file_info(
      internal::run_tool(internal::FsTarget{*sandbox_, container_id_}, fst::Command::kStat,
                         remote_path, fst::stat_command(remote_path)),
      remote_path);
}

WatchEventRange SandboxFilesystem::watch(std::string const& remote_path,
                                         SandboxFilesystemWatchParams const& params) const {
  fst::validate_remote_path("watch", remote_path);
  if (params.timeout && params.timeout->count() < 0) {
    throw InvalidError("watch: timeout must be non-negative, got " +
                       std::to_string(params.timeout->count()) + " ms");
  }
  auto session = std::make_shared<internal::WatchSession>(
      internal::FsTarget{*sandbox_, container_id_}, remote_path,
      fst::watch_command(remote_path, params));
  return WatchEventRange([session] { return session->next(); });
}

}  // namespace modal
