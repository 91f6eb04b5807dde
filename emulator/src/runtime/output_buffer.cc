// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "runtime/output_buffer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace modal::emulator::runtime {
namespace {

constexpr size_t kMaxSpareBlocks = 2;

size_t pick_block_size(OutputBufferOptions const& options) {
  if (options.block_size != 0) return options.block_size;
  return std::clamp<size_t>(options.capacity / 8, size_t{16} << 10, size_t{1} << 20);
}

}  // namespace

OutputBuffer::OutputBuffer(OutputBufferOptions options)
    : options_([&] {
        if (options.capacity == 0) options.capacity = 1;
        return options;
      }()),
      block_size_(pick_block_size(options_)) {}

OutputBuffer::~OutputBuffer() {
  if (spill_fd_ >= 0) ::close(spill_fd_);
}

size_t OutputBuffer::room_locked() const {
  // Only what is in memory counts: spilled bytes lie before base_.
  uint64_t const held = end_ - std::max(start_, base_);
  return held >= options_.capacity ? 0 : static_cast<size_t>(options_.capacity - held);
}

void OutputBuffer::discard_locked() {
  while (!blocks_.empty() && base_ + block_size_ <= start_) {
    if (spare_.size() < kMaxSpareBlocks) spare_.push_back(std::move(blocks_.front()));
    blocks_.pop_front();
    base_ += block_size_;
  }
}

char* OutputBuffer::locate_locked(uint64_t offset) const {
  uint64_t const rel = offset - base_;
  return blocks_[static_cast<size_t>(rel / block_size_)].get() + rel % block_size_;
}

namespace {

int open_spill_file(std::string const& dir_option) {
  std::string dir = dir_option;
  if (dir.empty()) {
    char const* tmp = std::getenv("TMPDIR");
    dir = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  }
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0) return fd;
  std::string path = dir + "/modal-output-spill.XXXXXX";
  fd = ::mkostemp(path.data(), O_CLOEXEC);
  if (fd >= 0) ::unlink(path.c_str());
  return fd;
}

}  // namespace

