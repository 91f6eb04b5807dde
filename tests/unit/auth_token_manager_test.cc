// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "internal/auth_token_manager.h"

#include <absl/strings/escaping.h>
#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <mutex>
#include <thread>
#include <vector>

#include "modal/errors.h"

namespace modal::internal {
namespace {

using std::chrono::seconds;
using Clock = std::chrono::system_clock;

std::string jwt_expiring_at(Clock::time_point exp) {
  auto secs = std::chrono::duration_cast<seconds>(exp.time_since_epoch()).count();
  return "eyJhbGciOiJIUzI1NiJ9." +
         absl::WebSafeBase64Escape("{\"exp\":" + std::to_string(secs) + "}") + ".sig";
}

struct Harness {
  std::mutex mu;
  Clock::time_point now = Clock::time_point(seconds(1'800'000'000));
  std::atomic<int> fetches{0};
  std::function<grpc::Status(bool, std::string*)> behaviour;
  std::vector<std::pair<spdlog::level::level_enum, std::string>> logs{};

  AuthTokenManager make() {
    auto logger = std::make_shared<spdlog::logger>("test");
    logger->set_level(spdlog::level::debug);
    return AuthTokenManager(
        [this](bool have, std::string* token) {
          ++fetches;
          return behaviour(have, token);
        },
        [this] {
          std::lock_guard lock(mu);
          return now;
        },
        logger, std::make_shared<Redactor>());
  }
  void advance(Clock::duration d) {
    std::lock_guard lock(mu);
    now += d;
  }
  // Issues tokens valid for `lifetime` from the current fake time.
  void issue_for(seconds lifetime) {
    behaviour = [this, lifetime](bool, std::string* token) {
      std::lock_guard lock(mu);
      *token = jwt_expiring_at(now + lifetime);
      return grpc::Status::OK;
    };
  }
};

TEST(AuthTokenManagerTest, FetchesOnceAndCaches) {
  Harness h;
  h.issue_for(seconds(3600));
  auto m = h.make();
  auto t1 = m.get();
  auto t2 = m.get();
  EXPECT_EQ(t1, t2);
  EXPECT_EQ(h.fetches.load(), 1);
}

TEST(AuthTokenManagerTest, RefreshesBetween50And60PercentOfLifetime) {
  Harness h;
  h.issue_for(seconds(1000));
  auto m = h.make();
  m.get();
  h.advance(seconds(499));
  m.get();
  EXPECT_EQ(h.fetches.load(), 1) << "no refresh before 50% of the lifetime";
  h.advance(seconds(102));  // 601 s: past 60%
  m.get();
  EXPECT_EQ(h.fetches.load(), 2);
}

TEST(AuthTokenManagerTest, ExpiredTokenIsReplaced) {
  Harness h;
  h.issue_for(seconds(10));
  auto m = h.make();
  auto first = m.get();
  h.advance(seconds(11));
  auto second = m.get();
  EXPECT_NE(first, second);
  EXPECT_EQ(h.fetches.load(), 2);
}

TEST(AuthTokenManagerTest, ConcurrentCallersShareOneFetch) {
  Harness h;
  std::latch release(1);
  h.behaviour = [&](bool, std::string* token) {
    release.wait();
    *token = jwt_expiring_at(Clock::time_point(seconds(1'800'003'600)));
    return grpc::Status::OK;
  };
  auto m = h.make();
  std::vector<std::thread> threads;
  std::vector<std::string> results(16);
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&, i] { results[i] = m.get(); });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  release.count_down();
  for (auto& t : threads) t.join();
  EXPECT_EQ(h.fetches.load(), 1);
  for (auto const& r : results) EXPECT_EQ(r, results[0]);
}

TEST(AuthTokenManagerTest, FailedFetchWithoutTokenThrowsMappedError) {
  Harness h;
  h.behaviour = [](bool have, std::string*) {
    EXPECT_FALSE(have);
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "down");
  };
  auto m = h.make();
  EXPECT_THROW(m.get(), ConnectionError);
}

TEST(AuthTokenManagerTest, AuthFailureIsNeverPaperedOver) {
  Harness h;
  h.issue_for(seconds(10));
  auto m = h.make();
  m.get();
  h.advance(seconds(11));
  h.behaviour = [](bool have, std::string*) {
    EXPECT_TRUE(have);
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "bad token");
  };
  EXPECT_THROW(m.get(), AuthError);
}

TEST(AuthTokenManagerTest, TransientFailureFallsBackToExpiredTokenWithCooldown) {
  Harness h;
  h.issue_for(seconds(10));
  auto m = h.make();
  auto original = m.get();
  h.advance(seconds(11));
  h.behaviour = [](bool, std::string*) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "down");
  };
  EXPECT_EQ(m.get(), original);
  EXPECT_EQ(h.fetches.load(), 2);
  EXPECT_EQ(m.get(), original) << "cooling down: no new fetch";
  EXPECT_EQ(h.fetches.load(), 2);
  h.advance(std::chrono::milliseconds(600));  // the 500 ms cooldown is over
  h.issue_for(seconds(10));
  EXPECT_NE(m.get(), original);
  EXPECT_EQ(h.fetches.load(), 3);
}

TEST(AuthTokenManagerTest, ProactiveRefreshFailureKeepsCurrentToken) {
  Harness h;
  h.issue_for(seconds(100));
  auto m = h.make();
  auto original = m.get();
  h.advance(seconds(70));
  h.behaviour = [](bool, std::string*) { return grpc::Status(grpc::StatusCode::INTERNAL, "oops"); };
  EXPECT_EQ(m.get(), original);
  EXPECT_EQ(h.fetches.load(), 2);
}

TEST(AuthTokenManagerTest, TokenWithoutExpIsValidFor20Minutes) {
  Harness h;
  h.behaviour = [](bool, std::string* token) {
    *token = "not-a-jwt";
    return grpc::Status::OK;
  };
  auto m = h.make();
  m.get();
  h.advance(std::chrono::minutes(9));  // below 50% of 20 minutes
  m.get();
  EXPECT_EQ(h.fetches.load(), 1);
  h.advance(std::chrono::minutes(12));
  m.get();
  EXPECT_EQ(h.fetches.load(), 2);
}

TEST(AuthTokenManagerTest, EmptyTokenIsAnError) {
  Harness h;
  h.behaviour = [](bool, std::string* token) {
    token->clear();
    return grpc::Status::OK;
  };
  auto m = h.make();
  EXPECT_THROW(m.get(), InternalFailure);
}

}  // namespace
}  // namespace modal::internal
