// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// What a new user ran into (issue 9): stream adapters that cannot dangle, idempotent
// terminate, output of a timed-out exec, bounded waits and reads, errors that say what
// happened, and local validation of object names.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>

#include "sandbox_test_util.h"

namespace modal::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

using UsabilityTest = SandboxTest;

TEST_F(UsabilityTest, IstreamOfATemporaryProcessIsSafe) {
  auto sb = create();
  // The one-liner: every handle the adapter came from is a temporary.
  //! [istream-temporary]
  auto in = sb.exec({"printf", "1 2 3 40"}).stdout_stream().istream();
  int x = 0;
  int sum = 0;
  while (in >> x) sum += x;  // 46
  //! [istream-temporary]
  EXPECT_EQ(sum, 46);
  EXPECT_TRUE(in.eof());
  sb.terminate();
}

TEST_F(UsabilityTest, OstreamOfATemporaryFlushesWhenDestroyed) {
  auto sb = create();
  auto p = sb.exec({"cat"});
  p.stdin_stream().ostream() << "no explicit flush " << 42 << "\n";  // a temporary
  p.stdin_stream().close();
  EXPECT_EQ(p.stdout_stream().read_all(), "no explicit flush 42\n");
  sb.terminate();
}

TEST_F(UsabilityTest, IstreamsOfOneReaderShareItsPosition) {
  auto sb = create();
  auto out = sb.exec({"printf", "a\nb\nc\n"}).stdout_stream();
  std::string line;
  {
    auto first = out.istream();
    ASSERT_TRUE(std::getline(first, line));
    EXPECT_EQ(line, "a");
  }
  auto second = out.istream();
  ASSERT_TRUE(std::getline(second, line));
  EXPECT_EQ(line, "b");
  EXPECT_EQ(out.read_line(), "c");  // the reader itself continues after them
  sb.terminate();
}

TEST_F(UsabilityTest, TerminateIsIdempotentAndLeavesWaitAndPollWorking) {
  auto sb = create({.command = {"sleep", "60"}});
  auto terminates = [&] {  // V1 or V2, whichever the client's setting picked
    return emu().received_calls("SandboxTerminate").size() +
           emu().received_calls("SandboxTerminateV2").size();
  };
  auto const terminates_before = terminates();
  EXPECT_FALSE(sb.terminate().has_value());
  EXPECT_NO_THROW(sb.terminate());  // a second terminate is no error and sends nothing
  EXPECT_EQ(terminates(), terminates_before + 1);
  EXPECT_EQ(sb.wait(), 137);
  EXPECT_EQ(sb.poll(), 137);
  EXPECT_EQ(sb.wait_for(seconds(1)), 137);
  EXPECT_EQ(sb.terminate({.wait = true}), 137);
  try {
    sb.exec({"true"});
    FAIL() << "expected ClientClosedError";
  } catch (ClientClosedError const& e) {
    EXPECT_THAT(e.what(), HasSubstr("terminated"));
    EXPECT_THAT(e.what(), Not(HasSubstr("detached")));
  }
  EXPECT_THROW(sb.get_tags(), ClientClosedError);
}

TEST_F(UsabilityTest, ExecCallsAfterTerminateSayTerminated) {
  auto sb = create();
  auto p = sb.exec({"sleep", "30"});
  sb.terminate();
  for (auto const& call :
       {std::function<void()>([&] { p.wait(); }), std::function<void()>([&] { p.poll(); }),
        std::function<void()>([&] { p.stdin_stream().write("x"); })}) {
    try {
      call();
      ADD_FAILURE() << "expected ClientClosedError";
    } catch (ClientClosedError const& e) {
      EXPECT_THAT(e.what(), HasSubstr("terminated"));
    }
  }
}

TEST_F(UsabilityTest, DetachAfterTerminateStillDetaches) {
  auto sb = create();
  sb.terminate();
  sb.detach();
  try {
    sb.poll();
    FAIL() << "expected ClientClosedError";
  } catch (ClientClosedError const& e) {
    EXPECT_THAT(e.what(), HasSubstr("detached"));
  }
}

TEST_F(UsabilityTest, SandboxWaitForReturnsNulloptWhileRunningThenTheCode) {
  auto sb = create({.command = {"sh", "-c", "sleep 1; exit 3"}});
  auto const t0 = Clock::now();
  EXPECT_FALSE(sb.wait_for(milliseconds(200)).has_value());
  EXPECT_GE(Clock::now() - t0, milliseconds(200));
  EXPECT_FALSE(sb.wait_for(milliseconds(0)).has_value());  // checks once
  EXPECT_EQ(sb.wait_for(seconds(30)), 3);
  EXPECT_THROW(sb.wait_for(milliseconds(-1)), InvalidError);
}

TEST_F(UsabilityTest, ExecWaitForReturnsNulloptWhileRunningThenTheCode) {
  auto sb = create();
  auto p = sb.exec({"sh", "-c", "sleep 1; exit 4"});
  EXPECT_FALSE(p.wait_for(milliseconds(200)).has_value());
  EXPECT_FALSE(p.wait_for(milliseconds(0)).has_value());
  EXPECT_EQ(p.wait_for(seconds(30)), 4);
  EXPECT_EQ(p.wait(), 4);
  sb.terminate();
}

TEST_F(UsabilityTest, ReadForTimesOutWithoutLosingData) {
  auto sb = create();
  auto p = sb.exec({"sh", "-c", "sleep 1; echo late"});
  auto out = p.stdout_stream();
  char buf[64];
  EXPECT_FALSE(out.read_for(buf, milliseconds(100)).has_value());
  std::string got;
  for (;;) {
    auto n = out.read_for(buf, seconds(30));
    ASSERT_TRUE(n.has_value());
    if (*n == 0) break;
    got.append(buf, *n);
  }
  EXPECT_EQ(got, "late\n");
  sb.terminate();
}