bool OutputBuffer::spill_locked() {
  if (options_.spill_limit == 0 || retains()) return false;
  if (blocks_.size() < 2 || base_ + block_size_ > end_) return false;  // no full old block
  if (start_ >= base_ + block_size_) return false;  // discard_locked() will drop it instead
  if (spill_fd_ < 0) {
    spill_fd_ = open_spill_file(options_.spill_dir);
    if (spill_fd_ < 0) return false;
  }
  uint64_t const live_from = std::max(start_, spill_origin_);
  if (live_from >= base_) {  // nothing spilled is still needed: start the file over
    if (::ftruncate(spill_fd_, 0) != 0) return false;
    spill_origin_ = base_;
    punched_ = base_;
  }
  if (base_ + block_size_ - std::max(start_, spill_origin_) > options_.spill_limit) return false;
  char const* data = blocks_.front().get();
  size_t done = 0;
  while (done < block_size_) {
    ssize_t const n = ::pwrite(spill_fd_, data + done, block_size_ - done,
                               static_cast<off_t>(base_ - spill_origin_ + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;  // disk full: pause instead
    done += static_cast<size_t>(n);
  }
  if (spare_.size() < kMaxSpareBlocks) spare_.push_back(std::move(blocks_.front()));
  blocks_.pop_front();
  base_ += block_size_;
  return true;
}

absl::Status OutputBuffer::read_spilled_locked(uint64_t offset, size_t n, std::string* out) const {
  size_t const old = out->size();
  out->resize(old + n);
  size_t done = 0;
  while (done < n) {
    ssize_t const r = ::pread(spill_fd_, out->data() + old + done, n - done,
                              static_cast<off_t>(offset - spill_origin_ + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      out->resize(old);
      return absl::DataLossError(absl::StrCat("reading spilled output at offset ", offset,
                                              " failed: ", r < 0 ? std::strerror(errno) : "EOF"));
    }
    done += static_cast<size_t>(r);
  }
  return absl::OkStatus();
}

void OutputBuffer::release_spilled_locked() {
  if (spill_fd_ < 0) return;
  if (start_ >= base_) {  // the readers caught up with memory: nothing on disk is needed
    if (punched_ < base_ && ::ftruncate(spill_fd_, 0) == 0) {
      spill_origin_ = base_;
      punched_ = base_;
    }
    return;
  }
  constexpr uint64_t kPage = 4096;
  uint64_t const upto = spill_origin_ + (start_ - spill_origin_) / kPage * kPage;
  if (upto <= punched_) return;
  if (::fallocate(spill_fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                  static_cast<off_t>(punched_ - spill_origin_),
                  static_cast<off_t>(upto - punched_)) == 0) {
    punched_ = upto;
  }
}

void OutputBuffer::acknowledge_locked(uint64_t offset, bool* fire_space) {
  if (retains()) return;  // retained output is never consumed
  uint64_t const target = std::min(offset, end_);
  if (target <= start_) return;
  start_ = target;
  discard_locked();
  release_spilled_locked();
  if (paused_ && room_locked() > 0) {
    paused_ = false;
    *fire_space = true;
    space_cv_.notify_all();
  }
}

absl::StatusOr<OutputBuffer::ReadResult> OutputBuffer::read_into(
    uint64_t offset, size_t max_bytes, std::string* out, Deadline deadline,
    // The API's by-value token.
    // NOLINTNEXTLINE(performance-unnecessary-value-param)
    std::stop_token stop) {
  return read_into_keeping(offset, offset, max_bytes, out, deadline, stop);
}

absl::StatusOr<OutputBuffer::ReadResult> OutputBuffer::read_into_keeping(
    uint64_t offset, uint64_t acknowledge, size_t max_bytes, std::string* out, Deadline deadline,
    std::stop_token const& stop) {
  if (max_bytes == 0) return absl::InvalidArgumentError("max_bytes must be positive");
  bool fire_space = false;
  ReadResult result;
  absl::Status error;
  {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      if (offset <= end_) {
        acknowledge_locked(std::min(acknowledge, offset), &fire_space);
        if (offset < start_) {
          if (retains()) {
            offset = start_;  // fell out of the window: the oldest retained byte
          } else {
            error = absl::OutOfRangeError(absl::StrCat("output offset ", offset,
                                                       " was already acknowledged; the first "
                                                       "available offset is ",
                                                       start_));
            break;
          }
        }
        if (offset < base_ && offset < end_) {  // spilled to disk
          size_t const n = static_cast<size_t>(std::min<uint64_t>(max_bytes, base_ - offset));
          error = read_spilled_locked(offset, n, out);
          if (error.ok()) {
            result.offset = offset;
            result.size = n;
          }
          break;
        }
        if (offset < end_) {
          size_t n = static_cast<size_t>(std::min<uint64_t>(max_bytes, end_ - offset));
          result.offset = offset;
          result.size = n;
          result.eof = closed_ && offset + n == end_;
          out->reserve(out->size() + n);
          uint64_t pos = offset;
          while (n > 0) {
            size_t const in_block = block_size_ - static_cast<size_t>((pos - base_) % block_size_);
            size_t const chunk = std::min(n, in_block);
            out->append(locate_locked(pos), chunk);
            pos += chunk;
            n -= chunk;
          }
          break;
        }
        if (closed_) {
          result.offset = offset;
          result.eof = true;
          break;
        }
      } else if (closed_) {
        error = absl::OutOfRangeError(absl::StrCat(
            "output offset ", offset, " is beyond the end of the stream (", end_, " bytes)"));
        break;
      }
      if (fire_space) {
        // Unpause the producer before waiting for what it will produce.
        fire_space = false;
        lock.unlock();
        if (space_callback_) space_callback_();
        lock.lock();
        continue;
      }
      // Wait for more data (or EOF).
      auto ready = [&] { return end_ > offset || closed_; };
      ++waiters_;
      bool woke;
      if (deadline == kNoDeadline) {
        woke = data_cv_.wait(lock, stop, ready);
      } else {
        woke = data_cv_.wait_until(lock, stop, deadline, ready);
      }
      --waiters_;
      if (!woke) {
        result.offset = offset;
        break;
      }
    }
  }
  if (fire_space && space_callback_) space_callback_();
  if (!error.ok()) return error;
  return result;
}

absl::StatusOr<OutputBuffer::ReadChunk> OutputBuffer::read(uint64_t offset, size_t max_bytes,
                                                           Deadline deadline,
                                                           std::stop_token stop) {
  ReadChunk chunk;
  auto result = read_into(offset, max_bytes, &chunk.data, deadline, std::move(stop));
  if (!result.ok()) return result.status();
  chunk.offset = result->offset;
  chunk.eof = result->eof;
  return chunk;
}

void OutputBuffer::acknowledge(uint64_t offset) {
  bool fire_space = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    acknowledge_locked(offset, &fire_space);
  }
  if (fire_space && space_callback_) space_callback_();
}

uint64_t OutputBuffer::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return end_;
}

