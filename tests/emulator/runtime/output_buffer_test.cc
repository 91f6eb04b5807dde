// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "runtime/output_buffer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>

namespace modal::emulator::runtime {
namespace {

using std::chrono::milliseconds;

std::string pattern(size_t n, size_t seed = 0) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + seed) % 26);
  return s;
}

TEST(OutputBuffer, ReadsAtOffsetsInOrder) {
  OutputBuffer buffer(OutputBufferOptions{1 << 20, OverflowPolicy::kBackPressure, 16});
  std::string const data = pattern(1000);
  ASSERT_EQ(buffer.write(data), data.size());
  std::string got;
  uint64_t offset = 0;
  while (offset < data.size()) {
    auto r = buffer.read_into(offset, 37, &got, deadline_after(milliseconds(100)));
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->offset, offset);
    ASSERT_GT(r->size, 0u);
    ASSERT_LE(r->size, 37u);
    EXPECT_FALSE(r->eof);
    offset += r->size;
  }
  EXPECT_EQ(got, data);
  EXPECT_EQ(buffer.size(), data.size());
}

TEST(OutputBuffer, ResumeFromUnacknowledgedOffset) {
  OutputBuffer buffer;
  buffer.write("hello world");
  auto first = buffer.read(0, 5);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->data, "hello");
  // The client lost that chunk: reading at 0 again gives the same bytes.
  auto again = buffer.read(0, 100);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->data, "hello world");
  // Reading at 6 acknowledges 0..6; 3 is gone now.
  auto tail = buffer.read(6, 100);
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(tail->data, "world");
  EXPECT_EQ(buffer.first_available(), 6u);
  auto gone = buffer.read(3, 100);
  EXPECT_EQ(gone.status().code(), absl::StatusCode::kOutOfRange);
  // 6 itself (not acknowledged beyond) is still readable.
  auto resumed = buffer.read(6, 100);
  ASSERT_TRUE(resumed.ok());
  EXPECT_EQ(resumed->data, "world");
}

TEST(OutputBuffer, EofAfterClose) {
  OutputBuffer buffer;
  buffer.write("abc");
  buffer.close();
  auto r = buffer.read(0, 100);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->data, "abc");
  EXPECT_TRUE(r->eof);
  auto end = buffer.read(3, 100);
  ASSERT_TRUE(end.ok());
  EXPECT_TRUE(end->data.empty());
  EXPECT_TRUE(end->eof);
  EXPECT_EQ(buffer.read(4, 100).status().code(), absl::StatusCode::kOutOfRange);
}

TEST(OutputBuffer, ReadBlocksUntilDataOrDeadline) {
  OutputBuffer buffer;
  auto const start = Clock::now();
  auto r = buffer.read(0, 10, deadline_after(milliseconds(50)));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->data.empty());
  EXPECT_FALSE(r->eof);
  EXPECT_GE(Clock::now() - start, milliseconds(45));

  std::thread producer([&] {
    std::this_thread::sleep_for(milliseconds(30));
    buffer.write("x");
  });
  auto woke = buffer.read(0, 10, deadline_after(std::chrono::seconds(5)));
  producer.join();
  ASSERT_TRUE(woke.ok());
  EXPECT_EQ(woke->data, "x");
}

TEST(OutputBuffer, StopTokenWakesReader) {
  OutputBuffer buffer;
  std::stop_source stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(milliseconds(30));
    stop.request_stop();
  });
  // No deadline: only the stop request can end this read (a reader that ignored it would
  // hang, and the test time out).
  auto r = buffer.read(0, 10, kNoDeadline, stop.get_token());
  stopper.join();
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->data.empty());
  EXPECT_FALSE(r->eof);
}

