// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// The retry engine (run_call) with a fake CallTarget and virtual time.
#include "internal/retry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "fakes.h"
#include "modal/errors.h"
#include "modal_proto/api.pb.h"

namespace modal::internal {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAre;
using testing::FakeTarget;

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

grpc::Status unavailable() { return grpc::Status(grpc::StatusCode::UNAVAILABLE, "down"); }

RetryPolicy control(RetryOptions o = {}, std::optional<milliseconds> max_throttle_wait = {}) {
  return RetryPolicy::control_plane(o, max_throttle_wait);
}

std::vector<milliseconds> sleeps_ms(FakeTarget& t) {
  std::vector<milliseconds> out;
  for (auto d : t.fake_timer().sleeps()) out.push_back(std::chrono::duration_cast<milliseconds>(d));
  return out;
}

TEST(RetryPolicyTest, ControlPlaneBackoffDoublesFrom100msAndCapsAt1s) {
  auto p = control();
  EXPECT_EQ(p.delay(0), milliseconds(100));
  EXPECT_EQ(p.delay(1), milliseconds(200));
  EXPECT_EQ(p.delay(2), milliseconds(400));
  EXPECT_EQ(p.delay(3), milliseconds(800));
  EXPECT_EQ(p.delay(4), milliseconds(1000));
  EXPECT_EQ(p.delay(40), milliseconds(1000));
  EXPECT_EQ(p.max_retries, 3);
}

TEST(RetryPolicyTest, RouterBackoffIs10msDoublingUncappedFor10Retries) {
  auto p = RetryPolicy::router();
  EXPECT_EQ(p.max_retries, 10);
  EXPECT_EQ(p.delay(0), milliseconds(10));
  EXPECT_EQ(p.delay(9), milliseconds(5120));
  EXPECT_FALSE(p.idempotency);
  EXPECT_FALSE(p.throttling);
}

TEST(RetryPolicyTest, RetryableCodes) {
  for (auto c :
       {grpc::StatusCode::DEADLINE_EXCEEDED, grpc::StatusCode::UNAVAILABLE,
        grpc::StatusCode::CANCELLED, grpc::StatusCode::INTERNAL, grpc::StatusCode::UNKNOWN}) {
    EXPECT_TRUE(is_retryable(c)) << c;
  }
  for (auto c : {grpc::StatusCode::NOT_FOUND, grpc::StatusCode::INVALID_ARGUMENT,
                 grpc::StatusCode::UNAUTHENTICATED, grpc::StatusCode::RESOURCE_EXHAUSTED,
                 grpc::StatusCode::ALREADY_EXISTS, grpc::StatusCode::FAILED_PRECONDITION}) {
    EXPECT_FALSE(is_retryable(c)) << c;
  }
}

TEST(RetryTest, TransientFailuresAreRetriedWithOneIdempotencyKey) {
  FakeTarget t;
  int calls = 0;
  auto status = run_call(t, "X", control(), {},
                         [&](Attempt&) { return ++calls < 3 ? unavailable() : grpc::Status::OK; });
  EXPECT_TRUE(status.ok());
  auto seen = t.prepared();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].metadata.idempotency_key.size(), 36u);
  EXPECT_EQ(seen[1].metadata.idempotency_key, seen[0].metadata.idempotency_key);
  EXPECT_EQ(seen[2].metadata.idempotency_key, seen[0].metadata.idempotency_key);
  EXPECT_EQ(seen[0].metadata.retry_attempt, 0);
  EXPECT_EQ(seen[2].metadata.retry_attempt, 2);
  EXPECT_FALSE(seen[0].metadata.retry_delay.has_value());
  EXPECT_EQ(seen[1].metadata.retry_delay, "0.100");
  EXPECT_EQ(seen[2].metadata.retry_delay, "0.300");
  EXPECT_FALSE(seen[2].metadata.throttle_retry_delay.has_value());
  EXPECT_THAT(sleeps_ms(t), ElementsAre(milliseconds(100), milliseconds(200)));
  auto observed = t.observed();
  ASSERT_EQ(observed.size(), 3u);
  EXPECT_EQ(observed[0].attempt, 0);
  EXPECT_EQ(observed[2].attempt, 2);
  EXPECT_EQ(observed[0].code, grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(observed[2].code, grpc::StatusCode::OK);
}

TEST(RetryTest, RouterPolicySendsNoIdempotencyKey) {
  FakeTarget t;
  run_call(t, "X", RetryPolicy::router(), {}, [&](Attempt&) { return grpc::Status::OK; });
  ASSERT_EQ(t.prepared().size(), 1u);
  EXPECT_TRUE(t.prepared()[0].metadata.idempotency_key.empty());
}

TEST(RetryTest, GivesUpAfterMaxRetries) {
  FakeTarget t;
  int calls = 0;
  auto status = run_call(t, "X", control(), {}, [&](Attempt&) {
    ++calls;
    return grpc::Status(grpc::StatusCode::INTERNAL, "boom");
  });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(calls, 4);  // 1 + 3 retries
  EXPECT_THAT(sleeps_ms(t), ElementsAre(milliseconds(100), milliseconds(200), milliseconds(400)));
}

