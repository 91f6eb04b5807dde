// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// modal::Queue against the emulator: every method, partitions, timeouts, iteration,
// ephemeral Queues, and many producers and consumers on one Queue.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "fixture.h"
#include "modal_proto/api.grpc.pb.h"
#include "raw_control.h"

namespace modal::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class QueueTest : public EmulatorTest {
 protected:
  Queue named(std::string const& name) {
    return client().queues().from_name(name, {.create_if_missing = true});
  }
};

TEST_F(QueueTest, PutThenGetRoundTripsValuesInOrder) {
  auto q = named("q-roundtrip");
  Value dict = {{"a", 1},
                {"b", Value::list({1, 2.5, "x", Value::bytes(std::string("\x00\xff", 2))})}};
  q.put(dict);
  q.put_many({nullptr, true, -7, Value::big_int("123456789012345678901234567890"), "s"});
  EXPECT_EQ(q.len(), 6);
  EXPECT_EQ(q.get(), dict);
  auto rest = q.get_many(10);
  ASSERT_EQ(rest.size(), 5u);
  EXPECT_TRUE(rest[0].is_null());
  EXPECT_EQ(rest[3].as_big_int(), "123456789012345678901234567890");
  EXPECT_EQ(rest[4].as_string(), "s");
  EXPECT_EQ(q.len(), 0);
}

TEST_F(QueueTest, FromNameOfAMissingQueueIsNotFound) {
  EXPECT_THROW(client().queues().from_name("q-missing"), NotFoundError);
}

TEST_F(QueueTest, GetWithATimeoutOnAnEmptyQueueIsQueueEmptyError) {
  auto q = named("q-empty");
  auto const start = std::chrono::steady_clock::now();
  try {
    q.get({.timeout = 300ms});
    FAIL() << "expected QueueEmptyError";
  } catch (QueueEmptyError const& e) {
    EXPECT_THAT(e.what(), HasSubstr(q.queue_id()));
  }
  EXPECT_GE(std::chrono::steady_clock::now() - start, 300ms);
  EXPECT_THROW(q.get({.timeout = 0ms}), QueueEmptyError);
}

TEST_F(QueueTest, BlockedGetReturnsSoonAfterAPut) {
  auto q = named("q-blocked");
  std::thread producer([&] {
    std::this_thread::sleep_for(200ms);
    q.put("late");
  });
  auto const start = std::chrono::steady_clock::now();
  EXPECT_EQ(q.get({.timeout = 20s}).as_string(), "late");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  producer.join();
}

TEST_F(QueueTest, PartitionsAreSeparate) {
  auto q = named("q-partitions");
  q.put_many({"a", "b"}, {.partition = "p1"});
  q.put("c", {.partition = "p2"});
  EXPECT_EQ(q.len({.partition = "p1"}), 2);
  EXPECT_EQ(q.len(), 0);
  EXPECT_EQ(q.len({.total = true}), 3);
  EXPECT_EQ(q.get({.partition = "p2"}).as_string(), "c");
  q.clear({.partition = "p1"});
  EXPECT_EQ(q.len({.total = true}), 0);
}

TEST_F(QueueTest, BadArgumentsFailBeforeSending) {
  auto q = named("q-bad");
  emu().clear_received_calls();
  EXPECT_THROW(q.put(1, {.partition = std::string(65, 'x')}), InvalidError);
  EXPECT_THROW(q.put(1, {.partition_ttl = 0s}), InvalidError);
  EXPECT_THROW(q.get({.timeout = -1ms}), InvalidError);
  EXPECT_THROW(q.get_many(0), InvalidError);
  EXPECT_THROW(q.len({.partition = "p", .total = true}), InvalidError);
  EXPECT_THROW(q.clear({.partition = "p", .all = true}), InvalidError);
  EXPECT_THROW(q.close_ephemeral(), InvalidError);
  EXPECT_TRUE(emu().received_calls().empty());
}

TEST_F(QueueTest, IterateDoesNotConsume) {
  auto q = named("q-iterate");
  q.put_many({1, 2, 3});
  std::vector<std::int64_t> seen;
  for (Value const& v : q.iterate()) seen.push_back(v.as_int());
  EXPECT_THAT(seen, ElementsAre(1, 2, 3));
  EXPECT_EQ(q.len(), 3);
}

TEST_F(QueueTest, IterateWaitsForItemsWithinItsPollTimeout) {
  auto q = named("q-iterate-wait");
  q.put(1);
  std::thread producer([&] {
    std::this_thread::sleep_for(300ms);
    q.put(2);
  });
  std::vector<std::int64_t> seen;
  for (Value const& v : q.iterate({.item_poll_timeout = 3s})) {
    seen.push_back(v.as_int());
    if (seen.size() == 2) break;
  }
  producer.join();
  EXPECT_THAT(seen, ElementsAre(1, 2));
}

