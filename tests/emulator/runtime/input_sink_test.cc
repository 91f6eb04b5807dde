// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "runtime/input_sink.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

namespace modal::emulator::runtime {
namespace {

using std::chrono::milliseconds;

// Drains everything queued in `sink` into a string (what the I/O loop would write).
std::string drain(InputSink& sink) {
  std::string out;
  struct iovec iov[8];
  size_t count = 0;
  while (size_t n = sink.peek(iov, 8, &count)) {
    for (size_t i = 0; i < count; ++i)
      out.append(static_cast<char*>(iov[i].iov_base), iov[i].iov_len);
    sink.consume(n);
  }
  return out;
}

TEST(InputSink, AppliesEachOffsetOnce) {
  InputSink sink;
  ASSERT_TRUE(sink.write(0, "hello ", false).ok());
  // Duplicate retry of the same write: skipped.
  ASSERT_TRUE(sink.write(0, "hello ", false).ok());
  // Overlapping retry: only the new tail is applied.
  ASSERT_TRUE(sink.write(3, "lo world", false).ok());
  auto status = sink.status();
  EXPECT_EQ(status.accepted, 11u);
  EXPECT_EQ(drain(sink), "hello world");
  EXPECT_EQ(sink.status().written, 11u);
}

TEST(InputSink, GapIsAnError) {
  InputSink sink;
  ASSERT_TRUE(sink.write(0, "abc", false).ok());
  auto gap = sink.write(5, "xyz", false);
  EXPECT_EQ(gap.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(sink.status().accepted, 3u);
}

TEST(InputSink, EofClosesAndRejectsMore) {
  InputSink sink;
  auto r = sink.write(0, "abc", true);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->eof);
  EXPECT_FALSE(sink.should_close());  // bytes still queued
  EXPECT_EQ(drain(sink), "abc");
  EXPECT_TRUE(sink.should_close());
  // Retrying the final write (or the close) is fine; adding bytes is not.
  EXPECT_TRUE(sink.write(0, "abc", true).ok());
  EXPECT_TRUE(sink.write(3, "", true).ok());
  EXPECT_EQ(sink.write(3, "d", false).status().code(), absl::StatusCode::kFailedPrecondition);
  sink.mark_closed(false);
  auto status = sink.status();
  EXPECT_TRUE(status.eof);
  EXPECT_TRUE(status.closed);
  EXPECT_FALSE(status.broken);
}

TEST(InputSink, FullQueueTimesOutThenRetryContinues) {
  InputSink sink(InputSinkOptions{4});
  auto r = sink.write(0, "abcdefgh", false, deadline_after(milliseconds(20)));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(sink.status().accepted, 4u);
  EXPECT_EQ(drain(sink), "abcd");
  auto retry = sink.write(0, "abcdefgh", false, deadline_after(milliseconds(20)));
  ASSERT_TRUE(retry.ok());
  EXPECT_EQ(drain(sink), "efgh");
}

TEST(InputSink, DataCallbackFiresWhenIdle) {
  InputSink sink;
  int calls = 0;
  sink.set_data_callback([&] { ++calls; });
  ASSERT_TRUE(sink.write(0, "a", false).ok());
  EXPECT_EQ(calls, 1);
  ASSERT_TRUE(sink.write(1, "b", false).ok());
  EXPECT_EQ(calls, 1);  // consumer is active: no extra wakeup
  drain(sink);
  EXPECT_TRUE(sink.go_idle());
  ASSERT_TRUE(sink.write(2, "c", false).ok());
  EXPECT_EQ(calls, 2);
}

TEST(InputSink, ClosedSinkDiscards) {
  InputSink sink;
  sink.mark_closed(true);
  auto r = sink.write(0, "abc", false);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->accepted, 3u);
  EXPECT_EQ(r->written, 0u);
  EXPECT_TRUE(r->broken);
}

TEST(IndexedInput, EachIndexOnce) {
  auto sink = std::make_shared<InputSink>();
  IndexedInput input(sink);
  EXPECT_EQ(input.write(0, "x", false).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(input.write(1, "ab", false).ok());
  ASSERT_TRUE(input.write(1, "ab", false).ok());  // duplicate
  ASSERT_TRUE(input.write(2, "cd", false).ok());
  EXPECT_EQ(input.write(4, "zz", false).code(), absl::StatusCode::kOutOfRange);
  ASSERT_TRUE(input.write(3, "", true).ok());
  EXPECT_EQ(input.last_index(), 3u);
  EXPECT_EQ(drain(*sink), "abcd");
  EXPECT_TRUE(sink->status().eof);
}

}  // namespace
}  // namespace modal::emulator::runtime
