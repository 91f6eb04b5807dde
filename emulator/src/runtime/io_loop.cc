// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "runtime/io_loop.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <utility>

namespace modal::emulator::runtime::internal {
namespace {

constexpr uint64_t kWakeWatch = 0;

// Runs `start` with every signal blocked so that the new thread inherits a full mask.
template <typename F>
std::thread start_thread_with_signals_blocked(F&& body) {
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  std::thread thread(std::forward<F>(body));
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return thread;
}

}  // namespace

IoLoop::IoLoop() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  struct epoll_event ev {};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeWatch;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  thread_ = start_thread_with_signals_blocked([this] { run(); });
}

IoLoop::~IoLoop() {
  stop();
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

void IoLoop::post(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    tasks_.push_back(std::move(task));
  }
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
}

IoLoop::TimerId IoLoop::add_timer(Deadline when, std::function<void()> callback) {
  TimerId id;
  bool earliest;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return 0;
    id = next_timer_++;
    auto it = timers_.emplace(when, std::make_pair(id, std::move(callback)));
    timer_index_.emplace(id, it);
    earliest = it == timers_.begin();
  }
  if (earliest && !in_loop_thread()) {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
  }
  return id;
}

void IoLoop::cancel_timer(TimerId id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = timer_index_.find(id);
  if (it == timer_index_.end()) return;
  timers_.erase(it->second);
  timer_index_.erase(it);
}

uint64_t IoLoop::add_fd(int fd, uint32_t events, Handler handler) {
  uint64_t const id = next_watch_++;
  struct epoll_event ev {};
  ev.events = events;
  ev.data.u64 = id;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) return 0;
  watches_.emplace(id, Watch{fd, std::make_shared<Handler>(std::move(handler))});
  return id;
}

void IoLoop::set_events(uint64_t watch, uint32_t events) {
  auto it = watches_.find(watch);
  if (it == watches_.end()) return;
  struct epoll_event ev {};
  ev.events = events;
  ev.data.u64 = watch;
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, it->second.fd, &ev);
}

void IoLoop::remove_fd(uint64_t watch) {
  auto it = watches_.find(watch);
  if (it == watches_.end()) return;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->second.fd, nullptr);
  watches_.erase(it);
}

bool IoLoop::in_loop_thread() const { return std::this_thread::get_id() == thread_.get_id(); }

void IoLoop::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
  if (thread_.joinable()) thread_.join();
}

void IoLoop::run() {
  constexpr int kMaxEvents = 64;
  struct epoll_event events[kMaxEvents];
  for (;;) {
    int timeout_ms = -1;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_ && tasks_.empty()) {
        stopped_ = true;
        tasks_.clear();
        timers_.clear();
        timer_index_.clear();
        break;
      }
      if (!tasks_.empty()) {
        timeout_ms = 0;
      } else if (!timers_.empty()) {
        auto const now = Clock::now();
        auto const when = timers_.begin()->first;
        if (when <= now) {
          timeout_ms = 0;
        } else {
          auto const us = std::chrono::duration_cast<std::chrono::microseconds>(when - now).count();
          timeout_ms = static_cast<int>(std::min<int64_t>((us + 999) / 1000, 60'000));
        }
      }
    }
    int const n = epoll_wait(epoll_fd_, events, kMaxEvents, timeout_ms);
    for (int i = 0; i < n; ++i) {
      uint64_t const id = events[i].data.u64;
      if (id == kWakeWatch) {
        uint64_t value;
        [[maybe_unused]] ssize_t r = ::read(wake_fd_, &value, sizeof value);
        continue;
      }
      auto it = watches_.find(id);
      if (it == watches_.end()) continue;  // removed by an earlier handler
      std::shared_ptr<Handler> handler = it->second.handler;
      (*handler)(events[i].events);
    }
    // Timers that are due.
    for (;;) {
      std::function<void()> callback;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (timers_.empty() || timers_.begin()->first > Clock::now()) break;
        auto it = timers_.begin();
        callback = std::move(it->second.second);
        timer_index_.erase(it->second.first);
        timers_.erase(it);
      }
      callback();
    }
    // Posted tasks.
    std::vector<std::function<void()>> tasks;
    {
      std::lock_guard<std::mutex> lock(mu_);
      tasks.swap(tasks_);
    }
    for (auto& task : tasks) task();
  }
}

}  // namespace modal::emulator::runtime::internal