TEST(RetryTest, NonRetryableCodesFailImmediately) {
  FakeTarget t;
  int calls = 0;
  auto status = run_call(t, "X", control(), {}, [&](Attempt&) {
    ++calls;
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "nope");
  });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(t.fake_timer().sleeps().empty());
}

TEST(RetryTest, CustomRetryablePredicate) {
  FakeTarget t;
  auto p = RetryPolicy::router();
  p.retryable = [](grpc::Status const& s) { return s.error_code() == grpc::StatusCode::ABORTED; };
  int calls = 0;
  auto status = run_call(t, "X", p, {}, [&](Attempt&) {
    return ++calls < 3 ? grpc::Status(grpc::StatusCode::ABORTED, "again") : unavailable();
  });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(calls, 3);
}

TEST(RetryTest, ServerDirectedRetriesDoNotConsumeTheBudget) {
  FakeTarget t;
  RetryOptions o;
  o.max_retries = 0;  // no transient retries at all
  int calls = 0;
  auto status = run_call(t, "X", control(o), {}, [&](Attempt&) {
    return ++calls <= 5 ? throttled(0.25) : grpc::Status::OK;
  });
  EXPECT_TRUE(status.ok());
  auto seen = t.prepared();
  ASSERT_EQ(seen.size(), 6u);
  EXPECT_EQ(seen[5].metadata.retry_attempt, 0);
  EXPECT_EQ(seen[5].metadata.throttle_retry_attempt, 5);
  EXPECT_EQ(seen[5].metadata.throttle_retry_delay, "1.250");
  EXPECT_FALSE(seen[5].metadata.retry_delay.has_value());
  ASSERT_EQ(t.fake_timer().sleeps().size(), 5u);
  EXPECT_EQ(sleeps_ms(t)[0], milliseconds(250));
}

TEST(RetryTest, ServerDelayHasA100msFloor) {
  FakeTarget t;
  int calls = 0;
  run_call(t, "X", control(), {},
           [&](Attempt&) { return ++calls == 1 ? throttled(0.0) : grpc::Status::OK; });
  EXPECT_THAT(sleeps_ms(t), ElementsAre(milliseconds(100)));
}

TEST(RetryTest, MaxThrottleWaitBoundsServerDirectedRetries) {
  FakeTarget t;
  int calls = 0;
  auto status = run_call(t, "X", control({}, milliseconds(2000)), {}, [&](Attempt&) {
    ++calls;
    return throttled(0.5);
  });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // Sleeps at 0, 0.5, 1.0; at 1.5 s elapsed another 0.5 s would reach the 2 s cap.
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(t.fake_timer().sleeps().size(), 3u);
}

TEST(RetryTest, ZeroMaxThrottleWaitDisablesServerDirectedRetries) {
  FakeTarget t;
  int calls = 0;
  auto status = run_call(t, "X", control({}, milliseconds(0)), {}, [&](Attempt&) {
    ++calls;
    return throttled(0.5);
  });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(calls, 1);  // RESOURCE_EXHAUSTED itself is not retryable
}

TEST(RetryTest, CustomRetryOptions) {
  FakeTarget t;
  RetryOptions o;
  o.max_retries = 5;
  o.initial_delay = milliseconds(10);
  o.delay_factor = 3;
  o.max_delay = milliseconds(200);
  int calls = 0;
  run_call(t, "X", control(o), {}, [&](Attempt&) {
    ++calls;
    return unavailable();
  });
  EXPECT_EQ(calls, 6);
  EXPECT_THAT(sleeps_ms(t), ElementsAre(milliseconds(10), milliseconds(30), milliseconds(90),
                                        milliseconds(200), milliseconds(200)));
}

TEST(RetryTest, UnauthenticatedRefreshesTheCredentialOnceAndRetriesAtOnce) {
  FakeTarget t;
  int calls = 0;
  auto status = run_call(t, "X", RetryPolicy::router(), {}, [&](Attempt&) {
    return ++calls == 1 ? grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "expired")
                        : grpc::Status::OK;
  });
  EXPECT_TRUE(status.ok());
  EXPECT_THAT(t.refreshes(), ElementsAre(1u));
  auto seen = t.prepared();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].generation, 2u);  // the retry used the refreshed credential
  EXPECT_TRUE(t.fake_timer().sleeps().empty());
}

TEST(RetryTest, SecondUnauthenticatedInARowIsReturned) {
  FakeTarget t;
  int calls = 0;
  auto status = run_call(t, "X", RetryPolicy::router(), {}, [&](Attempt&) {
    ++calls;
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "bad");
  });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(calls, 2);
}

TEST(RetryTest, UnauthenticatedWithoutRefreshableCredentialIsReturned) {
  FakeTarget t;
  t.set_refreshable(false);
  int calls = 0;
  auto status = run_call(t, "X", control(), {}, [&](Attempt&) {
    ++calls;
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "bad");
  });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(calls, 1);
}

