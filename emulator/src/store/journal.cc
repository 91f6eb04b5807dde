// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "store/journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"

namespace modal::emulator {

namespace {

/// Larger records are refused on encode and treated as corruption on decode.
constexpr std::uint32_t kMaxRecordBytes = std::uint32_t{1} << 30;
constexpr std::size_t kHeaderBytes = 8;

std::uint32_t crc_of(std::string_view bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  // zlib takes uInt lengths: feed it in chunks.
  while (!bytes.empty()) {
    auto const n = static_cast<uInt>(std::min<std::size_t>(bytes.size(), 1u << 30));
    crc = crc32(crc, reinterpret_cast<Bytef const*>(bytes.data()), n);
    bytes.remove_prefix(n);
  }
  return static_cast<std::uint32_t>(crc);
}

void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint32_t get_u32(std::string_view in) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= std::uint32_t{static_cast<unsigned char>(in[i])} << (8 * i);
  return v;
}

absl::Status errno_status(char const* what, std::string const& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

/// Writes all of `data` at the end of `fd` (O_APPEND).
absl::Status write_all(int fd, std::string_view data, std::string const& path) {
  while (!data.empty()) {
    ssize_t const n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_status("write", path);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> read_file(int fd, std::string const& path) {
  std::string data;
  char buf[1 << 16];
  for (;;) {
    ssize_t const n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_status("read", path);
    }
    if (n == 0) return data;
    data.append(buf, static_cast<std::size_t>(n));
  }
}

absl::Status fsync_dir_of(std::string const& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  int const fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_status("open", dir);
  int const rc = ::fsync(fd);
  int const err = errno;
  ::close(fd);
  errno = err;
  return rc == 0 ? absl::OkStatus() : errno_status("fsync", dir);
}

}  // namespace

std::string encode_journal_record(nlohmann::json const& record) {
  std::vector<std::uint8_t> const payload = nlohmann::json::to_msgpack(record);
  std::string out;
  out.reserve(payload.size() + 8);
  std::string_view const bytes(reinterpret_cast<char const*>(payload.data()), payload.size());
  put_u32(out, static_cast<std::uint32_t>(payload.size()));
  put_u32(out, crc_of(bytes));
  out.append(bytes);
  return out;
}

std::vector<nlohmann::json> decode_journal_records(std::string_view data, std::size_t* consumed) {
  std::vector<nlohmann::json> records;
  std::size_t pos = 0;
  while (data.size() - pos >= 8) {
    std::uint32_t const len = get_u32(data.substr(pos));
    std::uint32_t const crc = get_u32(data.substr(pos + 4));
    if (len > kMaxRecordBytes || data.size() - pos - 8 < len) break;
    std::string_view const payload = data.substr(pos + 8, len);
    if (crc_of(payload) != crc) break;
    auto record = nlohmann::json::from_msgpack(payload.begin(), payload.end(),
                                               /*strict=*/true, /*allow_exceptions=*/false);
    if (record.is_discarded() || !record.is_object()) break;
    records.push_back(std::move(record));
    pos += 8 + len;
  }
  if (consumed != nullptr) *consumed = pos;
  return records;
}

absl::StatusOr<std::unique_ptr<Journal>> Journal::open(std::string const& path,
                                                       Replay const& replay, Log const& log) {
  int const fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return errno_status("open", path);
  std::unique_ptr<Journal> journal(new Journal(path, fd, 0));
  auto data = read_file(fd, path);
  if (!data.ok()) return data.status();
  if (data->empty()) {
    if (auto st = write_all(fd, kJournalMagic, path); !st.ok()) return st;
    if (::fdatasync(fd) != 0) return errno_status("fdatasync", path);
    if (auto st = fsync_dir_of(path); !st.ok()) return st;
    journal->size_ = kHeaderBytes;
    return journal;
  }
  if (data->size() < kHeaderBytes ||
      std::string_view(*data).substr(0, kHeaderBytes) != kJournalMagic) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is not a modal-emulator state journal"));
  }
  std::string_view const body = std::string_view(*data).substr(kHeaderBytes);
  std::size_t consumed = 0;
  auto const records = decode_journal_records(body, &consumed);
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (auto st = replay(records[i]); !st.ok()) {
      return absl::Status(st.code(), absl::StrCat(path, ": record ", i + 1, ": ", st.message()));
    }
  }
  std::uint64_t const good = kHeaderBytes + consumed;
  if (good < data->size()) {
    if (log) {
      log(absl::StrCat(path, ": ", data->size() - good,
                       " bytes of a torn or corrupt last record cut off (never acknowledged)"));
    }
    if (::ftruncate(fd, static_cast<off_t>(good)) != 0) return errno_status("ftruncate", path);
    if (::fdatasync(fd) != 0) return errno_status("fdatasync", path);
  }
  journal->size_ = good;
  return journal;
}

Journal::~Journal() {
  if (fd_ >= 0) ::close(fd_);
}

std::uint64_t Journal::append(nlohmann::json const& change) {
  std::string const record = encode_journal_record(change);
  std::lock_guard lock(mu_);
  std::uint64_t const ticket = ++appended_;
  if (!error_.ok()) return ticket;
  if (record.size() - 8 > kMaxRecordBytes) {
    error_ = absl::InternalError(absl::StrCat(path_, ": a change of ", record.size(),
                                              " bytes is too large for the journal"));
    return ticket;
  }
  if (auto st = write_all(fd_, record, path_); !st.ok()) {
    error_ = st;
  } else {
    size_ += record.size();
  }
  return ticket;
}

absl::Status Journal::sync(std::uint64_t ticket) {
  std::unique_lock lock(mu_);
  for (;;) {
    if (!error_.ok()) return error_;
    if (synced_ >= ticket) return absl::OkStatus();
    if (syncing_) {
      synced_cv_.wait(lock);
      continue;
    }
    // This thread syncs everything written so far, for every waiter; appends made
    // meanwhile wait for the next round.
    syncing_ = true;
    std::uint64_t const upto = appended_;
    int const fd = fd_;
    lock.unlock();
    int const rc = ::fdatasync(fd);
    int const err = errno;
    lock.lock();
    syncing_ = false;
    if (rc != 0) {
      errno = err;
      error_ = errno_status("fdatasync", path_);
    } else {
      synced_ = std::max(synced_, upto);
    }
    synced_cv_.notify_all();
  }
}

absl::Status Journal::rewrite(std::vector<nlohmann::json> const& records) {
  std::lock_guard lock(mu_);
  std::string const tmp = absl::StrCat(path_, ".tmp");
  int const fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return errno_status("open", tmp);
  std::string data(kJournalMagic);
  for (auto const& record : records) data += encode_journal_record(record);
  absl::Status st = write_all(fd, data, tmp);
  if (st.ok() && ::fsync(fd) != 0) st = errno_status("fsync", tmp);
  if (!st.ok()) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return st;
  }
  if (::rename(tmp.c_str(), path_.c_str()) != 0) {
    st = errno_status("rename", tmp);
    ::close(fd);
    ::unlink(tmp.c_str());
    return st;
  }
  if (st = fsync_dir_of(path_); !st.ok()) {
    ::close(fd);
    return st;
  }
  ::close(fd_);
  fd_ = fd;
  size_ = data.size();
  synced_ = appended_;
  return absl::OkStatus();
}

std::uint64_t Journal::size() const {
  std::lock_guard lock(mu_);
  return size_;
}

}  // namespace modal::emulator