uint64_t OutputBuffer::first_available() const {
  std::lock_guard<std::mutex> lock(mu_);
  return start_;
}

size_t OutputBuffer::buffered() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<size_t>(end_ - start_);
}

bool OutputBuffer::closed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return closed_;
}

bool OutputBuffer::wait_closed(Deadline deadline) const {
  std::unique_lock<std::mutex> lock(mu_);
  ++waiters_;
  if (deadline == kNoDeadline) {
    data_cv_.wait(lock, [&] { return closed_; });
  } else {
    data_cv_.wait_until(lock, deadline, [&] { return closed_; });
  }
  --waiters_;
  return closed_;
}

size_t OutputBuffer::prepare(size_t max_bytes, struct iovec* iov, size_t max_iov,
                             size_t* iov_count) {
  *iov_count = 0;
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_ || max_bytes == 0 || max_iov == 0) return 0;
  size_t n = std::min(max_bytes, options_.capacity);
  n = std::min(n, max_iov * block_size_);
  if (options_.overflow == OverflowPolicy::kBackPressure) {
    size_t room = room_locked();
    while (room == 0 && spill_locked()) room = room_locked();
    if (room == 0) {
      paused_ = true;
      return 0;
    }
    n = std::min(n, room);
  }
  if (blocks_.empty()) base_ = end_ - end_ % block_size_;
  while (base_ + blocks_.size() * block_size_ < end_ + n) {
    if (!spare_.empty()) {
      blocks_.push_back(std::move(spare_.back()));
      spare_.pop_back();
    } else {
      blocks_.push_back(std::unique_ptr<char[]>(new char[block_size_]));
    }
  }
  uint64_t pos = end_;
  size_t remaining = n;
  while (remaining > 0 && *iov_count < max_iov) {
    size_t const in_block = block_size_ - static_cast<size_t>((pos - base_) % block_size_);
    size_t const chunk = std::min(remaining, in_block);
    iov[*iov_count].iov_base = locate_locked(pos);
    iov[*iov_count].iov_len = chunk;
    ++*iov_count;
    pos += chunk;
    remaining -= chunk;
  }
  return n - remaining;
}

void OutputBuffer::commit(size_t n) {
  if (n == 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return;
  end_ += n;
  if (retains() && end_ - start_ > options_.capacity) {
    start_ = end_ - options_.capacity;  // the newest `capacity` bytes stay
    discard_locked();
  }
  if (waiters_ > 0) data_cv_.notify_all();
}

void OutputBuffer::close() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  data_cv_.notify_all();
  space_cv_.notify_all();
}

void OutputBuffer::set_space_callback(std::function<void()> callback) {
  std::lock_guard<std::mutex> lock(mu_);
  space_callback_ = std::move(callback);
}

size_t OutputBuffer::write(std::string_view data, Deadline deadline) {
  size_t done = 0;
  while (done < data.size()) {
    struct iovec iov[8];
    size_t count = 0;
    size_t const n = prepare(data.size() - done, iov, 8, &count);
    if (n == 0) {
      std::unique_lock<std::mutex> lock(mu_);
      auto ready = [&] { return closed_ || room_locked() > 0; };
      bool ok;
      if (deadline == kNoDeadline) {
        space_cv_.wait(lock, ready);
        ok = true;
      } else {
        ok = space_cv_.wait_until(lock, deadline, ready);
      }
      if (!ok || closed_) break;
      continue;
    }
    size_t copied = 0;
    for (size_t i = 0; i < count; ++i) {
      std::memcpy(iov[i].iov_base, data.data() + done + copied, iov[i].iov_len);
      copied += iov[i].iov_len;
    }
    commit(n);
    done += n;
  }
  return done;
}

}  // namespace modal::emulator::runtime
