// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "internal/heartbeats.h"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

namespace modal::internal {

struct Heartbeats::Core {
  struct Entry {
    std::string what;
    Clock::duration interval;
    Clock::time_point next;
    std::shared_ptr<std::function<void()>> beat;
  };

  std::shared_ptr<CancelScope> scope;
  std::function<void(std::string const&)> log_failure;

  std::mutex mu;
  std::condition_variable beat_done;
  std::condition_variable changed;         // an entry was added, or the shutdown began
  std::shared_ptr<Timer> timer;            // guarded by mu
  std::map<std::uint64_t, Entry> entries;  // guarded by mu
  std::uint64_t next_id = 0;               // guarded by mu
  std::uint64_t running = 0;               // id of the beat running now, 0 = none; guarded by mu
  bool shutdown = false;                   // guarded by mu
  std::stop_source wake;                   // replaced before each sleep; guarded by mu
  std::thread thread;                      // started by the first start(); guarded by mu
  std::thread::id thread_id;               // its id, kept after the destructor takes it

  void run();
  void release(std::uint64_t id);
};

void Heartbeats::Core::run() {
  std::unique_lock lock(mu);
  while (!shutdown && !scope->cancelled()) {
    auto const now = timer->now();
    std::vector<std::pair<std::uint64_t, std::shared_ptr<std::function<void()>>>> due;
    std::optional<Clock::time_point> earliest;
    for (auto& [id, e] : entries) {
      if (e.next <= now) {
        due.emplace_back(id, e.beat);
        e.next = now + e.interval;
      }
      if (!earliest || e.next < *earliest) earliest = e.next;
    }
    for (auto const& [id, beat] : due) {
      if (shutdown || !entries.contains(id)) continue;  // released meanwhile
      running = id;
      std::string what = entries.at(id).what;
      lock.unlock();
      try {
        (*beat)();
      } catch (std::exception const& e) {
        log_failure("heartbeat of " + what + " failed: " + e.what());
      } catch (...) {
        log_failure("heartbeat of " + what + " failed");
      }
      lock.lock();
      running = 0;
      beat_done.notify_all();
    }
    if (!due.empty()) continue;  // time has moved on: look again before sleeping
    if (!earliest) {
      // Nothing to beat: wait for a start() or the shutdown, not on the timer (whose fakes
      // return at once, which made this loop spin), looking at the scope every second.
      changed.wait_for(lock, std::chrono::seconds(1),
                       [&] { return shutdown || scope->cancelled() || !entries.empty(); });
      continue;
    }
    auto const until = *earliest;
    wake = std::stop_source();
    auto token = wake.get_token();
    auto sleeper = timer;
    lock.unlock();
    sleeper->sleep_until(until, *scope, token);
    lock.lock();
  }
}

void Heartbeats::Core::release(std::uint64_t id) {
  std::unique_lock lock(mu);
  entries.erase(id);
  if (std::this_thread::get_id() == thread_id) return;  // released by its own beat
  beat_done.wait(lock, [&] { return running != id; });
}

Heartbeats::Heartbeats(std::shared_ptr<Timer> timer, std::shared_ptr<CancelScope> scope,
                       std::function<void(std::string const&)> log_failure)
    : core_(std::make_shared<Core>()) {
  core_->timer = std::move(timer);
  core_->scope = std::move(scope);
  core_->log_failure = std::move(log_failure);
}

Heartbeats::~Heartbeats() {
  std::thread thread;
  {
    std::lock_guard lock(core_->mu);
    core_->shutdown = true;
    core_->wake.request_stop();
    core_->changed.notify_all();
    thread = std::move(core_->thread);
  }
  if (thread.joinable()) thread.join();
}

void Heartbeats::set_timer(std::shared_ptr<Timer> timer) {
  std::lock_guard lock(core_->mu);
  core_->timer = std::move(timer);
}

std::shared_ptr<void> Heartbeats::start(std::string what, Clock::duration interval,
                                        std::function<void()> beat) {
  std::uint64_t id = 0;
  {
    std::lock_guard lock(core_->mu);
    id = ++core_->next_id;
    core_->entries.emplace(id,
                           Core::Entry{std::move(what), interval, core_->timer->now() + interval,
                                       std::make_shared<std::function<void()>>(std::move(beat))});
    if (!core_->thread.joinable() && !core_->shutdown) {
      core_->thread = std::thread([core = core_.get()] { core->run(); });
      core_->thread_id = core_->thread.get_id();
    } else {
      core_->wake.request_stop();   // the new entry may be due before the current sleep ends
      core_->changed.notify_all();  // or the thread waits for entries
    }
  }
  std::weak_ptr<Core> weak = core_;
  return std::shared_ptr<void>(nullptr, [weak, id](void*) {
    if (auto core = weak.lock()) core->release(id);
  });
}

}  // namespace modal::internal
