// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Sandbox::exec against the emulator: output, exit codes, stdin, stream adapters, PTY,
// env and secrets, validation, timeouts, poll, detach, readiness.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <istream>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "exec_test_util.h"
#include "internal/router_client.h"

namespace modal::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using Clock = std::chrono::steady_clock;

class ExecBasicTest : public ExecTest {
 protected:
  emulator::EmulatorOptions emulator_options() override {
    emulator::EmulatorOptions o;
    o.secrets["exec-deployed-secret"] = {{"DEPLOYED_TOKEN", "d3pl0yed-hunter2"}};
    return o;
  }
};

TEST_F(ExecBasicTest, OutputAndExitCodes) {
  auto p = sb().exec({"sh", "-c", "echo hello; echo oops >&2; exit 42"});
  EXPECT_EQ(p.stdout_stream().read_all(), "hello\n");
  EXPECT_EQ(p.stderr_stream().read_all(), "oops\n");
  EXPECT_EQ(p.wait(), 42);
  EXPECT_EQ(p.wait(), 42);  // cached
  EXPECT_EQ(p.exec_id().size(), 36u);

  EXPECT_EQ(sb().exec({"true"}).wait(), 0);
  EXPECT_EQ(sb().exec({"sh", "-c", "kill -9 $$"}).wait(), 137);
  EXPECT_EQ(sb().exec({"sh", "-c", "kill -TERM $$"}).wait(), 143);
}

TEST_F(ExecBasicTest, ExecIdsAreFreshUuids) {
  auto a = sb().exec({"true"});
  auto b = sb().exec({"true"});
  EXPECT_NE(a.exec_id(), b.exec_id());
  EXPECT_THAT(a.exec_id(),
              ::testing::MatchesRegex(
                  "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"));
}

TEST_F(ExecBasicTest, ReadChunksLinesAndIstream) {
  auto p = sb().exec({"sh", "-c", "printf 'alpha\\nbeta\\ngamma'"});
  std::vector<std::string> lines;
  for (auto const& line : p.stdout_stream().lines()) lines.push_back(line);
  EXPECT_THAT(lines, ElementsAre("alpha", "beta", "gamma"));

  auto q = sb().exec({"sh", "-c", "echo 12 34; echo word"});
  auto in = q.stdout_stream().istream();
  int a = 0;
  int b = 0;
  std::string w;
  in >> a >> b >> w;
  EXPECT_EQ(a + b, 46);
  EXPECT_EQ(w, "word");

  auto r = sb().exec({"sh", "-c", "printf abcdef"});
  auto reader = r.stdout_stream();
  char buf[4];
  std::string got;
  while (auto n = reader.read(buf)) got.append(buf, n);
  EXPECT_EQ(got, "abcdef");
  EXPECT_EQ(reader.read(buf), 0u);
  EXPECT_EQ(r.wait(), 0);
}

TEST_F(ExecBasicTest, StdinWriterAndOstreamReachTheProcess) {
  modal::Sandbox sb = this->sb();
  //! [exec-stdin]
  modal::ContainerProcess p = sb.exec({"cat"});
  modal::StreamWriter in = p.stdin_stream();
  in.write("first line\n");
  in.ostream() << "second " << 2 << std::endl;  // buffered; std::endl / flush() sends
  in.close();                                   // EOF; later writes throw InvalidError
  std::string echoed = p.stdout_stream().read_all();
  //! [exec-stdin]
  EXPECT_EQ(echoed, "first line\nsecond 2\n");
  in.close();  // idempotent
  EXPECT_THROW(in.write("late"), InvalidError);
  EXPECT_EQ(p.wait(), 0);
}

TEST_F(ExecBasicTest, IgnoredStreamsReadEmptyWithoutRpcs) {
  auto p = sb().exec(
      {"sh", "-c", "echo out; echo err >&2"},
      {.stdout_behavior = StdioBehavior::kIgnore, .stderr_behavior = StdioBehavior::kIgnore});
  EXPECT_EQ(p.wait(), 0);
  EXPECT_EQ(p.stdout_stream().read_all(), "");
  EXPECT_EQ(p.stderr_stream().read_all(), "");
  EXPECT_EQ(received("TaskExecStdioRead"), 0u);
}

TEST_F(ExecBasicTest, PtyExecSeesATerminal) {
  auto tty = sb().exec({"sh", "-c", "test -t 1 && echo is-a-tty"}, {.pty = true});
  EXPECT_EQ(tty.wait(), 0);
  EXPECT_THAT(tty.stdout_stream().read_all(), HasSubstr("is-a-tty"));
  EXPECT_EQ(tty.stderr_stream().read_all(), "");
  EXPECT_EQ(sb().exec({"test", "-t", "1"}).wait(), 1);
}

