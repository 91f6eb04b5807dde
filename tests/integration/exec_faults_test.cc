// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Exec under faults and load: broken stdio streams, failing stdin writes, JWT expiry,
// transient router failures, proactive JWT refresh, 32 concurrent execs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "exec_test_util.h"

namespace modal::testing {
namespace {

using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

/// Incremental SHA-256, hex.
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
  ~Sha256() { EVP_MD_CTX_free(ctx_); }
  void update(std::string_view data) { EVP_DigestUpdate(ctx_, data.data(), data.size()); }
  std::string hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx_, md, &n);
    std::string out;
    char buf[3];
    for (unsigned i = 0; i < n; ++i) {
      std::snprintf(buf, sizeof buf, "%02x", md[i]);
      out += buf;
    }
    return out;
  }

 private:
  EVP_MD_CTX* ctx_;
};

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; i += 8) {
    auto v = rng();
    for (std::size_t j = 0; j < 8 && i + j < n; ++j) out[i + j] = static_cast<char>(v >> (8 * j));
  }
  return out;
}

using ExecFaultsTest = ExecTest;

TEST_F(ExecFaultsTest, SixtyFourMiBIntactWhileTheStreamBreaksEveryMiB) {
  ASSERT_EQ(sb().exec({"sh", "-c", "head -c 67108864 /dev/urandom > blob"}).wait(), 0);
  auto sum = sb().exec({"sha256sum", "blob"});
  std::string const expected = sum.stdout_stream().read_all().substr(0, 64);
  ASSERT_EQ(sum.wait(), 0);

  emu().break_stdio_every(1 << 20);
  auto p = sb().exec({"cat", "blob"});
  Sha256 sha;
  std::size_t total = 0;
  auto out = p.stdout_stream();
  while (auto chunk = out.read_chunk()) {
    total += chunk->size();
    sha.update(*chunk);
  }
  EXPECT_EQ(total, std::size_t{64} << 20);
  EXPECT_EQ(sha.hex(), expected);
  EXPECT_EQ(p.wait(), 0);
  // Each break was resumed at the delivered offset: ~64 streams, each ending UNAVAILABLE.
  auto reads = attempts("TaskExecStdioRead");
  auto const broken = std::count(reads.begin(), reads.end(), StatusCode::kUnavailable);
  EXPECT_GE(broken, 63);
  EXPECT_LE(broken, 64);
}

TEST_F(ExecFaultsTest, ReadIntoSmallBuffersIsByteExactAcrossBreaks) {
  // read() hands the stream's buffers back for reuse: they must never leak stale bytes.
  ASSERT_EQ(sb().exec({"sh", "-c", "head -c 16777216 /dev/urandom > blob"}).wait(), 0);
  auto sum = sb().exec({"sha256sum", "blob"});
  std::string const expected = sum.stdout_stream().read_all().substr(0, 64);
  emu().break_stdio_every(3 << 20);
  auto p = sb().exec({"cat", "blob"});
  auto out = p.stdout_stream();
  Sha256 sha;
  std::size_t total = 0;
  std::vector<char> buf(100000);
  while (auto n = out.read(buf)) {
    sha.update(std::string_view(buf.data(), n));
    total += n;
  }
  EXPECT_EQ(total, std::size_t{16} << 20);
  EXPECT_EQ(sha.hex(), expected);
  EXPECT_EQ(p.wait(), 0);
}

TEST_F(ExecFaultsTest, SixteenMiBOfStdinEchoedByteExactDespiteFailingWrites) {
  std::string const input = random_bytes(std::size_t{16} << 20, 7);
  auto p = sb().exec({"cat"});
  emulator::Fault f;
  f.count = 6;
  f.code = 14;  // UNAVAILABLE
  emu().inject_fault("TaskExecStdinWrite", f);
  std::string echoed;
  std::thread reader([&] { echoed = p.stdout_stream().read_all(); });
  auto in = p.stdin_stream();
  std::size_t const piece = 300 * 1000;  // not a power of two: offsets are not aligned
  for (std::size_t off = 0; off < input.size(); off += piece) {
    in.write(std::string_view(input).substr(off, piece));
  }
  in.close();
  reader.join();
  EXPECT_EQ(p.wait(), 0);
  ASSERT_EQ(echoed.size(), input.size());
  EXPECT_TRUE(echoed == input) << "echoed bytes differ";
  auto writes = attempts("TaskExecStdinWrite");
  EXPECT_EQ(std::count(writes.begin(), writes.end(), StatusCode::kUnavailable), 6);
}