TEST(OutputBuffer, BackPressureBoundsMemoryAndResumes) {
  OutputBuffer buffer(OutputBufferOptions{4096, OverflowPolicy::kBackPressure, 1024});
  int space_calls = 0;
  buffer.set_space_callback([&] { ++space_calls; });
  std::string const data = pattern(10000);
  EXPECT_EQ(buffer.write(data, deadline_after(milliseconds(20))), 4096u);
  struct iovec iov[4];
  size_t count = 0;
  EXPECT_EQ(buffer.prepare(100, iov, 4, &count), 0u);  // no room: paused
  EXPECT_EQ(buffer.buffered(), 4096u);
  auto r = buffer.read(0, 1000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(space_calls, 0);  // reading at 0 acknowledges nothing
  r = buffer.read(1000, 1000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(space_calls, 1);
  EXPECT_EQ(buffer.prepare(5000, iov, 4, &count), 1000u);
}

TEST(OutputBuffer, SpillingKeepsMemoryBoundedAndEveryByteReadable) {
  OutputBufferOptions options{4096, OverflowPolicy::kBackPressure, 1024};
  options.spill_limit = std::uint64_t{64} << 10;
  OutputBuffer buffer(options);
  std::string const data = pattern(60000);
  // No reader: the producer is not paused, the old blocks go to disk.
  EXPECT_EQ(buffer.write(data, deadline_after(milliseconds(20))), data.size());
  EXPECT_EQ(buffer.buffered(), data.size());
  struct iovec iov[8];
  size_t count = 0;
  EXPECT_GT(buffer.prepare(100, iov, 8, &count), 0u);  // still room
  // Reads cross from the file into memory, byte-exact, resumable at any unread offset.
  std::string back;
  uint64_t offset = 0;
  while (offset < data.size()) {
    auto r = buffer.read(offset, 3000);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_GT(r->data.size(), 0u);
    back += r->data;
    offset += r->data.size();
    if (offset == 7000) {  // read again from an offset not yet acknowledged
      auto again = buffer.read(5000, 2000);
      ASSERT_TRUE(again.ok());
      EXPECT_EQ(again->data, data.substr(5000, 2000));
    }
  }
  EXPECT_TRUE(back == data);
  EXPECT_EQ(buffer.read(0, 10).status().code(), absl::StatusCode::kOutOfRange);
  // Caught up: later output spills again into a file that was emptied.
  EXPECT_EQ(buffer.write(data, deadline_after(milliseconds(20))), data.size());
  auto r = buffer.read(data.size(), 60000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->data, data.substr(0, r->data.size()));
}

TEST(OutputBuffer, SpillingStopsAtItsLimitAndThenPauses) {
  OutputBufferOptions options{4096, OverflowPolicy::kBackPressure, 1024};
  options.spill_limit = 8192;
  OutputBuffer buffer(options);
  std::string const data = pattern(60000);
  size_t const n = buffer.write(data, deadline_after(milliseconds(20)));
  EXPECT_GE(n, 8192u + 3072u);  // the spill limit plus memory, less one partial block
  EXPECT_LE(n, 8192u + 4096u);
  std::string back;
  uint64_t offset = 0;
  while (offset < n) {
    auto r = buffer.read(offset, 5000);
    ASSERT_TRUE(r.ok());
    back += r->data;
    offset += r->data.size();
  }
  EXPECT_EQ(back, data.substr(0, n));
}

TEST(OutputBuffer, DropOldestNeverBlocksAndSkipsReaders) {
  OutputBuffer buffer(OutputBufferOptions{1000, OverflowPolicy::kDropOldest, 256});
  std::string const data = pattern(5000);
  EXPECT_EQ(buffer.write(data, deadline_after(milliseconds(20))), data.size());
  // Exactly the newest 1000 bytes are retained.
  EXPECT_EQ(buffer.buffered(), 1000u);
  EXPECT_EQ(buffer.first_available(), 4000u);
  auto r = buffer.read(0, 10000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->offset, 4000u);
  EXPECT_EQ(r->data, data.substr(4000));
  // A reader just behind the window is moved to its start; one inside it is not moved.
  auto behind = buffer.read(3999, 10000);
  ASSERT_TRUE(behind.ok());
  EXPECT_EQ(behind->offset, 4000u);
  auto inside = buffer.read(4500, 10000);
  ASSERT_TRUE(inside.ok());
  EXPECT_EQ(inside->offset, 4500u);
  EXPECT_EQ(inside->data, data.substr(4500));
}

TEST(OutputBuffer, RetainedOutputIsNotConsumedByReading) {
  OutputBuffer buffer(OutputBufferOptions{1 << 20, OverflowPolicy::kDropOldest, 16});
  buffer.write("one\ntwo\n");
  // (Deadlines only so that a consuming buffer fails these checks instead of hanging.)
  auto const soon = [] { return deadline_after(std::chrono::seconds(5)); };
  auto first = buffer.read(0, 100, soon());
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->data, "one\ntwo\n");
  // Reading further on (a reader resuming at its last offset) acknowledges nothing ...
  auto tail = buffer.read(4, 100, soon());
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(tail->data, "two\n");
  auto end = buffer.read(8, 100, deadline_after(milliseconds(1)));
  ASSERT_TRUE(end.ok());
  EXPECT_TRUE(end->data.empty());
  buffer.acknowledge(8);  // ... and neither does an explicit acknowledgement.
  EXPECT_EQ(buffer.first_available(), 0u);
  EXPECT_EQ(buffer.buffered(), 8u);
  // So a second reader, coming later, reads everything from the start.
  auto second = buffer.read(0, 100, soon());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->offset, 0u);
  EXPECT_EQ(second->data, "one\ntwo\n");
  buffer.close();
  auto third = buffer.read(0, 100, soon());
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->data, "one\ntwo\n");
  EXPECT_TRUE(third->eof);
}

TEST(OutputBuffer, RetainedWindowShrinksOnlyByWhatIsCommitted) {
  // A producer offering a large region but committing little (a short read(2)) must not
  // push retained bytes out of the window.
  OutputBuffer buffer(OutputBufferOptions{1000, OverflowPolicy::kDropOldest, 256});
  std::string const data = pattern(1000);
  ASSERT_EQ(buffer.write(data), 1000u);
  struct iovec iov[8];
  size_t count = 0;
  size_t const offered = buffer.prepare(1000, iov, 8, &count);
  ASSERT_EQ(offered, 1000u);
  EXPECT_EQ(buffer.first_available(), 0u);  // preparing drops nothing
  std::memcpy(iov[0].iov_base, "0123456789", 10);
  buffer.commit(10);
  EXPECT_EQ(buffer.first_available(), 10u);
  EXPECT_EQ(buffer.buffered(), 1000u);
  auto r = buffer.read(0, 2000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->offset, 10u);
  EXPECT_EQ(r->data, data.substr(10) + "0123456789");
}