TEST_F(ExecBasicTest, WorkdirEnvAndSecrets) {
  auto map_secret = c().secrets().from_map({{"MAP_TOKEN", "m4p-hunter2"}, {"SHARED", "from-map"}});
  auto deployed = c().secrets().from_name("exec-deployed-secret");
  auto p = sb().exec({"sh", "-c", "pwd; echo $MAP_TOKEN $DEPLOYED_TOKEN $SHARED $PLAIN"},
                     {.workdir = "/usr",
                      .env = {{"SHARED", "from-env"}, {"PLAIN", "plain"}},
                      .secrets = {map_secret, deployed}});
  EXPECT_EQ(p.stdout_stream().read_all(), "/usr\nm4p-hunter2 d3pl0yed-hunter2 from-env plain\n");
  EXPECT_EQ(p.wait(), 0);
  // from_map Secrets travel as plain variables: no ephemeral Secret was created for them.
  EXPECT_EQ(map_secret.secret_id(), "");
  // Debug logging was on: no secret value reached a log line.
  auto const logged = logs_.joined();
  EXPECT_THAT(logged, HasSubstr("exec"));
  EXPECT_THAT(logged, Not(HasSubstr("m4p-hunter2")));
  EXPECT_THAT(logged, Not(HasSubstr("d3pl0yed-hunter2")));
}

TEST_F(ExecBasicTest, InvalidArgumentsFailLocally) {
  EXPECT_THROW(sb().exec({}), InvalidError);
  EXPECT_THROW(sb().exec({"echo", std::string(65537, 'x')}), InvalidError);
  EXPECT_NO_THROW(sb().exec({"echo", std::string(65532, 'x')}).wait());
  EXPECT_THROW(sb().exec({"true"}, {.workdir = "relative/dir"}), InvalidError);
  EXPECT_THROW(sb().exec({"true"}, {.timeout = std::chrono::milliseconds(1500)}), InvalidError);
  EXPECT_THROW(sb().exec({"true"}, {.timeout = std::chrono::seconds(-1)}), InvalidError);
  EXPECT_THROW(sb().exec({"true"}, {.env = {{"1BAD", "x"}}}), InvalidError);
  EXPECT_THROW(sb().exec({"true"}, {.env = {{"A-B", "x"}}}), InvalidError);
  EXPECT_EQ(received("TaskExecStart"), 1u);  // only the valid one
}

TEST_F(ExecBasicTest, TimeoutBecomesExecTimeoutError) {
  // Finishes long before its timeout; read and waited for only after the deadline below.
  auto early = sb().exec({"echo", "in time"}, {.timeout = std::chrono::seconds(1)});

  auto const t0 = Clock::now();
  auto p = sb().exec({"sleep", "30"}, {.timeout = std::chrono::seconds(1)});
  EXPECT_THROW(p.wait(), ExecTimeoutError);
  EXPECT_THROW(p.wait(), ExecTimeoutError);  // remembered
  EXPECT_GE(Clock::now() - t0, std::chrono::milliseconds(950));
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(5));

  auto q = sb().exec({"sh", "-c", "echo partial; sleep 30"}, {.timeout = std::chrono::seconds(1)});
  auto out = q.stdout_stream();
  EXPECT_EQ(out.read_line(), "partial");
  EXPECT_EQ(out.read_all(), "");  // the kill ended the stream; what came before stayed
  EXPECT_THROW(q.wait(), ExecTimeoutError);
  // The emulator killed the process group.
  std::optional<int> code;
  for (int i = 0; i < 100 && !code; ++i) {
    code = q.poll();
    if (!code) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(code, 137);

  // A command that finishes in time is unaffected.
  auto fast = sb().exec({"echo", "quick"}, {.timeout = std::chrono::seconds(5)});
  EXPECT_EQ(fast.stdout_stream().read_all(), "quick\n");
  EXPECT_EQ(fast.wait(), 0);
  // Even when its output and exit code are fetched after its deadline.
  ASSERT_GT(Clock::now() - t0, std::chrono::seconds(1));
  EXPECT_EQ(early.stdout_stream().read_all(), "in time\n");
  EXPECT_EQ(early.wait(), 0);
}

