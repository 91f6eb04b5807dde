// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// The heartbeat thread of ephemeral objects, in virtual time.
#include "internal/heartbeats.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "fakes.h"

namespace modal::internal {
namespace {

using namespace std::chrono_literals;
using testing::FakeTimer;
using ::testing::HasSubstr;

/// Records what a beat saw; waits for a number of beats.
struct Recorder {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Clock::time_point> times;
  std::vector<std::string> logs;

  void add(Clock::time_point t) {
    std::lock_guard lock(mu);
    times.push_back(t);
    cv.notify_all();
  }
  void log(std::string const& s) {
    std::lock_guard lock(mu);
    logs.push_back(s);
  }
  std::vector<Clock::time_point> wait_for(std::size_t n) {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return times.size() >= n; });
    return times;
  }
};

TEST(HeartbeatsTest, BeatsEveryIntervalStartingOneIntervalAfterStart) {
  auto timer = std::make_shared<FakeTimer>();
  auto scope = CancelScope::root("closed");
  Recorder rec;
  Heartbeats hb(timer, scope, [&](std::string const& s) { rec.log(s); });
  auto const start = timer->now();
  auto reg = hb.start("Queue qu-1", 300s, [&] { rec.add(timer->now()); });
  auto times = rec.wait_for(5);
  reg.reset();
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(times[i] - start, (i + 1) * Clock::duration(300s)) << i;
  }
  std::lock_guard lock(rec.mu);
  EXPECT_TRUE(rec.logs.empty());
}

TEST(HeartbeatsTest, ReleasingStopsTheBeatsAndWaitsForOneInFlight) {
  auto timer = std::make_shared<FakeTimer>();
  auto scope = CancelScope::root("closed");
  Heartbeats hb(timer, scope, [](std::string const&) {});
  std::atomic<int> beats{0};
  std::atomic<bool> in_beat{false};
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false;
  auto reg = hb.start("Volume vo-1", 1s, [&] {
    in_beat = true;
    {
      std::lock_guard lock(mu);
      entered = true;
      cv.notify_all();
    }
    std::this_thread::sleep_for(100ms);
    ++beats;
    in_beat = false;
  });
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return entered; });
  }
  reg.reset();  // a beat is running: this returns only once it is over
  EXPECT_FALSE(in_beat.load());
  int const after = beats.load();
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(beats.load(), after);
}

TEST(HeartbeatsTest, AFailingBeatIsLoggedAndTriedAgain) {
  auto timer = std::make_shared<FakeTimer>();
  auto scope = CancelScope::root("closed");
  Recorder rec;
  Heartbeats hb(timer, scope, [&](std::string const& s) { rec.log(s); });
  auto reg = hb.start("Queue qu-2", 10s, [&] {
    rec.add(timer->now());
    throw std::runtime_error("UNAVAILABLE: try later");
  });
  rec.wait_for(3);
  reg.reset();
  std::lock_guard lock(rec.mu);
  ASSERT_GE(rec.logs.size(), 3u);
  EXPECT_THAT(rec.logs[0], HasSubstr("heartbeat of Queue qu-2 failed: UNAVAILABLE: try later"));
}

TEST(HeartbeatsTest, InterleavesRegistrationsByTheirIntervals) {
  auto timer = std::make_shared<FakeTimer>();
  auto scope = CancelScope::root("closed");
  Heartbeats hb(timer, scope, [](std::string const&) {});
  auto const start = timer->now();
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<char, Clock::duration>> seen;
  auto beat = [&](char which) {
    return [&, which] {
      std::lock_guard lock(mu);
      if (seen.size() < 6) seen.emplace_back(which, timer->now() - start);
      cv.notify_all();
    };
  };
  // The thread starts with the first registration and sleeps (for real, no virtual time
  // passing) until the second one wakes it; from then on time moves with each sleep.
  timer->set_blocking(true);
  auto a = hb.start("a", 300s, beat('a'));
  timer->await_blocked_sleep();
  timer->set_blocking(false);
  auto b = hb.start("b", 200s, beat('b'));
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return seen.size() >= 6; });
  }
  a.reset();
  b.reset();
  // b at 200, 400, 600; a at 300, 600; the first six in time order.
  std::vector<Clock::duration> times;
  times.reserve(seen.size());
  for (auto const& [which, t] : seen) times.push_back(t);
  EXPECT_TRUE(std::is_sorted(times.begin(), times.end()));
  EXPECT_EQ(seen[0], std::make_pair('b', Clock::duration(200s)));
  EXPECT_EQ(seen[1], std::make_pair('a', Clock::duration(300s)));
  EXPECT_EQ(seen[2], std::make_pair('b', Clock::duration(400s)));
}

TEST(HeartbeatsTest, CancellingTheScopeStopsTheThread) {
  auto timer = std::make_shared<FakeTimer>();
  timer->set_blocking(true);  // sleeps wait for real until cancelled
  auto scope = CancelScope::root("closed");
  std::atomic<int> beats{0};
  {
    Heartbeats hb(timer, scope, [](std::string const&) {});
    auto reg = hb.start("Queue qu-3", 1s, [&] { ++beats; });
    timer->await_blocked_sleep();
    scope->cancel();
    // The destructor joins a thread that has stopped (a hang here fails by timeout).
  }
  EXPECT_EQ(beats.load(), 0);
}

TEST(HeartbeatsTest, ARegistrationMayOutliveTheHeartbeats) {
  auto timer = std::make_shared<FakeTimer>();
  timer->set_blocking(true);
  auto scope = CancelScope::root("closed");
  std::shared_ptr<void> reg;
  {
    Heartbeats hb(timer, scope, [](std::string const&) {});
    reg = hb.start("Queue qu-4", 1s, [] {});
    timer->await_blocked_sleep();
  }
  reg.reset();  // must not touch freed memory (ASan checks)
  SUCCEED();
}

}  // namespace
}  // namespace modal::internal
