// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Sandbox::open, ls, mkdir, rm and SandboxFile: Modal's open-file API over
// ContainerFilesystemExec + ContainerFilesystemExecGetOutput.
#include "modal/sandbox_file.h"

#include <algorithm>
#include <limits>
#include <mutex>
#include <streambuf>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "internal/client_state.h"
#include "internal/rpc.h"
#include "internal/sandbox_state.h"
#include "modal/errors.h"
#include "modal/sandbox.h"

namespace modal {
namespace internal {
namespace {

namespace pb = modal::client;

/// Bytes per read or write request: well within the 100 MiB message limit of both sides.
constexpr std::size_t kChunk = std::size_t{16} << 20;
/// What GetOutput asks the server to wait for the outcome (upstream's).
constexpr float kOutputTimeoutSecs = 55;

[[noreturn]] void throw_fs_error(pb::SystemErrorMessage const& e) {
  std::string const& m = e.error_message();
  std::string const msg = m.empty() ? "filesystem operation failed" : m;
  switch (e.error_code()) {
    case pb::SYSTEM_ERROR_CODE_NOENT:
      throw SandboxFilesystemNotFoundError(msg);
    case pb::SYSTEM_ERROR_CODE_ISDIR:
      throw SandboxFilesystemIsADirectoryError(msg);
    case pb::SYSTEM_ERROR_CODE_NOTDIR:
      throw SandboxFilesystemNotADirectoryError(msg);
    case pb::SYSTEM_ERROR_CODE_PERM:
    case pb::SYSTEM_ERROR_CODE_ACCES:
      throw SandboxFilesystemPermissionError(msg);
    case pb::SYSTEM_ERROR_CODE_EXIST:
      throw SandboxFilesystemPathAlreadyExistsError(msg);
    default:
      throw SandboxFilesystemError(msg);
  }
}

struct ExecResult {
  std::string output{};
  pb::ContainerFilesystemExecResponse response{};
};

/// One request: ContainerFilesystemExec, then its outcome from the GetOutput stream
/// (resumed after a break, like every control-plane stream).
ExecResult run_exec(SandboxState& sb, pb::ContainerFilesystemExecRequest req) {
  sb.ensure_usable();
  req.set_task_id(sb.get_task_id());
  ExecResult r;
  auto const opts = sb.call_options();
  r.response = sb.client->call(rpc::ContainerFilesystemExec, req, opts);
  std::optional<pb::SystemErrorMessage> error;
  bool eof = false;
  sb.client->pipeline().stream(
      rpc::ContainerFilesystemExecGetOutput,
      [&] {
        pb::ContainerFilesystemExecGetOutputRequest get;
        get.set_exec_id(r.response.exec_id());
        get.set_timeout(kOutputTimeoutSecs);
        return get;
      },
      CleanEnd::kFinished,
      [&](pb::FilesystemRuntimeOutputBatch& batch) {
        if (eof) return false;  // a resumed stream repeats what was delivered
        for (auto& chunk : *batch.mutable_output()) r.output += chunk;
        if (batch.has_error()) error = batch.error();
        eof = batch.eof();
        return !eof && !error;
      },
      opts);
  if (error) throw_fs_error(*error);
  return r;
}

void validate_path(char const* op, std::string const& path) {
  if (path.empty() || path.front() != '/') {
    throw InvalidError(std::string(op) + ": the path must be absolute, got \"" + path + "\"");
  }
}

/// Python's rules: exactly one of r/w/a/x, at most one '+', and 'b'.
void parse_mode(std::string const& mode, bool* readable, bool* writable, bool* append) {
  int kinds = 0;
  int plus = 0;
  int binary = 0;
  char kind = 0;
  for (char c : mode) {
    if (c == 'r' || c == 'w' || c == 'a' || c == 'x') {
      ++kinds;
      kind = c;
    } else if (c == '+') {
      ++plus;
    } else if (c == 'b') {
      ++binary;
    } else {
      kinds = 99;
    }
  }
  if (kinds != 1 || plus > 1 || binary > 1) {
    throw InvalidError("invalid file mode \"" + mode +
                       "\": use one of r, w, a, x, each optionally with + and b");
  }
  *readable = kind == 'r' || plus == 1;
  *writable = kind != 'r' || plus == 1;
  *append = kind == 'a';
}

}  // namespace

/// The open file behind a SandboxFile and its copies.
struct SandboxFileState {
  std::shared_ptr<Sandbox const> handle{};
  SandboxState* sandbox = nullptr;  // handle's state
  std::string path{};
  std::string mode{};
  std::string fd{};
  bool readable = false;
  bool writable = false;
  bool append = false;
  std::mutex mu;       // one request at a time
  bool closed = true;  // guarded by mu; false once opened
  /// The file position when known (guarded by mu): 0 after opening (except in append
  /// mode), moved by reads, writes and seeks; unknown after appending or seeking from the
  /// end until it can be computed.
  std::optional<std::int64_t> pos{};

