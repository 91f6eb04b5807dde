// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_RUNTIME_UNIQUE_FD_H
#define MODAL_EMULATOR_RUNTIME_UNIQUE_FD_H

#include <unistd.h>

#include <utility>

namespace modal::emulator::runtime::internal {

/// Owns a file descriptor (closed on destruction); -1 = none. Move-only.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    reset(other.release());
    return *this;
  }
  ~UniqueFd() { reset(); }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

}  // namespace modal::emulator::runtime::internal

#endif  // MODAL_EMULATOR_RUNTIME_UNIQUE_FD_H