TEST_F(ExecFaultsTest, JwtExpiryInTheMiddleOfALongRead) {
  auto p =
      sb().exec({"sh", "-c", "head -c 1048576 /dev/zero; sleep 0.3; head -c 1048576 /dev/zero"});
  auto out = p.stdout_stream();
  std::size_t total = 0;
  while (total < (std::size_t{1} << 20)) total += out.read_chunk().value().size();
  emu().expire_router_tokens();
  while (auto chunk = out.read_chunk()) total += chunk->size();
  EXPECT_EQ(total, std::size_t{2} << 20);
  EXPECT_EQ(p.wait(), 0);
  auto reads = attempts("TaskExecStdioRead");
  // The stdout stream broke (and maybe the stderr one, fetched while stdout waited)...
  EXPECT_GE(std::count(reads.begin(), reads.end(), StatusCode::kUnauthenticated), 1);
  // ...and one shared refresh served them all.
  EXPECT_EQ(received("TaskGetCommandRouterAccess"), 2u);
}

TEST_F(ExecFaultsTest, ConcurrentCallersShareOneJwtRefresh) {
  EXPECT_EQ(sb().exec({"true"}).wait(), 0);
  emu().expire_router_tokens();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      if (sb().exec({"true"}).wait() == 0) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(received("TaskGetCommandRouterAccess"), 2u);
}

TEST_F(ExecFaultsTest, TransientRouterFailuresAreRetried) {
  emulator::Fault f;
  f.count = 3;
  f.code = 14;
  emu().inject_fault("TaskExecStart", f);
  f.count = 2;
  f.code = 13;  // INTERNAL
  emu().inject_fault("TaskExecWait", f);
  emu().inject_fault("TaskExecStdioRead", f);
  auto p = sb().exec({"sh", "-c", "echo once >> log; echo ran"});
  EXPECT_EQ(p.stdout_stream().read_all(), "ran\n");
  EXPECT_EQ(p.wait(), 0);
  EXPECT_EQ(attempts("TaskExecStart").size(), 4u);
  EXPECT_EQ(sb().exec({"cat", "log"}).stdout_stream().read_all(), "once\n");
}

TEST_F(ExecFaultsTest, NonTransientRouterFailuresSurface) {
  emulator::Fault f;
  f.count = 1;
  f.code = 3;  // INVALID_ARGUMENT
  emu().inject_fault("TaskExecStart", f);
  EXPECT_THROW(sb().exec({"true"}), InvalidError);
  f.code = 9;  // FAILED_PRECONDITION
  emu().inject_fault("TaskExecPoll", f);
  auto p = sb().exec({"true"});
  EXPECT_THROW(p.poll(), ConflictError);
  EXPECT_EQ(p.wait(), 0);
}

TEST_F(ExecFaultsTest, ThirtyTwoConcurrentExecsFromThirtyTwoThreads) {
  constexpr int kThreads = 32;
  std::vector<std::string> outputs(kThreads);
  std::vector<int> codes(kThreads, -1);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto p = sb().exec({"sh", "-c", "echo exec-$0; exit $(($0 % 7))", std::to_string(i)});
      outputs[i] = p.stdout_stream().read_all();
      codes[i] = p.wait();
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kThreads; ++i) {
    EXPECT_EQ(outputs[i], "exec-" + std::to_string(i) + "\n");
    EXPECT_EQ(codes[i], i % 7);
  }
  EXPECT_EQ(received("TaskGetCommandRouterAccess"), 1u);
  EXPECT_EQ(received("TaskExecStart"), static_cast<std::size_t>(kThreads));
}

class ShortJwtTest : public ExecTest {
 protected:
  emulator::EmulatorOptions emulator_options() override {
    emulator::EmulatorOptions o;
    o.router_token_lifetime = std::chrono::seconds(20);  // always within 30 s of `exp`
    return o;
  }
};

TEST_F(ShortJwtTest, JwtsCloseToExpiryAreRefreshedBeforeUse) {
  EXPECT_EQ(sb().exec({"true"}).wait(), 0);
  auto const after_first = received("TaskGetCommandRouterAccess");
  EXPECT_GE(after_first, 2u);  // the session's, then a proactive refresh
  EXPECT_EQ(sb().exec({"true"}).wait(), 0);
  EXPECT_GT(received("TaskGetCommandRouterAccess"), after_first);
  auto starts = attempts("TaskExecStart");
  EXPECT_EQ(std::count(starts.begin(), starts.end(), StatusCode::kUnauthenticated), 0);
}

}  // namespace
}  // namespace modal::testing