  ~SandboxFileState() {
    if (closed) return;
    try {
      close_locked();
    } catch (ClientClosedError const& e) {
      // Detached, terminated or closed: the file went with the Sandbox's connection.
      sandbox->client->logger().debug("Sandbox file '{}' not closed: {}", path, e.what());
    } catch (std::exception const& e) {
      sandbox->client->logger().warn("closing Sandbox file '{}' failed: {}", path, e.what());
    }
  }

  static SandboxFile make(std::shared_ptr<SandboxFileState> s) { return SandboxFile(std::move(s)); }
  static SandboxFileState& of(SandboxFile const& f) { return *f.state_; }

  void check_open() const {
    if (closed) throw ClientClosedError("I/O operation on closed file '" + path + "'");
  }

  ExecResult exec(pb::ContainerFilesystemExecRequest req) const {
    return run_exec(*sandbox, std::move(req));
  }

  std::string read_locked(std::optional<std::size_t> n) {
    check_open();
    if (!readable) {
      throw InvalidError("file '" + path + "' is not readable (mode \"" + mode + "\")");
    }
    std::string out;
    for (;;) {
      std::size_t const want = n ? std::min(kChunk, *n - out.size()) : kChunk;
      if (want == 0) return out;
      pb::ContainerFilesystemExecRequest req;
      req.mutable_file_read_request()->set_file_descriptor(fd);
      req.mutable_file_read_request()->set_n(static_cast<std::uint32_t>(want));
      auto r = exec(std::move(req));
      std::size_t const got = r.output.size();
      if (pos) *pos += static_cast<std::int64_t>(got);
      if (out.empty()) {
        out = std::move(r.output);
      } else {
        out += r.output;
      }
      if (got < want) return out;  // the end of the file
    }
  }

  void write_locked(std::string_view data) {
    check_open();
    if (!writable) {
      throw InvalidError("file '" + path + "' is not writable (mode \"" + mode + "\")");
    }
    do {
      auto const part = data.substr(0, kChunk);
      pb::ContainerFilesystemExecRequest req;
      req.mutable_file_write_request()->set_file_descriptor(fd);
      req.mutable_file_write_request()->set_data(std::string(part));
      exec(std::move(req));
      if (append) {
        pos.reset();  // O_APPEND: at the end, wherever that is
      } else if (pos) {
        *pos += static_cast<std::int64_t>(part.size());
      }
      data.remove_prefix(part.size());
    } while (!data.empty());
  }

  void seek_locked(std::int64_t offset, SeekWhence whence) {
    check_open();
    if (offset < std::numeric_limits<std::int32_t>::min() ||
        offset > std::numeric_limits<std::int32_t>::max()) {
      throw InvalidError("seek offset " + std::to_string(offset) +
                         " is outside the protocol's range (a signed 32-bit number)");
    }
    if (whence == SeekWhence::kSet && offset < 0) {
      throw InvalidError("seek to a negative position: " + std::to_string(offset));
    }
    pb::ContainerFilesystemExecRequest req;
    auto* s = req.mutable_file_seek_request();
    s->set_file_descriptor(fd);
    s->set_offset(static_cast<std::int32_t>(offset));
    s->set_whence(whence == SeekWhence::kSet   ? pb::SEEK_WHENCE_SET
                  : whence == SeekWhence::kCur ? pb::SEEK_WHENCE_CUR
                                               : pb::SEEK_WHENCE_END);
    exec(std::move(req));
    if (whence == SeekWhence::kSet) {
      pos = offset;
    } else if (whence == SeekWhence::kCur && pos) {
      *pos += offset;
    } else {
      pos.reset();
    }
  }

