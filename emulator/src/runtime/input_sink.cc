// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "runtime/input_sink.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace modal::emulator::runtime {

InputSink::InputSink(InputSinkOptions options)
    : options_([&] {
        if (options.capacity == 0) options.capacity = 1;
        return options;
      }()) {}

InputSink::~InputSink() = default;

absl::StatusOr<InputSink::Status> InputSink::write(uint64_t offset, std::string_view data, bool eof,
                                                   Deadline deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  auto fire = [&] {
    if (!data_callback_) return;
    lock.unlock();
    data_callback_();
    lock.lock();
  };
  if (offset > accepted_) {
    return absl::OutOfRangeError(absl::StrCat("stdin offset ", offset, " leaves a gap: only ",
                                              accepted_, " bytes were received"));
  }
  uint64_t const end = offset + data.size();
  for (;;) {
    if (accepted_ >= end) break;
    if (eof_) {
      return absl::FailedPreconditionError(
          absl::StrCat("stdin was already closed at offset ", accepted_));
    }
    if (closed_) {  // The process is gone: accept and discard.
      accepted_ = end;
      break;
    }
    uint64_t const queued = accepted_ - written_;
    if (queued >= options_.capacity) {
      auto ready = [&] { return closed_ || eof_ || accepted_ - written_ < options_.capacity; };
      bool ok;
      if (deadline == kNoDeadline) {
        cv_.wait(lock, ready);
        ok = true;
      } else {
        ok = cv_.wait_until(lock, deadline, ready);
      }
      if (!ok) {
        return absl::DeadlineExceededError(absl::StrCat(
            "stdin is full (the process is not reading); accepted up to offset ", accepted_));
      }
      continue;
    }
    size_t const take =
        static_cast<size_t>(std::min<uint64_t>(options_.capacity - queued, end - accepted_));
    queue_.emplace_back(data.substr(static_cast<size_t>(accepted_ - offset), take));
    accepted_ += take;
    if (idle_) {
      idle_ = false;
      fire();
    }
  }
  if (eof && !eof_) {
    eof_ = true;
    if (idle_ && !closed_) {
      idle_ = false;
      fire();
    }
    cv_.notify_all();
  }
  return Status{accepted_, written_, eof_, closed_, broken_};
}

InputSink::Status InputSink::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return Status{accepted_, written_, eof_, closed_, broken_};
}

bool InputSink::wait_drained(Deadline deadline) const {
  std::unique_lock<std::mutex> lock(mu_);
  auto drained = [&] { return closed_ || (accepted_ == written_ && !eof_); };
  if (deadline == kNoDeadline) {
    cv_.wait(lock, drained);
    return true;
  }
  return cv_.wait_until(lock, deadline, drained);
}

size_t InputSink::peek(struct iovec* iov, size_t max_iov, size_t* iov_count) {
  std::lock_guard<std::mutex> lock(mu_);
  *iov_count = 0;
  size_t total = 0;
  size_t skip = front_consumed_;
  for (auto const& chunk : queue_) {
    if (*iov_count == max_iov) break;
    iov[*iov_count].iov_base = const_cast<char*>(chunk.data()) + skip;
    iov[*iov_count].iov_len = chunk.size() - skip;
    total += chunk.size() - skip;
    ++*iov_count;
    skip = 0;
  }
  return total;
}

void InputSink::consume(size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  written_ += n;
  while (n > 0 && !queue_.empty()) {
    size_t const left = queue_.front().size() - front_consumed_;
    if (n >= left) {
      n -= left;
      queue_.pop_front();
      front_consumed_ = 0;
    } else {
      front_consumed_ += n;
      n = 0;
    }
  }
  cv_.notify_all();
}

bool InputSink::should_close() const {
  std::lock_guard<std::mutex> lock(mu_);
  return eof_ && !closed_ && queue_.empty();
}

bool InputSink::go_idle() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!queue_.empty() || (eof_ && !closed_)) return false;
  idle_ = true;
  return true;
}

void InputSink::mark_closed(bool broken) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return;
  closed_ = true;
  broken_ = broken;
  queue_.clear();
  front_consumed_ = 0;
  cv_.notify_all();
}

void InputSink::set_data_callback(std::function<void()> callback) {
  std::lock_guard<std::mutex> lock(mu_);
  data_callback_ = std::move(callback);
}

IndexedInput::IndexedInput(std::shared_ptr<InputSink> sink) : sink_(std::move(sink)) {}

absl::Status IndexedInput::write(uint64_t index, std::string_view data, bool eof,
                                 Deadline deadline) {
  std::lock_guard<std::mutex> lock(mu_);
  if (index == 0) return absl::InvalidArgumentError("stdin indexes start at 1");
  if (index <= last_index_) return absl::OkStatus();  // duplicate
  if (index > last_index_ + 1) {
    return absl::OutOfRangeError(absl::StrCat("stdin index ", index, " leaves a gap: last ",
                                              "applied index is ", last_index_));
  }
  auto result = sink_->write(next_offset_, data, eof, deadline);
  if (!result.ok()) return result.status();
  last_index_ = index;
  next_offset_ += data.size();
  return absl::OkStatus();
}

uint64_t IndexedInput::last_index() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_index_;
}

}  // namespace modal::emulator::runtime
