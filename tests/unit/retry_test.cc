// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "internal/retry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "modal_proto/api.pb.h"

namespace modal::internal {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAre;

// A clock that only moves when the fake sleeper sleeps.
struct FakeTime {
  std::chrono::steady_clock::time_point now{};
  std::vector<milliseconds> sleeps;

  RetryEnvironment env(RetryOptions options = {},
                       std::optional<milliseconds> max_throttle_wait = std::nullopt) {
    RetryEnvironment e;
    e.options = options;
    e.max_throttle_wait = max_throttle_wait;
    e.now = [this] { return now; };
    e.sleep = [this](std::chrono::nanoseconds d) {
      sleeps.push_back(std::chrono::duration_cast<milliseconds>(d));
      now += d;
    };
    return e;
  }
};

grpc::Status throttled(double retry_after_secs) {
  modal::client::RPCRetryPolicy policy;
  policy.set_retry_after_secs(static_cast<float>(retry_after_secs));
  modal::client::RPCStatus details;
  details.set_code(grpc::StatusCode::RESOURCE_EXHAUSTED);
  details.set_message("slow down");
  details.add_details()->PackFrom(policy);
  return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "slow down",
                      details.SerializeAsString());
}

TEST(RetryTest, BackoffDoublesFrom100msAndCapsAt1s) {
  RetryOptions o;
  EXPECT_EQ(backoff_delay(o, 0), milliseconds(100));
  EXPECT_EQ(backoff_delay(o, 1), milliseconds(200));
  EXPECT_EQ(backoff_delay(o, 2), milliseconds(400));
  EXPECT_EQ(backoff_delay(o, 3), milliseconds(800));
  EXPECT_EQ(backoff_delay(o, 4), milliseconds(1000));
  EXPECT_EQ(backoff_delay(o, 40), milliseconds(1000));
}

TEST(RetryTest, RetryableCodes) {
  for (auto c : {grpc::StatusCode::DEADLINE_EXCEEDED, grpc::StatusCode::UNAVAILABLE,
                 grpc::StatusCode::CANCELLED, grpc::StatusCode::INTERNAL,
                 grpc::StatusCode::UNKNOWN}) {
    EXPECT_TRUE(is_retryable(c)) << c;
  }
  for (auto c : {grpc::StatusCode::NOT_FOUND, grpc::StatusCode::INVALID_ARGUMENT,
                 grpc::StatusCode::UNAUTHENTICATED, grpc::StatusCode::RESOURCE_EXHAUSTED,
                 grpc::StatusCode::ALREADY_EXISTS, grpc::StatusCode::FAILED_PRECONDITION}) {
    EXPECT_FALSE(is_retryable(c)) << c;
  }
}

TEST(RetryTest, TransientFailuresAreRetriedWithOneIdempotencyKey) {
  FakeTime t;
  std::vector<AttemptMetadata> seen;
  auto status = run_with_retries(t.env(), "X", [&](AttemptMetadata const& md) {
    seen.push_back(md);
    return seen.size() < 3 ? grpc::Status(grpc::StatusCode::UNAVAILABLE, "down")
                           : grpc::Status::OK;
  });
  EXPECT_TRUE(status.ok());
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].idempotency_key.size(), 36u);
  EXPECT_EQ(seen[1].idempotency_key, seen[0].idempotency_key);
  EXPECT_EQ(seen[2].idempotency_key, seen[0].idempotency_key);
  EXPECT_EQ(seen[0].retry_attempt, 0);
  EXPECT_EQ(seen[2].retry_attempt, 2);
  EXPECT_FALSE(seen[0].retry_delay.has_value());
  EXPECT_EQ(seen[1].retry_delay, "0.100");
  EXPECT_EQ(seen[2].retry_delay, "0.300");
  EXPECT_FALSE(seen[2].throttle_retry_delay.has_value());
  EXPECT_THAT(t.sleeps, ElementsAre(milliseconds(100), milliseconds(200)));
}

TEST(RetryTest, GivesUpAfterMaxRetries) {
  FakeTime t;
  int calls = 0;
  auto status = run_with_retries(t.env(), "X", [&](AttemptMetadata const&) {
    ++calls;
    return grpc::Status(grpc::StatusCode::INTERNAL, "boom");
  });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(calls, 4);  // 1 + 3 retries
  EXPECT_THAT(t.sleeps, ElementsAre(milliseconds(100), milliseconds(200), milliseconds(400)));
}

TEST(RetryTest, NonRetryableCodesFailImmediately) {
  FakeTime t;
  int calls = 0;
  auto status = run_with_retries(t.env(), "X", [&](AttemptMetadata const&) {
    ++calls;
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "nope");
  });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(t.sleeps.empty());
}

TEST(RetryTest, ServerDirectedRetriesDoNotConsumeTheBudget) {
  FakeTime t;
  std::vector<AttemptMetadata> seen;
  RetryOptions o;
  o.max_retries = 0;  // no transient retries at all
  auto status = run_with_retries(t.env(o), "X", [&](AttemptMetadata const& md) {
    seen.push_back(md);
    return seen.size() <= 5 ? throttled(0.25) : grpc::Status::OK;
  });
  EXPECT_TRUE(status.ok());
  ASSERT_EQ(seen.size(), 6u);
  EXPECT_EQ(seen[5].retry_attempt, 0);
  EXPECT_EQ(seen[5].throttle_retry_attempt, 5);
  EXPECT_EQ(seen[5].throttle_retry_delay, "1.250");
  EXPECT_FALSE(seen[5].retry_delay.has_value());
  EXPECT_EQ(t.sleeps.size(), 5u);
  EXPECT_EQ(t.sleeps[0], milliseconds(250));
}

TEST(RetryTest, ServerDelayHasA100msFloor) {
  FakeTime t;
  int calls = 0;
  run_with_retries(t.env(), "X", [&](AttemptMetadata const&) {
    return ++calls == 1 ? throttled(0.0) : grpc::Status::OK;
  });
  EXPECT_THAT(t.sleeps, ElementsAre(milliseconds(100)));
}

TEST(RetryTest, MaxThrottleWaitBoundsServerDirectedRetries) {
  FakeTime t;
  int calls = 0;
  auto status = run_with_retries(t.env({}, milliseconds(2000)), "X", [&](AttemptMetadata const&) {
    ++calls;
    return throttled(0.5);
  });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // Sleeps at 0, 0.5, 1.0; at 1.5 s elapsed another 0.5 s would reach the 2 s cap.
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(t.sleeps.size(), 3u);
}

TEST(RetryTest, ZeroMaxThrottleWaitDisablesServerDirectedRetries) {
  FakeTime t;
  int calls = 0;
  auto status = run_with_retries(t.env({}, milliseconds(0)), "X", [&](AttemptMetadata const&) {
    ++calls;
    return throttled(0.5);
  });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(calls, 1);  // RESOURCE_EXHAUSTED itself is not retryable
}

TEST(RetryTest, CustomRetryOptions) {
  FakeTime t;
  RetryOptions o;
  o.max_retries = 5;
  o.initial_delay = milliseconds(10);
  o.delay_factor = 3;
  o.max_delay = milliseconds(200);
  int calls = 0;
  run_with_retries(t.env(o), "X", [&](AttemptMetadata const&) {
    ++calls;
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "down");
  });
  EXPECT_EQ(calls, 6);
  EXPECT_THAT(t.sleeps, ElementsAre(milliseconds(10), milliseconds(30), milliseconds(90),
                                    milliseconds(200), milliseconds(200)));
}

}  // namespace
}  // namespace modal::internal
