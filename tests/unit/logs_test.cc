// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// The pure parts of Function logs (internal/logs.h): bucket sizes, refinement of dense
// ranges, fetch intervals, the fetch plan's limits, sources, timestamps and context ids.
#include "internal/logs.h"

#include <chrono>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "modal/errors.h"

namespace modal::internal::logs {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TimePoint at(std::int64_t secs) { return TimePoint(seconds(secs)); }

LogRange range(std::int64_t start, std::int64_t end, std::uint64_t count) {
  return {at(start), at(end), count};
}

TEST(LogsBuckets, PicksTheSmallestSizeGivingAtMostAHundredBuckets) {
  EXPECT_EQ(pick_bucket_size(at(0), at(0)), seconds(2));
  EXPECT_EQ(pick_bucket_size(at(0), at(200)), seconds(2));
  EXPECT_EQ(pick_bucket_size(at(0), at(201)), seconds(4));
  EXPECT_EQ(pick_bucket_size(at(0), at(3600)), seconds(60));  // 100 x 30 s < 1 h
  EXPECT_EQ(pick_bucket_size(at(0), at(std::int64_t{100} * 3600)), hours(1));
  EXPECT_EQ(pick_bucket_size(at(0), at(std::int64_t{35} * 24 * 3600)), hours(12));    // > 100 x 8 h
  EXPECT_EQ(pick_bucket_size(at(0), at(std::int64_t{1000} * 24 * 3600)), hours(24));  // the largest
  ASSERT_EQ(bucket_sizes().size(), 24u);
  EXPECT_EQ(bucket_sizes().front(), seconds(2));
  EXPECT_EQ(bucket_sizes().back(), hours(24));
}

TEST(LogsBuckets, NextSmallerSize) {
  EXPECT_EQ(next_smaller_bucket_size(hours(24)), hours(12));
  EXPECT_EQ(next_smaller_bucket_size(minutes(1)), seconds(30));
  EXPECT_EQ(next_smaller_bucket_size(seconds(3)), seconds(2));  // a clamped range
  EXPECT_EQ(next_smaller_bucket_size(seconds(2)), std::nullopt);
}

TEST(LogsBuckets, BucketsBecomeRangesOfTheBucketSize) {
  modal::client::AppCountLogsResponse resp;
  auto* b = resp.add_buckets();
  b->mutable_bucket_start_at()->set_seconds(100);
  b->set_stdout_logs(1);
  b->set_stderr_logs(2);
  b->set_system_logs(3);
  EXPECT_THAT(buckets_to_ranges(resp, seconds(20)), ElementsAre(range(100, 120, 6)));
}

TEST(LogsIntervals, MergeUntilTwoThousandAndCutAtEmptyBuckets) {
  EXPECT_THAT(build_intervals({range(0, 2, 5), range(2, 4, 7), range(4, 6, 0), range(6, 8, 1)}),
              ElementsAre(LogInterval{at(0), at(4)}, LogInterval{at(6), at(8)}));
  EXPECT_THAT(build_intervals({range(0, 2, 1500), range(2, 4, 600), range(4, 6, 10)}),
              ElementsAre(LogInterval{at(0), at(4)}, LogInterval{at(4), at(6)}));
  // Never over 20000: a range that would pass it starts a new interval.
  EXPECT_THAT(build_intervals({range(0, 2, 1999), range(2, 4, 19000)}),
              ElementsAre(LogInterval{at(0), at(2)}, LogInterval{at(2), at(4)}));
  EXPECT_TRUE(build_intervals({range(0, 2, 0)}).empty());
}

TEST(LogsRefinement, DenseRangesAreCountedAgainInSmallerBuckets) {
  std::vector<std::pair<std::int64_t, seconds>> asked;
  auto count = [&](TimePoint start, TimePoint end, Seconds bucket) {
    asked.emplace_back(std::chrono::duration_cast<seconds>(start.time_since_epoch()).count(),
                       bucket);
    std::vector<LogRange> out;
    for (auto t = start; t < end; t += bucket) out.push_back({t, t + bucket, 15'000});
    return out;
  };
  // 0..60 holds 30000 (> 20000): counted in 30 s buckets of 15000 each.
  auto refined = refine_dense_ranges({range(0, 60, 30'000), range(60, 120, 10)}, count);
  EXPECT_THAT(asked, ElementsAre(std::pair<std::int64_t, seconds>(0, seconds(30))));
  EXPECT_THAT(refined,
              ElementsAre(range(0, 30, 15'000), range(30, 60, 15'000), range(60, 120, 10)));
}

TEST(LogsRefinement, SubrangesAreClampedToTheirParent) {
  auto count = [](TimePoint, TimePoint, Seconds) {
    return std::vector<LogRange>{range(-10, 20, 5), range(20, 50, 5)};
  };
  EXPECT_THAT(refine_dense_ranges({range(0, 45, 30'000)}, count),
              ElementsAre(range(0, 20, 5), range(20, 45, 5)));
}

TEST(LogsRefinement, StopsAfterThreeRoundsOrWhenThePlanWouldBeTooLarge) {
  int calls = 0;
  auto always_dense = [&](TimePoint start, TimePoint end, Seconds bucket) {
    ++calls;
    std::vector<LogRange> out;
    for (auto t = start; t < end; t += bucket) {
      out.push_back({t, std::min(t + bucket, end), 50'000});
    }
    return out;
  };
  auto refined = refine_dense_ranges({range(0, 3600, 50'000)}, always_dense);
  EXPECT_EQ(calls, 1 + 2 + 4);  // 1 h -> 30 min -> 20 min -> 15 min (three rounds)
  // The third round split 20 min into 15 + 5 and 10 min into 6 + 4.
  EXPECT_EQ(refined.size(), 8u);

  calls = 0;
  // A limit of one range stops before a round that would produce two.
  refined = refine_dense_ranges({range(0, 3600, 50'000)}, always_dense, 1);
  EXPECT_EQ(calls, 0);
  EXPECT_THAT(refined, ElementsAre(range(0, 3600, 50'000)));
}

TEST(LogsPlan, CountsRefinesAndClamps) {
  std::vector<Seconds> sizes;
  auto count = [&](TimePoint, TimePoint, Seconds bucket) {
    sizes.push_back(bucket);
    // Aligned buckets starting before `since`, empty ones at both ends.
    return std::vector<LogRange>{range(0, 2, 0), range(2, 4, 3), range(4, 6, 0), range(6, 8, 4),
                                 range(8, 10, 0)};
  };
  auto plan = plan_fetch(at(3), at(7), count);
  EXPECT_THAT(sizes, ElementsAre(seconds(2)));
  EXPECT_THAT(plan, ElementsAre(LogInterval{at(3), at(4)}, LogInterval{at(6), at(7)}));
}

TEST(LogsPlan, NothingToFetchWhenEverythingIsEmpty) {
  int calls = 0;
  auto count = [&](TimePoint, TimePoint, Seconds) {
    ++calls;
    return std::vector<LogRange>{range(0, 2, 0)};
  };
  EXPECT_TRUE(plan_fetch(at(0), at(100), count).empty());
  EXPECT_EQ(calls, 1);
}

TEST(LogsPlan, TooManyLogsIsInvalid) {
  // A 2 s bucket cannot be refined: over 20000 entries in it is too many.
  auto dense = [](TimePoint start, TimePoint, Seconds bucket) {
    return std::vector<LogRange>{{start, start + bucket, 20'001}};
  };
  try {
    plan_fetch(at(0), at(2), dense);
    FAIL() << "no error";
  } catch (InvalidError const& e) {
    EXPECT_THAT(e.what(), HasSubstr("too many logs to fetch in time range"));
  }
  // Over 500 intervals (a server answering 600 buckets of 2000 entries each).
  auto many = [](TimePoint start, TimePoint, Seconds) {
    std::vector<LogRange> out;
    out.reserve(600);
    for (int i = 0; i < 600; ++i) {
      out.push_back({start + seconds(i), start + seconds(i + 1), 2'000});
    }
    return out;
  };
  EXPECT_THROW(plan_fetch(at(0), at(std::int64_t{6} * 3600), many), InvalidError);
}

TEST(LogsValidation, SourcesRangesAndEntries) {
  EXPECT_EQ(source_descriptor(""), modal::client::FILE_DESCRIPTOR_UNSPECIFIED);
  EXPECT_EQ(source_descriptor("stdout"), modal::client::FILE_DESCRIPTOR_STDOUT);
  EXPECT_EQ(source_descriptor("stderr"), modal::client::FILE_DESCRIPTOR_STDERR);
  EXPECT_EQ(source_descriptor("system"), modal::client::FILE_DESCRIPTOR_INFO);
  EXPECT_THROW(source_descriptor("STDOUT"), InvalidError);
  EXPECT_EQ(source_name(modal::client::FILE_DESCRIPTOR_STDERR), "stderr");
  EXPECT_EQ(source_name(modal::client::FILE_DESCRIPTOR_INFO), "system");

  EXPECT_NO_THROW(check_fetch_range(at(0), at(0) + hours(35 * 24)));
  EXPECT_THROW(check_fetch_range(at(0), at(0) + hours(35 * 24) + seconds(1)), InvalidError);

  EXPECT_EQ(tail_entries(0), 100);
  EXPECT_EQ(tail_entries(20'000), 20'000);
  EXPECT_THROW(tail_entries(-1), InvalidError);
  EXPECT_THROW(tail_entries(20'001), InvalidError);
}

TEST(LogsEntries, TimestampsSourcesAndContextIds) {
  modal::client::TaskLogsBatch batch;
  batch.set_task_id("ta-1");
  batch.set_input_id("in-batch");
  auto* item = batch.add_items();
  item->set_data("hello\n");
  item->set_file_descriptor(modal::client::FILE_DESCRIPTOR_STDERR);
  item->set_timestamp_ns(1'700'000'000'123'456'789);
  item->set_timestamp(1.0);  // ignored: timestamp_ns wins
  item->set_function_call_id("fc-1");

  auto e = to_entry(*item, batch, "fu-1");
  EXPECT_EQ(e.timestamp.time_since_epoch(), std::chrono::nanoseconds(1'700'000'000'123'456'789));
  EXPECT_EQ(e.source, "stderr");
  EXPECT_EQ(e.message, "hello\n");
  EXPECT_EQ(e.object_id, "fu-1");
  EXPECT_THAT(e.context_ids, ElementsAre("fc-1", "in-batch", "ta-1"));

  item->set_input_id("in-item");
  item->set_container_id("co-1");
  EXPECT_THAT(to_entry(*item, batch, "fc-1").context_ids, ElementsAre("in-item", "co-1"));
  EXPECT_TRUE(to_entry(*item, batch, "sb-1").context_ids.empty());

  item->set_timestamp_ns(0);
  item->set_timestamp(1'700'000'000.25);
  EXPECT_EQ(
      std::chrono::duration_cast<std::chrono::milliseconds>(entry_time(*item).time_since_epoch()),
      std::chrono::milliseconds(1'700'000'000'250));
}

}  // namespace
}  // namespace modal::internal::logs