TEST_F(ExecBasicTest, PollReportsRunningThenTheExitCode) {
  auto p = sb().exec({"sh", "-c", "read line; exit 3"});
  EXPECT_EQ(p.poll(), std::nullopt);
  p.stdin_stream().write("go\n");
  EXPECT_EQ(p.wait(), 3);
  EXPECT_EQ(p.poll(), 3);
}

TEST_F(ExecBasicTest, StdoutAndStderrFromTwoThreads) {
  auto p = sb().exec(
      {"sh", "-c", "i=0; while [ $i -lt 2000 ]; do echo out$i; echo err$i >&2; i=$((i+1)); done"});
  std::string out;
  std::string err;
  std::thread t([&] { err = p.stderr_stream().read_all(); });
  out = p.stdout_stream().read_all();
  t.join();
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 2000);
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 2000);
  EXPECT_THAT(out, HasSubstr("out1999\n"));
  EXPECT_THAT(err, HasSubstr("err1999\n"));
  EXPECT_EQ(p.wait(), 0);
}

TEST_F(ExecBasicTest, ReadingOnlyOneStreamNeverDeadlocks) {
  // 24 MiB on stderr (more than the emulator buffers) before anything on stdout.
  auto p = sb().exec({"sh", "-c", "head -c 25165824 /dev/zero >&2; echo done"});
  EXPECT_EQ(p.stdout_stream().read_all(), "done\n");
  EXPECT_EQ(p.wait(), 0);
  EXPECT_EQ(p.stderr_stream().read_all().size(), 25165824u);
}

TEST_F(ExecBasicTest, WaitingWithoutReadingNeverDeadlocks) {
  auto p = sb().exec({"head", "-c", "25165824", "/dev/zero"});
  EXPECT_EQ(p.wait(), 0);
  EXPECT_EQ(p.stdout_stream().read_all().size(), 25165824u);
}