TEST_F(UsabilityTest, OutputOfAnExecKilledByItsTimeoutStaysReadable) {
  auto sb = create();
  auto p = sb.exec({"sh", "-c", "echo before; sleep 30; echo after"}, {.timeout = seconds(1)});
  EXPECT_EQ(p.stdout_stream().read_all(), "before\n");
  try {
    p.wait();
    FAIL() << "expected ExecTimeoutError";
  } catch (ExecTimeoutError const& e) {
    EXPECT_THAT(e.what(), HasSubstr("exec " + p.exec_id() + " exceeded its 1 s timeout"));
  }
  EXPECT_EQ(p.poll(), 137);
  sb.terminate();
}

TEST_F(UsabilityTest, ReadinessTimeoutSaysWhatWasNotReady) {
  auto sb = create({.command = {"sleep", "60"}, .readiness_probe = Probe::tcp(8000)});
  try {
    sb.wait_until_ready(seconds(1));
    FAIL() << "expected TimeoutError";
  } catch (TimeoutError const& e) {
    EXPECT_THAT(e.what(), HasSubstr("Sandbox " + sb.sandbox_id() +
                                    " was not ready within 1 s (TCP probe on port 8000)"));
  }
  sb.terminate();
}

TEST_F(UsabilityTest, WaitUntilReadyWithoutAProbeIsAnError) {
  auto sb = create();
  try {
    sb.wait_until_ready(seconds(5));
    FAIL() << "expected ConflictError";
  } catch (ConflictError const& e) {
    EXPECT_THAT(e.what(), HasSubstr("readiness probe"));
  }
  sb.terminate();
}

TEST_F(UsabilityTest, MissingEnvironmentIsWhatTheErrorNames) {
  auto o = fast_options();
  o.environment = "staging";
  Client c(o);
  try {
    c.apps().from_name("x", {.create_if_missing = true});
    FAIL() << "expected NotFoundError";
  } catch (NotFoundError const& e) {
    EXPECT_THAT(e.what(), HasSubstr("Environment 'staging' not found"));
    EXPECT_THAT(e.what(), Not(HasSubstr("App 'x' not found")));
  }
}

TEST_F(UsabilityTest, AlreadyExistsMessageSaysItOnce) {
  auto sb = create({.command = {"sleep", "30"}, .name = "only-once"});
  try {
    create({.command = {"sleep", "30"}, .name = "only-once"});
    FAIL() << "expected AlreadyExistsError";
  } catch (AlreadyExistsError const& e) {
    std::string const what = e.what();
    EXPECT_THAT(what, HasSubstr("only-once"));
    auto const first = what.find("already exists");
    ASSERT_NE(first, std::string::npos);
    EXPECT_EQ(what.find("already exists", first + 1), std::string::npos) << what;
  }
  sb.terminate();
}

/// Captures what this process writes to fd 2 while alive.
class StderrCapture {
 public:
  StderrCapture() : file_(std::tmpfile()), saved_(::dup(2)) {
    std::fflush(stderr);
    ::dup2(::fileno(file_), 2);
  }
  ~StderrCapture() { restore(); }
  std::string finish() {
    restore();
    std::string out;
    std::rewind(file_);
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, file_)) > 0;) out.append(buf, n);
    return out;
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    ::dup2(saved_, 2);
    ::close(saved_);
    saved_ = -1;
  }
  std::FILE* file_;
  int saved_;
};

TEST_F(UsabilityTest, GrpcsOwnLogLinesGoThroughTheLogSink) {
  client_.reset();  // the only Client alive is the one below (gRPC's log is process-wide)
  LogCapture logs;
  auto o = fast_options();
  o.server_url = "https://" + emu().address();  // TLS against the plaintext emulator
  o.log_sink = logs.sink();
  o.retry.max_retries = 0;
  o.rpc_timeout = seconds(5);
  Client c(o);
  StderrCapture err;
  EXPECT_THROW(c.apps().from_name("x"), Error);
  for (int i = 0; i < 100 && logs.joined().find("gRPC:") == std::string::npos; ++i) {
    std::this_thread::sleep_for(milliseconds(20));  // gRPC may log from its own threads
  }
  auto const written = err.finish();
  EXPECT_THAT(logs.joined(), HasSubstr("gRPC:"));
  EXPECT_THAT(written, Not(HasSubstr("andshake"))) << written;
}

TEST_F(UsabilityTest, ObjectNamesAreValidatedBeforeAnythingIsSent) {
  emu().clear_received_calls();
  EXPECT_THROW(c().apps().from_name("bad name!"), InvalidError);
  EXPECT_THROW(c().secrets().from_name("bad/name"), InvalidError);
  EXPECT_THROW(c().volumes().from_name(std::string(65, 'v')), InvalidError);
  EXPECT_THROW(c().sandboxes().from_name("app", "ap-0123456789012345678901"), InvalidError);
  try {
    c().apps().from_name("bad name!");
  } catch (InvalidError const& e) {
    EXPECT_THAT(e.what(), HasSubstr("invalid App name 'bad name!'"));
  }
  EXPECT_TRUE(emu().received_calls().empty());
  EXPECT_NO_THROW(c().apps().from_name("fine-name_1.2", {.create_if_missing = true}));
}

}  // namespace
}  // namespace modal::testing