TEST_F(QueueTest, RemoveDeletesTheQueue) {
  auto q = named("q-remove");
  client().queues().remove("q-remove");
  EXPECT_THROW(client().queues().from_name("q-remove"), NotFoundError);
  EXPECT_THROW(client().queues().remove("q-remove"), NotFoundError);
  EXPECT_NO_THROW(client().queues().remove("q-remove", {.allow_missing = true}));
}

TEST_F(QueueTest, EphemeralQueueWorksAndRefusesNothingAfterClose) {
  auto q = client().queues().ephemeral();
  EXPECT_TRUE(q.is_ephemeral());
  EXPECT_EQ(q.name(), "");
  q.put("x");
  EXPECT_EQ(q.get().as_string(), "x");
  q.close_ephemeral();
  q.close_ephemeral();  // idempotent
}

/// An emulator that deletes ephemeral objects 600 ms after their last heartbeat.
class EphemeralQueueTest : public QueueTest {
 protected:
  emulator::EmulatorOptions emulator_options() override {
    emulator::EmulatorOptions o;
    o.ephemeral_timeout = 600ms;
    return o;
  }
  /// QueueLen of `queue_id` over plain gRPC (no handle, so no heartbeat).
  grpc::StatusCode raw_len(std::string const& queue_id) {
    RawControl raw(emu());
    modal::client::QueueLenRequest req;
    req.set_queue_id(queue_id);
    modal::client::QueueLenResponse resp;
    return raw->QueueLen(raw.context().get(), req, &resp).error_code();
  }
};

TEST_F(EphemeralQueueTest, HeartbeatsKeepItAliveUntilClosedOrReleased) {
  std::atomic<int> beats{0};
  auto options = client_options();
  options.heartbeat_interval = 150ms;
  options.call_observer = [&](CallInfo const& call) {
    if (call.method.find("QueueHeartbeat") != std::string_view::npos &&
        call.code == StatusCode::kOk) {
      ++beats;
    }
  };
  Client c(options);
  auto q = c.queues().ephemeral();
  auto released = c.queues().ephemeral();
  std::string const released_id = released.queue_id();
  released.put(1);
  released = Queue(q);  // the last handle of the second Queue goes: its beats stop
  q.put("kept");
  std::this_thread::sleep_for(2s);  // more than three timeouts
  EXPECT_GE(beats.load(), 8);       // ~13 beats of one Queue in 2 s
  EXPECT_EQ(q.len(), 1);            // still there: its heartbeats kept it
  EXPECT_EQ(q.get().as_string(), "kept");
  // The released Queue expired: the server no longer knows its id.
  EXPECT_EQ(raw_len(released_id), grpc::StatusCode::NOT_FOUND);

  q.close_ephemeral();
  int const at_close = beats.load();
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(beats.load(), at_close);  // no beat after close_ephemeral() returned
  EXPECT_THROW(q.len(), NotFoundError);
}

TEST_F(EphemeralQueueTest, WithoutHeartbeatsItExpires) {
  auto options = client_options();
  options.heartbeat_interval = std::chrono::hours(1);
  Client c(options);
  auto q = c.queues().ephemeral();
  q.put(1);
  std::this_thread::sleep_for(1500ms);
  EXPECT_THROW(q.len(), NotFoundError);
}

TEST_F(QueueTest, HeartbeatIntervalMustBePositive) {
  auto options = client_options();
  options.heartbeat_interval = 0ms;
  EXPECT_THROW(Client{options}, InvalidError);
}

TEST_F(QueueTest, StopTokenEndsABlockedGet) {
  auto q = named("q-stop");
  std::stop_source stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(200ms);
    stop.request_stop();
  });
  EXPECT_THROW(q.get({.stop = stop.get_token()}), CancelledError);
  stopper.join();
}

TEST_F(QueueTest, EightProducersAndEightConsumersDeliverEveryItemExactlyOnce) {
  constexpr int kProducers = 8;
  constexpr int kConsumers = 8;
  constexpr int kItems = 100'000;
  constexpr int kBatch = 100;
  auto q = named("q-many");
  std::vector<std::atomic<int>> seen(kItems);
  std::atomic<int> received{0};
  std::vector<std::thread> threads;
  threads.reserve(kProducers + kConsumers);
  for (int p = 0; p < kProducers; ++p) {
    threads.emplace_back([&, p] {
      for (int i = p * kBatch; i < kItems; i += kProducers * kBatch) {
        std::vector<Value> batch;
        for (int j = i; j < i + kBatch && j < kItems; ++j) batch.emplace_back(j);
        q.put_many(batch);
      }
    });
  }
  for (int c = 0; c < kConsumers; ++c) {
    threads.emplace_back([&] {
      while (received.load() < kItems) {
        std::vector<Value> got;
        try {
          got = q.get_many(kBatch, {.timeout = 500ms});
        } catch (QueueEmptyError const&) {
          continue;
        }
        for (auto const& v : got) seen[v.as_int()].fetch_add(1);
        received.fetch_add(static_cast<int>(got.size()));
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(received.load(), kItems);
  int wrong = 0;
  for (auto const& s : seen) wrong += s.load() != 1;
  EXPECT_EQ(wrong, 0);
}

}  // namespace
}  // namespace modal::testing