TEST_F(ExecBasicTest, DetachCancelsCallsInFlightAndLaterOnes) {
  auto p = sb().exec({"sleep", "30"});
  std::exception_ptr read_error;
  std::exception_ptr wait_error;
  std::thread reader([&] {
    try {
      p.stdout_stream().read_all();
    } catch (...) {
      read_error = std::current_exception();
    }
  });
  std::thread waiter([&] {
    try {
      p.wait();
    } catch (...) {
      wait_error = std::current_exception();
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto const t0 = Clock::now();
  sb().detach();
  reader.join();
  waiter.join();
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(2));
  EXPECT_THROW(std::rethrow_exception(read_error), ClientClosedError);
  EXPECT_THROW(std::rethrow_exception(wait_error), ClientClosedError);
  EXPECT_THROW(sb().exec({"true"}), ClientClosedError);
  EXPECT_THROW(p.poll(), ClientClosedError);
  EXPECT_THROW(p.stdin_stream().write("x"), ClientClosedError);
  EXPECT_THROW(sb().wait_until_ready(std::chrono::seconds(1)), ClientClosedError);
  sb().detach();  // idempotent
  // The Sandbox keeps running: a new handle can exec in it.
  auto again = c().sandboxes().from_id(sb().sandbox_id());
  EXPECT_EQ(again.exec({"echo", "still here"}).stdout_stream().read_all(), "still here\n");
  again.terminate();
  sandbox_.reset();
}

TEST_F(ExecBasicTest, ClientCloseEndsABlockedReadAndWaitWithinASecond) {
  auto p = sb().exec({"sleep", "30"});
  std::exception_ptr read_error;
  std::exception_ptr wait_error;
  std::exception_ptr sandbox_wait_error;
  std::thread reader([&] {
    try {
      char buf[16];
      p.stdout_stream().read(buf);  // blocks: `sleep` prints nothing
    } catch (...) {
      read_error = std::current_exception();
    }
  });
  std::thread waiter([&] {
    try {
      p.wait();
    } catch (...) {
      wait_error = std::current_exception();
    }
  });
  std::thread sandbox_waiter([&] {
    try {
      sb().wait();  // a SandboxWait long poll on the control plane
    } catch (...) {
      sandbox_wait_error = std::current_exception();
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // all three are blocked
  auto const t0 = Clock::now();
  c().close();
  reader.join();
  waiter.join();
  sandbox_waiter.join();
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(1));
  for (auto const& error : {read_error, wait_error, sandbox_wait_error}) {
    ASSERT_TRUE(error);
    try {
      std::rethrow_exception(error);
    } catch (ClientClosedError const& e) {
      EXPECT_STREQ(e.what(), "the Modal client is closed");
    } catch (std::exception const& e) {
      ADD_FAILURE() << "expected ClientClosedError, got: " << e.what();
    }
  }
  EXPECT_THROW(sb().exec({"true"}), ClientClosedError);
  EXPECT_THROW(p.poll(), ClientClosedError);
  auto const id = sb().sandbox_id();
  sandbox_.reset();  // its client is closed: terminate it through another one
  client().sandboxes().from_id(id).terminate();
}

TEST_F(ExecBasicTest, OneRouterSessionPerSandbox) {
  for (int i = 0; i < 3; ++i) EXPECT_EQ(sb().exec({"true"}).wait(), 0);
  EXPECT_EQ(received("TaskGetCommandRouterAccess"), session_fetches());
  // Router calls carry the bearer JWT and none of the control-plane headers.
  auto calls = emu().received_calls("TaskExecStart");
  ASSERT_FALSE(calls.empty());
  auto const& md = calls.front().metadata;
  ASSERT_EQ(md.count("authorization"), 1u);
  EXPECT_THAT(md.find("authorization")->second, ::testing::StartsWith("Bearer ey"));
  EXPECT_EQ(md.count("x-modal-token-secret"), 0u);
  // Another Sandbox has its own session.
  auto other = create();
  EXPECT_EQ(other.exec({"true"}).wait(), 0);
  EXPECT_EQ(received("TaskGetCommandRouterAccess"), session_fetches(2));
  other.terminate();
}

class ExecReadyTest : public ExecTest {
 protected:
  SandboxCreateParams create_params() override {
    SandboxCreateParams p;
    p.readiness_probe =
        Probe::exec({"test", "-f", "ready"}, {.interval = std::chrono::milliseconds(20)});
    return p;
  }
};

TEST_F(ExecReadyTest, WaitUntilReadyFollowsTheProbe) {
  auto const t0 = Clock::now();
  EXPECT_THROW(sb().wait_until_ready(std::chrono::milliseconds(300)), TimeoutError);
  auto const waited = Clock::now() - t0;
  EXPECT_GE(waited, std::chrono::milliseconds(290));
  EXPECT_LT(waited, std::chrono::seconds(3));
  EXPECT_EQ(sb().exec({"touch", "ready"}).wait(), 0);
  sb().wait_until_ready(std::chrono::seconds(10));
  EXPECT_THROW(sb().wait_until_ready(std::chrono::milliseconds(0)), InvalidError);
  EXPECT_THROW(sb().wait_until_ready(std::chrono::milliseconds(-5)), InvalidError);
}

TEST_F(ExecReadyTest, WaitUntilReadyRetriesTransientFailures) {
  EXPECT_EQ(sb().exec({"touch", "ready"}).wait(), 0);
  emulator::Fault f;
  f.count = 3;
  f.code = 14;
  emu().inject_fault("SandboxWaitUntilReady", f);
  sb().wait_until_ready(std::chrono::seconds(10));
  EXPECT_EQ(attempts("SandboxWaitUntilReady").size(), 4u);
}

TEST(RouterTargetTest, RouterUrlsMustBeHttps) {
  using internal::router_target;
  EXPECT_EQ(router_target("https://router.modal.example"), "router.modal.example:443");
  EXPECT_EQ(router_target("https://127.0.0.1:8443"), "127.0.0.1:8443");
  EXPECT_EQ(router_target("HTTPS://host:9/some/path?x=1"), "host:9");
  EXPECT_EQ(router_target("https://[::1]:5000"), "[::1]:5000");
  EXPECT_EQ(router_target("https://[::1]"), "[::1]:443");
  EXPECT_THROW(router_target("http://127.0.0.1:8443"), Error);
  EXPECT_THROW(router_target("127.0.0.1:8443"), Error);
  EXPECT_THROW(router_target("https://"), Error);
  EXPECT_THROW(router_target("https://host:0"), Error);
  EXPECT_THROW(router_target("https://host:70000"), Error);
  EXPECT_THROW(router_target("https://host:12ab"), Error);
}

TEST_F(ExecBasicTest, WaitingOnASandboxWithoutAProbeIsAConflict) {
  // Modal's guide: wait_until_ready() on a Sandbox configured without a readiness probe
  // raises an error (it neither returns at once nor waits for the timeout).
  EXPECT_THAT([&] { sb().wait_until_ready(std::chrono::minutes(5)); },
              ::testing::ThrowsMessage<ConflictError>(HasSubstr("has no readiness probe")));
}

}  // namespace
}  // namespace modal::testing