TEST(OutputBuffer, RetainedProducerNeverPauses) {
  OutputBuffer buffer(OutputBufferOptions{4096, OverflowPolicy::kDropOldest, 1024});
  int space_calls = 0;
  buffer.set_space_callback([&] { ++space_calls; });
  struct iovec iov[4];
  size_t count = 0;
  uint64_t produced = 0;
  for (int i = 0; i < 1000; ++i) {  // 1000 × up to 4 KiB with nobody reading
    size_t const n = buffer.prepare(4096, iov, 4, &count);
    ASSERT_GT(n, 0u) << "paused after " << produced << " bytes";
    buffer.commit(n);
    produced += n;
  }
  EXPECT_EQ(buffer.size(), produced);
  EXPECT_EQ(buffer.buffered(), 4096u);
  EXPECT_EQ(space_calls, 0);
}

TEST(OutputBuffer, ConcurrentReadersOfRetainedOutputEachGetEveryByte) {
  OutputBuffer buffer(OutputBufferOptions{8 << 20, OverflowPolicy::kDropOldest, 0});
  std::string const data = pattern(4 << 20, 5);
  auto read_everything = [&buffer](std::string* got) {
    uint64_t offset = 0;
    for (;;) {
      auto r = buffer.read_into(offset, 50000, got);
      ASSERT_TRUE(r.ok()) << r.status();
      ASSERT_EQ(r->offset, offset);  // nothing dropped: the whole stream fits the window
      offset += r->size;
      if (r->eof) break;
    }
  };
  std::string a, b;
  std::thread reader_a(read_everything, &a);
  std::thread reader_b(read_everything, &b);
  for (size_t done = 0; done < data.size(); done += 9999) {
    buffer.write(std::string_view(data).substr(done, 9999));
  }
  buffer.close();
  reader_a.join();
  reader_b.join();
  EXPECT_TRUE(a == data);
  EXPECT_TRUE(b == data);
  std::string late;  // and a third one, after the end
  read_everything(&late);
  EXPECT_TRUE(late == data);
}

TEST(OutputBuffer, ConcurrentProducerAndReaderAreByteExact) {
  OutputBuffer buffer(OutputBufferOptions{64 << 10, OverflowPolicy::kBackPressure, 0});
  std::string const data = pattern(8 << 20, 3);
  std::thread producer([&] {
    size_t done = 0;
    while (done < data.size()) {
      size_t const n = std::min<size_t>(7777, data.size() - done);
      done += buffer.write(std::string_view(data).substr(done, n));
    }
    buffer.close();
  });
  std::string got;
  got.reserve(data.size());
  uint64_t offset = 0;
  for (;;) {
    auto r = buffer.read_into(offset, 100000, &got);
    ASSERT_TRUE(r.ok()) << r.status();
    offset += r->size;
    if (r->eof) break;
  }
  producer.join();
  EXPECT_EQ(got.size(), data.size());
  EXPECT_TRUE(got == data);
  EXPECT_LE(buffer.buffered(), size_t{64} << 10);
}

TEST(OutputBuffer, StreamsManyTimesItsCapacityByteExact) {
  // 256 MiB (32 times the default capacity) through a default back-pressure buffer with
  // 1 MiB producer chunks: every byte arrives, in order, and memory stays bounded. (How
  // fast is a benchmark's question, not a test's.)
  OutputBuffer buffer;
  constexpr size_t kTotal = size_t{256} << 20;
  constexpr size_t kChunk = size_t{1} << 20;
  std::thread producer([&] {
    std::string chunk(kChunk, '\0');
    for (size_t done = 0; done < kTotal; done += kChunk) {
      // Each MiB is filled with its own index, so that a lost, repeated or reordered
      // chunk shows.
      std::fill(chunk.begin(), chunk.end(), static_cast<char>(done / kChunk));
      buffer.write(chunk);
    }
    buffer.close();
  });
  uint64_t offset = 0;
  size_t max_buffered = 0;
  bool byte_exact = true;
  std::string chunk;
  for (;;) {
    chunk.clear();
    auto r = buffer.read_into(offset, kChunk, &chunk);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->offset, offset);
    for (size_t i = 0; i < chunk.size() && byte_exact; ++i) {
      byte_exact = chunk[i] == static_cast<char>((offset + i) / kChunk);
    }
    max_buffered = std::max(max_buffered, buffer.buffered());
    offset += r->size;
    if (r->eof) break;
  }
  producer.join();
  EXPECT_EQ(offset, kTotal);
  EXPECT_TRUE(byte_exact);
  EXPECT_LE(max_buffered, buffer.options().capacity);
}

}  // namespace
}  // namespace modal::emulator::runtime
