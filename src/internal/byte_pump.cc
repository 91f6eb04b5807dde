// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "internal/byte_pump.h"

#include <algorithm>

#include "modal/errors.h"

namespace modal::internal {

BytePump::~BytePump() { stop(); }

void BytePump::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  stop_source_.request_stop();
  cv_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void BytePump::start_locked() {
  if (started_ || stop_) return;
  started_ = true;
  thread_ = std::thread([this] { run(); });
}

void BytePump::drain() {
  std::lock_guard lock(mu_);
  if (attached_ || eof_ || error_) return;
  start_locked();
}

bool BytePump::next(std::string& out) {
  return next_until(out, std::nullopt) == ByteSource::Next::kData;
}

ByteSource::Next BytePump::next_until(std::string& out, std::optional<Clock::time_point> deadline) {
  std::unique_lock lock(mu_);
  attached_ = true;
  start_locked();
  for (;;) {
    if (!queue_.empty()) {
      out.swap(queue_.front());  // `out` may hand back the caller's previous buffer
      std::string previous = std::move(queue_.front());
      queue_.pop_front();
      queued_bytes_ -= out.size();
      if (previous.capacity() >= kRecycleMin && spares_.size() < kMaxSpares) {
        spares_.push_back(std::move(previous));
      }
      lock.unlock();
      cv_.notify_all();  // room for the producer
      return ByteSource::Next::kData;
    }
    if (error_) std::rethrow_exception(error_);
    if (eof_) return ByteSource::Next::kEnd;
    if (stop_) throw ClientClosedError("the stream was released");
    auto wait_until = Clock::now() + kStallAfter;
    if (deadline) {
      if (Clock::now() >= *deadline) return ByteSource::Next::kTimeout;
      wait_until = std::min(wait_until, *deadline);
    }
    if (!cv_.wait_until(lock, wait_until,
                        [this] { return !queue_.empty() || error_ || eof_ || stop_; })) {
      if (stall_hook_) {
        lock.unlock();
        stall_hook_();
        lock.lock();
      }
    }
  }
}

bool BytePump::deliver(std::string& data) {
  if (data.empty()) return true;
  {
    std::unique_lock lock(mu_);
    // Bounded look-ahead while a reader is attached; unbounded while draining.
    cv_.wait(lock, [&] { return stop_ || !attached_ || queued_bytes_ < kQueueLimit; });
    if (stop_) return false;
    delivered_ += data.size();
    queued_bytes_ += data.size();
    queue_.emplace_back(std::move(data));
  }
  cv_.notify_all();
  data.clear();
  return true;
}

void BytePump::recycle_into(std::string& buffer) {
  std::lock_guard lock(mu_);
  if (!spares_.empty() && buffer.capacity() < kRecycleMin) {
    buffer.swap(spares_.back());
    spares_.pop_back();
  }
}

std::uint64_t BytePump::delivered() const {
  std::lock_guard lock(mu_);
  return delivered_;
}

void BytePump::run() {
  std::exception_ptr error;
  try {
    producer_(*this, stop_source_.get_token());
  } catch (...) {
    error = std::current_exception();
  }
  {
    std::lock_guard lock(mu_);
    // After stop() nobody reads this stream any more; otherwise the reader gets the end
    // or the error.
    if (stop_) return;
    if (error) {
      error_ = error;
    } else {
      eof_ = true;
    }
  }
  cv_.notify_all();
}

}  // namespace modal::internal
