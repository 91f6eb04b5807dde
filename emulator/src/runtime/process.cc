// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "runtime/process.h"

#include <signal.h>

#include <utility>

namespace modal::emulator::runtime {

Process::Process(pid_t pid, std::shared_ptr<OutputBuffer> out, std::shared_ptr<OutputBuffer> err,
                 std::shared_ptr<InputSink> in, bool pty)
    : pid_(pid),
      stdout_(std::move(out)),
      stderr_(std::move(err)),
      stdin_(std::move(in)),
      has_pty_(pty) {}

Process::~Process() = default;

std::optional<ExitStatus> Process::wait(Deadline deadline, std::stop_token stop) const {
  std::unique_lock<std::mutex> lock(mu_);
  auto done = [&] { return status_.has_value(); };
  if (deadline == kNoDeadline) {
    cv_.wait(lock, stop, done);
  } else {
    cv_.wait_until(lock, stop, deadline, done);
  }
  return status_;
}

std::optional<ExitStatus> Process::poll() const {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

void Process::kill() {
  std::lock_guard<std::mutex> lock(mu_);
  if (reaped_) return;  // the pid may belong to someone else now
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
}

void Process::on_exit(std::function<void(ExitStatus const&)> callback) {
  std::optional<ExitStatus> status;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!status_) {
      exit_callbacks_.push_back(std::move(callback));
      return;
    }
    status = status_;
  }
  callback(*status);
}

}  // namespace modal::emulator::runtime
