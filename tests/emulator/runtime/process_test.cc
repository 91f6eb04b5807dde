// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "runtime/process.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "runtime/runtime.h"
#include "test_util.h"

namespace modal::emulator::runtime {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::read_all;
using testing::wait_gone;

ProcessSpec command(std::vector<std::string> argv) {
  ProcessSpec spec;
  spec.argv = std::move(argv);
  return spec;
}

ProcessSpec shell(std::string script) { return command({"sh", "-c", std::move(script)}); }

class ProcessTest : public ::testing::Test {
 protected:
  std::shared_ptr<Process> start(ProcessSpec spec) {
    auto p = runtime_.start_process(std::move(spec));
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *p : nullptr;
  }
  ExitStatus finish(Process& p) {
    auto status = p.wait(deadline_after(seconds(10)));
    EXPECT_TRUE(status.has_value());
    return status.value_or(ExitStatus{-100, 0, false});
  }

  Runtime runtime_;
};

TEST(ExitStatusTest, MapsWaitStatus) {
  EXPECT_EQ(exit_status_from_wait_status(42 << 8).exit_code(), 42);
  ExitStatus killed = exit_status_from_wait_status(SIGKILL);
  EXPECT_EQ(killed.signal, SIGKILL);
  EXPECT_EQ(killed.exit_code(), 137);
  EXPECT_FALSE(killed.success());
  EXPECT_TRUE(exit_status_from_wait_status(0).success());
}

TEST_F(ProcessTest, ExitCodesAndSignals) {
  auto ok = start(command({"true"}));
  EXPECT_EQ(finish(*ok).exit_code(), 0);
  auto code = start(shell("exit 42"));
  ExitStatus s = finish(*code);
  EXPECT_EQ(s.code, 42);
  EXPECT_EQ(s.signal, 0);
  auto killed = start(shell("kill -9 $$"));
  s = finish(*killed);
  EXPECT_EQ(s.signal, SIGKILL);
  EXPECT_EQ(s.exit_code(), 137);
  EXPECT_FALSE(s.timed_out);
}

TEST_F(ProcessTest, KillSendsSigkill) {
  auto p = start(command({"sleep", "100"}));
  EXPECT_FALSE(p->wait(deadline_after(milliseconds(50))).has_value());
  EXPECT_TRUE(p->running());
  p->kill();
  EXPECT_EQ(finish(*p).exit_code(), 137);
  EXPECT_FALSE(p->running());
}

TEST_F(ProcessTest, CapturesStdoutAndStderrSeparately) {
  auto p = start(shell("echo out; echo err >&2"));
  EXPECT_EQ(read_all(p->stdout_buffer()), "out\n");
  EXPECT_EQ(read_all(p->stderr_buffer()), "err\n");
  EXPECT_EQ(finish(*p).exit_code(), 0);
}

TEST_F(ProcessTest, MergesStderrAndDiscardsDevNull) {
  ProcessSpec merged = shell("echo out; echo err >&2");
  merged.stderr_mode = StdioMode::kMergeWithStdout;
  auto p = start(merged);
  EXPECT_EQ(read_all(p->stdout_buffer()), "out\nerr\n");
  EXPECT_TRUE(p->stderr_buffer().closed());
  EXPECT_EQ(read_all(p->stderr_buffer()), "");

  ProcessSpec quiet = shell("echo out; echo err >&2");
  quiet.stdout_mode = StdioMode::kDevNull;
  auto q = start(quiet);
  EXPECT_EQ(read_all(q->stdout_buffer()), "");
  EXPECT_EQ(read_all(q->stderr_buffer()), "err\n");
}

TEST_F(ProcessTest, EnvironmentIsExactlyTheSpec) {
  ::setenv("MODAL_RUNTIME_TEST_LEAK", "leaked", 1);
  ProcessSpec spec = command({"env"});
  spec.env = {{"FOO", "bar baz"}, {"EMPTY", ""}};
  auto p = start(spec);
  std::string const env = read_all(p->stdout_buffer());
  ::unsetenv("MODAL_RUNTIME_TEST_LEAK");
  EXPECT_NE(env.find("FOO=bar baz\n"), std::string::npos) << env;
  EXPECT_NE(env.find("EMPTY=\n"), std::string::npos) << env;
  EXPECT_NE(env.find("PATH="), std::string::npos) << env;
  EXPECT_NE(env.find("HOME="), std::string::npos) << env;
  EXPECT_EQ(env.find("MODAL_RUNTIME_TEST_LEAK"), std::string::npos) << env;
  std::vector<std::string> lines = absl::StrSplit(env, '\n', absl::SkipEmpty());
  EXPECT_EQ(lines.size(), 4u) << env;
}

TEST_F(ProcessTest, WorkdirApplied) {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("runtime-workdir-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  ProcessSpec spec = command({"pwd"});
  spec.workdir = dir.string();
  auto p = start(spec);
  EXPECT_EQ(read_all(p->stdout_buffer()), dir.string() + "\n");
  std::filesystem::remove_all(dir);

  ProcessSpec bad = command({"pwd"});
  bad.workdir = "/nonexistent/dir/for/runtime/test";
  EXPECT_EQ(runtime_.start_process(bad).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ProcessTest, MissingCommandIsNotFound) {
  auto p = runtime_.start_process(command({"definitely-not-a-command-xyz"}));
  EXPECT_EQ(p.status().code(), absl::StatusCode::kNotFound) << p.status();
  auto abs = runtime_.start_process(command({"/nonexistent/bin/tool"}));
  EXPECT_EQ(abs.status().code(), absl::StatusCode::kNotFound) << abs.status();
  EXPECT_EQ(runtime_.start_process(ProcessSpec{}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ProcessTest, PtyOnlyWhenAsked) {
  ProcessSpec with_pty = shell("test -t 0 && test -t 1 && echo \"$TERM\"");
  with_pty.pty = PtyOptions{};
  auto p = start(with_pty);
  std::string const out = read_all(p->stdout_buffer());
  EXPECT_EQ(finish(*p).exit_code(), 0);
  EXPECT_EQ(std::string(absl::StripSuffix(out, "\r\n")), "xterm-256color");
  EXPECT_TRUE(p->has_pty());

  auto plain = start(shell("test -t 1"));
  EXPECT_EQ(finish(*plain).exit_code(), 1);
}

TEST_F(ProcessTest, PtyWindowSizeAndInput) {
  ProcessSpec spec = shell("stty size; read line; echo \"got:$line\"");
  spec.pty = PtyOptions{33, 101, "xterm", ""};
  auto p = start(spec);
  ASSERT_TRUE(p->stdin_sink().write(0, "hi\n", false).ok());
  std::string const out = read_all(p->stdout_buffer());
  EXPECT_NE(out.find("33 101"), std::string::npos) << out;
  EXPECT_NE(out.find("got:hi"), std::string::npos) << out;
  EXPECT_EQ(finish(*p).exit_code(), 0);
}

TEST_F(ProcessTest, PtyStdinEofEndsCat) {
  ProcessSpec spec = command({"cat"});
  spec.pty = PtyOptions{};
  auto p = start(spec);
  ASSERT_TRUE(p->stdin_sink().write(0, "line\n", true).ok());
  EXPECT_EQ(finish(*p).exit_code(), 0);
}

TEST_F(ProcessTest, CatEchoesMegabytesByteExact) {
  auto p = start(command({"cat"}));
  std::string data(3 << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 131 + i / 4099) & 0xff);
  std::string out;
  std::thread reader([&] { out = read_all(p->stdout_buffer(), deadline_after(seconds(20))); });
  size_t offset = 0;
  while (offset < data.size()) {
    size_t const n = std::min<size_t>(256 << 10, data.size() - offset);
    auto r = p->stdin_sink().write(offset, std::string_view(data).substr(offset, n), false,
                                   deadline_after(seconds(10)));
    ASSERT_TRUE(r.ok()) << r.status();
    // A retried (duplicate) write changes nothing.
    ASSERT_TRUE(p->stdin_sink()
                    .write(offset, std::string_view(data).substr(offset, n), false,
                           deadline_after(seconds(10)))
                    .ok());
    offset += n;
  }
  EXPECT_EQ(p->stdin_sink().write(offset + 5, "gap", false).status().code(),
            absl::StatusCode::kOutOfRange);
  ASSERT_TRUE(p->stdin_sink().write(offset, "", true).ok());
  reader.join();
  EXPECT_EQ(out.size(), data.size());
  EXPECT_TRUE(out == data);
  EXPECT_EQ(finish(*p).exit_code(), 0);
  EXPECT_TRUE(p->stdin_sink().wait_drained(deadline_after(seconds(5))));
  auto status = p->stdin_sink().status();
  EXPECT_EQ(status.accepted, data.size());
  EXPECT_EQ(status.written, data.size());
  EXPECT_TRUE(status.eof);
  EXPECT_TRUE(status.closed);
}

TEST_F(ProcessTest, StdinDisabledIsDevNull) {
  ProcessSpec spec = command({"cat"});
  spec.stdin_enabled = false;
  auto p = start(spec);
  EXPECT_EQ(finish(*p).exit_code(), 0);
  EXPECT_EQ(read_all(p->stdout_buffer()), "");
}

TEST_F(ProcessTest, StdinOfExitedProcessIsDiscarded) {
  auto p = start(command({"true"}));
  finish(*p);
  // Whatever happens, the writer is not blocked forever.
  auto r = p->stdin_sink().write(0, std::string(64 << 10, 'x'), false, deadline_after(seconds(5)));
  EXPECT_TRUE(r.ok()) << r.status();
}

TEST_F(ProcessTest, BackPressureBlocksWriterThenCompletes) {
  ProcessSpec spec = command({"head", "-c", "67108864", "/dev/zero"});
  spec.output_options.capacity = 256 << 10;
  auto p = start(spec);
  // Nobody reads: the process must block with bounded memory.
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_TRUE(p->running());
  EXPECT_LE(p->stdout_buffer().buffered(), size_t{256} << 10);
  EXPECT_LT(p->stdout_buffer().size(), uint64_t{8} << 20);  // ≤ capacity + pipe buffer
  // Now drain it.
  uint64_t offset = 0;
  std::string chunk;
  bool zeros = true;
  for (;;) {
    chunk.clear();
    auto r = p->stdout_buffer().read_into(offset, 1 << 20, &chunk, deadline_after(seconds(10)));
    ASSERT_TRUE(r.ok());
    if (chunk.find_first_not_of('\0') != std::string::npos) zeros = false;
    offset += r->size;
    if (r->eof || r->size == 0) break;
    EXPECT_LE(p->stdout_buffer().buffered(), size_t{256} << 10);
  }
  EXPECT_EQ(offset, uint64_t{64} << 20);
  EXPECT_TRUE(zeros);
  EXPECT_EQ(finish(*p).exit_code(), 0);
}

TEST_F(ProcessTest, TimeoutKillsTheWholeProcessGroup) {
  ProcessSpec spec = shell("sleep 100 & echo $!; sleep 100");
  spec.timeout = milliseconds(300);
  auto p = start(spec);
  std::string line;
  uint64_t offset = 0;
  while (line.find('\n') == std::string::npos) {
    auto r = p->stdout_buffer().read_into(offset, 100, &line, deadline_after(seconds(5)));
    ASSERT_TRUE(r.ok());
    ASSERT_GT(r->size, 0u);
    offset += r->size;
  }
  pid_t background = 0;
  ASSERT_TRUE(absl::SimpleAtoi(absl::StripSuffix(line, "\n"), &background)) << line;
  ExitStatus s = finish(*p);
  EXPECT_TRUE(s.timed_out);
  EXPECT_EQ(s.signal, SIGKILL);
  EXPECT_EQ(s.exit_code(), 137);
  EXPECT_TRUE(wait_gone(background));
  EXPECT_TRUE(p->stdout_buffer().wait_closed(deadline_after(seconds(5))));
}

TEST_F(ProcessTest, ManyShortProcesses) {
  for (int i = 0; i < 50; ++i) {
    auto p = start(command({"true"}));
    ASSERT_EQ(finish(*p).exit_code(), 0);
  }
  EXPECT_EQ(runtime_.running_process_count(), 0u);
}

TEST(RuntimeWithoutPidfd, PollsForExits) {
  Runtime runtime(RuntimeOptions{.use_pidfd = false});
  auto code = runtime.start_process(shell("echo hi; exit 7"));
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(read_all((*code)->stdout_buffer()), "hi\n");
  auto status = (*code)->wait(deadline_after(seconds(5)));
  ASSERT_TRUE(status);
  EXPECT_EQ(status->exit_code(), 7);
  auto sleeper = runtime.start_process(command({"sleep", "100"}));
  ASSERT_TRUE(sleeper.ok());
  EXPECT_FALSE((*sleeper)->wait(deadline_after(milliseconds(50))).has_value());
  (*sleeper)->kill();
  status = (*sleeper)->wait(deadline_after(seconds(5)));
  ASSERT_TRUE(status);
  EXPECT_EQ(status->exit_code(), 137);
  EXPECT_EQ(runtime.running_process_count(), 0u);
}

TEST(RuntimeShutdown, KillsProcessesAndClosesStreams) {
  auto runtime = std::make_unique<Runtime>();
  auto p = runtime->start_process(command({"sleep", "100"}));
  ASSERT_TRUE(p.ok());
  pid_t const pid = (*p)->pid();
  std::string const state_dir = runtime->state_dir();
  EXPECT_TRUE(std::filesystem::exists(state_dir));
  runtime->shutdown();
  EXPECT_TRUE(testing::process_gone(pid));
  EXPECT_EQ((*p)->poll().value_or(ExitStatus{}).exit_code(), 137);
  EXPECT_TRUE((*p)->stdout_buffer().closed());
  EXPECT_FALSE(std::filesystem::exists(state_dir));
  EXPECT_EQ(runtime->start_process(command({"true"})).status().code(),
            absl::StatusCode::kFailedPrecondition);
  runtime.reset();
  // Handles outlive the runtime.
  EXPECT_EQ(read_all((*p)->stdout_buffer()), "");
}

}  // namespace
}  // namespace modal::emulator::runtime