TEST(RetryTest, AuthRetryIsAllowedAgainAfterAnotherFailure) {
  FakeTarget t;
  std::vector<grpc::Status> script = {
      grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "a"), unavailable(),
      grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "b"), grpc::Status::OK};
  std::size_t i = 0;
  auto status = run_call(t, "X", RetryPolicy::router(), {}, [&](Attempt&) { return script[i++]; });
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(t.refreshes().size(), 2u);
}

TEST(RetryTest, AgainReissuesWithoutCountingARetryOrSleeping) {
  FakeTarget t;
  auto p = RetryPolicy::router();
  p.max_retries = 0;
  int calls = 0;
  auto status = run_call(t, "X", p, {}, [&](Attempt& a) {
    if (++calls < 5) {
      a.again();
      return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "long poll over");
    }
    return grpc::Status::OK;
  });
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(calls, 5);
  EXPECT_TRUE(t.fake_timer().sleeps().empty());
}

TEST(RetryTest, ProgressRestartsTheRetryBudgetAndBackoff) {
  FakeTarget t;
  auto p = RetryPolicy::router();
  p.max_retries = 2;
  int calls = 0;
  auto status = run_call(t, "X", p, {}, [&](Attempt& a) {
    ++calls;
    a.progress();  // each attempt delivers something before it breaks
    return calls < 9 ? unavailable() : grpc::Status::OK;
  });
  EXPECT_TRUE(status.ok());  // 8 breaks in all, more than max_retries, never 3 in a row
  EXPECT_EQ(t.fake_timer().sleeps().size(), 8u);
  for (auto d : sleeps_ms(t)) EXPECT_EQ(d, milliseconds(10));
}

TEST(RetryTest, DeadlineBoundsAttemptsAndBackoff) {
  FakeTarget t;
  auto const deadline = t.fake_timer().now() + milliseconds(25);
  int calls = 0;
  auto status = run_call(t, "X", RetryPolicy::router(), {.deadline = deadline}, [&](Attempt& a) {
    ++calls;
    EXPECT_NE(a.context().deadline(), std::chrono::system_clock::time_point::max());
    return unavailable();
  });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(status.error_message(), "Timeout expired");
  // 10 ms, 20 ms cut to the 15 ms left: the third attempt fails at the deadline.
  EXPECT_THAT(sleeps_ms(t), ElementsAre(milliseconds(10), milliseconds(15)));
  EXPECT_EQ(calls, 3);
}

TEST(RetryTest, CancelledScopeThrowsClientClosedErrorWithItsReason) {
  FakeTarget t;
  auto status_or_throw = [&] {
    run_call(t, "SandboxWait", control(), {}, [&](Attempt&) {
      t.mutable_scope().cancel();  // close() while the call is in flight
      return grpc::Status(grpc::StatusCode::CANCELLED, "Cancelled");
    });
  };
  try {
    status_or_throw();
    FAIL() << "expected ClientClosedError";
  } catch (ClientClosedError const& e) {
    EXPECT_STREQ(e.what(), "fake client closed");
    EXPECT_EQ(e.rpc_method(), "SandboxWait");
  }
  // Later calls fail before sending anything.
  int calls = 0;
  EXPECT_THROW(run_call(t, "X", control(), {},
                        [&](Attempt&) {
                          ++calls;
                          return grpc::Status::OK;
                        }),
               ClientClosedError);
  EXPECT_EQ(calls, 0);
}

TEST(RetryTest, ChildScopeReportsTheReasonOfWhoCancelledFirst) {
  auto root = CancelScope::root("client closed");
  auto a = root->child("sandbox detached");
  auto b = root->child("sandbox detached");
  a->cancel();
  EXPECT_TRUE(a->cancelled());
  EXPECT_FALSE(root->cancelled());
  EXPECT_EQ(a->reason(), "sandbox detached");
  root->cancel();
  EXPECT_TRUE(b->cancelled());
  EXPECT_EQ(b->reason(), "client closed");
  EXPECT_EQ(a->reason(), "sandbox detached");
  auto late = root->child("x");
  EXPECT_TRUE(late->cancelled());  // a child of a cancelled scope starts cancelled
}

TEST(RetryTest, CancellingTheScopeWakesABackoffSleep) {
  FakeTarget t;
  t.fake_timer().set_blocking(true);
  std::thread closer([&] {
    t.fake_timer().await_blocked_sleep();
    t.mutable_scope().cancel();
  });
  EXPECT_THROW(run_call(t, "X", control(), {}, [&](Attempt&) { return unavailable(); }),
               ClientClosedError);
  closer.join();
}

TEST(RetryTest, StopTokenEndsTheCallWithCancelledError) {
  FakeTarget t;
  t.fake_timer().set_blocking(true);
  std::stop_source stop;
  std::thread stopper([&] {
    t.fake_timer().await_blocked_sleep();
    stop.request_stop();
  });
  EXPECT_THROW(run_call(t, "X", control(), {.stop = stop.get_token()},
                        [&](Attempt&) { return unavailable(); }),
               CancelledError);
  stopper.join();
}

}  // namespace
}  // namespace modal::internal