  void flush_locked() {
    check_open();
    pb::ContainerFilesystemExecRequest req;
    req.mutable_file_flush_request()->set_file_descriptor(fd);
    exec(std::move(req));
  }

  void close_locked() {
    if (closed) return;
    closed = true;
    pb::ContainerFilesystemExecRequest req;
    req.mutable_file_close_request()->set_file_descriptor(fd);
    exec(std::move(req));
  }
};

/// The streambuf of SandboxFileStream: 64 KiB get and put areas over a SandboxFile.
class SandboxFileBuf : public std::streambuf {
 public:
  explicit SandboxFileBuf(SandboxFile file) : file_(std::move(file)), in_(kBuf), out_(kBuf) {
    setg(in_.data(), in_.data(), in_.data());
    setp(out_.data(), out_.data() + out_.size());
  }
  ~SandboxFileBuf() override {
    try {
      sync_out();
    } catch (std::exception const& e) {
      SandboxFileState::of(file_).sandbox->client->logger().warn(
          "flushing Sandbox file '{}' failed: {}", file_.path(), e.what());
    }
  }
  SandboxFileBuf(SandboxFileBuf const&) = delete;
  SandboxFileBuf& operator=(SandboxFileBuf const&) = delete;

 protected:
  int_type underflow() override {
    sync_out();
    std::string const data = file_.read(kBuf);
    if (data.empty()) return traits_type::eof();
    std::copy(data.begin(), data.end(), in_.begin());
    setg(in_.data(), in_.data(), in_.data() + data.size());
    return traits_type::to_int_type(in_[0]);
  }
  int_type overflow(int_type ch) override {
    drop_input();
    sync_out();
    if (!traits_type::eq_int_type(ch, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(ch);
      pbump(1);
    }
    return traits_type::not_eof(ch);
  }
  int sync() override {
    sync_out();
    return 0;
  }
  pos_type seekoff(off_type off, std::ios_base::seekdir dir,
                   std::ios_base::openmode /*which*/) override {
    sync_out();
    if (dir == std::ios_base::cur) off -= static_cast<off_type>(egptr() - gptr());  // unread
    setg(in_.data(), in_.data(), in_.data());
    auto const whence = dir == std::ios_base::beg   ? SeekWhence::kSet
                        : dir == std::ios_base::cur ? SeekWhence::kCur
                                                    : SeekWhence::kEnd;
    file_.seek(off, whence);
    auto& st = SandboxFileState::of(file_);
    std::lock_guard lock(st.mu);
    if (!st.pos) {
      // After an append or a seek from the end: the size (nobody else writing) says where.
      try {
        auto const info = st.handle->filesystem().stat(st.path);
        if (dir == std::ios_base::end) st.pos = static_cast<std::int64_t>(info.size) + off;
      } catch (SandboxFilesystemError const&) {
      }
    }
    return st.pos ? pos_type(off_type(*st.pos)) : pos_type(off_type(-1));
  }
  pos_type seekpos(pos_type pos, std::ios_base::openmode which) override {
    return seekoff(off_type(pos), std::ios_base::beg, which);
  }

 private:
  static constexpr std::size_t kBuf = std::size_t{64} << 10;

  void sync_out() {
    if (pptr() == pbase()) return;
    drop_input();
    std::string_view const data(pbase(), static_cast<std::size_t>(pptr() - pbase()));
    setp(out_.data(), out_.data() + out_.size());
    file_.write(data);
  }
  /// Before writing: the remote position is past what was read ahead; move it back.
  void drop_input() {
    auto const unread = static_cast<std::int64_t>(egptr() - gptr());
    setg(in_.data(), in_.data(), in_.data());
    if (unread > 0) file_.seek(-unread, SeekWhence::kCur);
  }

  SandboxFile file_;
  std::vector<char> in_;
  std::vector<char> out_;
};

}  // namespace internal

SandboxFileStream::SandboxFileStream(SandboxFile const& file)
    : std::iostream(nullptr), buf_(std::make_unique<internal::SandboxFileBuf>(file)) {
  rdbuf(buf_.get());
  exceptions(std::ios::badbit);
}

// buf_'s destructor flushes what is buffered (and logs a failure); the std::iostream base
// never touches its buffer while being destroyed.
SandboxFileStream::~SandboxFileStream() = default;

std::string SandboxFile::read(std::optional<std::size_t> n) const {
  std::lock_guard lock(state_->mu);
  return state_->read_locked(n);
}

std::string SandboxFile::read_all() const { return read(std::nullopt); }

void SandboxFile::write(std::string_view data) const {
  std::lock_guard lock(state_->mu);
  state_->write_locked(data);
}

void SandboxFile::seek(std::int64_t offset, SeekWhence whence) const {
  std::lock_guard lock(state_->mu);
  state_->seek_locked(offset, whence);
}

void SandboxFile::flush() const {
  std::lock_guard lock(state_->mu);
  state_->flush_locked();
}

void SandboxFile::close() const {
  std::lock_guard lock(state_->mu);
  state_->close_locked();
}

std::string const& SandboxFile::mode() const { return state_->mode; }
std::string const& SandboxFile::path() const { return state_->path; }

SandboxFile Sandbox::open(std::string const& path, std::string const& mode) const {
  internal::validate_path("open", path);
  auto s = std::make_shared<internal::SandboxFileState>();
  internal::parse_mode(mode, &s->readable, &s->writable, &s->append);
  if (!s->append) s->pos = 0;
  s->handle = std::make_shared<Sandbox const>(*this);
  s->sandbox = state_.get();
  s->path = path;
  s->mode = mode;
  client::ContainerFilesystemExecRequest req;
  req.mutable_file_open_request()->set_path(path);
  req.mutable_file_open_request()->set_mode(mode);
  auto r = internal::run_exec(*state_, std::move(req));
  if (!r.response.has_file_descriptor() || r.response.file_descriptor().empty()) {
    throw SandboxFilesystemError("opening '" + path + "' returned no file descriptor");
  }
  s->fd = r.response.file_descriptor();
  s->closed = false;
  return internal::SandboxFileState::make(std::move(s));
}

std::vector<std::string> Sandbox::ls(std::string const& path) const {
  internal::validate_path("ls", path);
  client::ContainerFilesystemExecRequest req;
  req.mutable_file_ls_request()->set_path(path);
  auto r = internal::run_exec(*state_, std::move(req));
  auto j = nlohmann::json::parse(r.output, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("paths") || !j["paths"].is_array()) {
    throw SandboxFilesystemError("ls '" + path + "': the reply is not a list of paths");
  }
  std::vector<std::string> out;
  for (auto const& p : j["paths"]) {
    if (!p.is_string()) throw SandboxFilesystemError("ls '" + path + "': a path is not a string");
    out.push_back(p.get<std::string>());
  }
  return out;
}

void Sandbox::mkdir(std::string const& path, SandboxMkdirParams const& params) const {
  internal::validate_path("mkdir", path);
  client::ContainerFilesystemExecRequest req;
  req.mutable_file_mkdir_request()->set_path(path);
  req.mutable_file_mkdir_request()->set_make_parents(params.parents);
  internal::run_exec(*state_, std::move(req));
}

void Sandbox::rm(std::string const& path, SandboxRmParams const& params) const {
  internal::validate_path("rm", path);
  client::ContainerFilesystemExecRequest req;
  req.mutable_file_rm_request()->set_path(path);
  req.mutable_file_rm_request()->set_recursive(params.recursive);
  internal::run_exec(*state_, std::move(req));
}

}  // namespace modal
