// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// The entrypoint's stdin, stdout and stderr (SandboxStdinWrite, SandboxGetLogs).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sandbox_test_util.h"

namespace modal::testing {
namespace {

using ::testing::HasSubstr;

TEST_F(SandboxTest, StdinIsEchoedByCat) {
  auto sb = create({.command = {"cat"}});
  auto in = sb.stdin_stream();
  in.write("hello\n");
  in.write("");  // nothing is sent
  in.write("world");
  in.close();
  in.close();  // idempotent
  EXPECT_EQ(sb.stdout_stream().read_all(), "hello\nworld");
  EXPECT_EQ(sb.wait(), 0);
  // Index 1 and 2 for the data, 3 for EOF.
  EXPECT_EQ(emu().received_calls(rpc("SandboxStdinWrite")).size(), 3u);
  EXPECT_THROW(in.write("late"), InvalidError);
}

TEST_F(SandboxTest, StdoutAndStderrAreSeparate) {
  auto sb = create({.command = {"sh", "-c", "echo out; echo err >&2; echo out2"}});
  EXPECT_EQ(sb.stderr_stream().read_all(), "err\n");
  EXPECT_EQ(sb.stdout_stream().read_all(), "out\nout2\n");
  EXPECT_EQ(sb.wait(), 0);
}

TEST_F(SandboxTest, CopiesOfAStreamShareOnePosition) {
  auto sb = create({.command = {"sh", "-c", "echo one; echo two; echo three"}});
  auto first = sb.stdout_stream();
  auto second = sb.stdout_stream();
  EXPECT_EQ(first.read_line(), "one");
  EXPECT_EQ(second.read_line(), "two");
  std::vector<std::string> rest;
  for (auto const& line : first.lines()) rest.push_back(line);
  EXPECT_EQ(rest, std::vector<std::string>{"three"});
}

TEST_F(SandboxTest, LargeOutputArrivesByteExact) {
  auto sb = create({.command = {"sh", "-c", "head -c 3000000 /dev/zero | tr '\\0' 'a'; echo END"}});
  auto const out = sb.stdout_stream().read_all();
  ASSERT_EQ(out.size(), 3000004u);
  EXPECT_EQ(out.find_first_not_of('a'), 3000000u);
  EXPECT_EQ(out.substr(3000000), "END\n");
}

TEST_F(SandboxTest, LargeStdinIsSplitAndDeliveredOnce) {
  auto sb = create({.command = {"sh", "-c", "wc -c"}});
  auto in = sb.stdin_stream();
  in.write(std::string(2500000, 'z'));  // 3 messages of at most 1 MiB
  in.close();
  EXPECT_EQ(sb.stdout_stream().read_all(), "2500000\n");
  EXPECT_EQ(emu().received_calls(rpc("SandboxStdinWrite")).size(), 4u);
}

TEST_F(SandboxTest, MultibyteUtf8SurvivesAndV1ReplacesInvalidBytes) {
  // 3000 × "héllo ✓\n" crosses many 64 KiB chunk boundaries mid-character.
  auto sb = create({.command = {"sh", "-c",
                                "i=0; while [ $i -lt 3000 ]; do printf 'h\\303\\251llo "
                                "\\342\\234\\223\\n'; i=$((i+1)); done; printf 'x\\377y\\n'"}});
  auto const out = sb.stdout_stream().read_all();
  std::string expected;
  for (int i = 0; i < 3000; ++i) expected += "h\xC3\xA9llo \xE2\x9C\x93\n";
  // V1: TaskLogs.data is a proto string, so the emulator replaces bytes that are not UTF-8.
  // V2: SandboxStdioReadV2's data is bytes, which arrive as they are.
  expected += v2_mode() ? "x\xFFy\n" : "x\xEF\xBF\xBDy\n";
  EXPECT_EQ(out, expected);
}

TEST_F(SandboxTest, OutputCanBeReadAfterTheSandboxFinished) {
  auto sb = create({.command = {"sh", "-c", "echo done; exit 3"}});
  EXPECT_EQ(sb.wait(), 3);
  EXPECT_EQ(sb.stdout_stream().read_all(), "done\n");
  EXPECT_EQ(sb.stderr_stream().read_all(), "");
}

TEST_F(SandboxTest, EveryHandleReadsTheWholeOutput) {
  // Reading does not consume the entrypoint's output: another handle, of the same or of
  // another Client, reads it again from the start.
  auto sb = create({.command = {"sh", "-c", "echo one; echo two; echo err >&2"}});
  EXPECT_EQ(sb.stdout_stream().read_all(), "one\ntwo\n");
  EXPECT_EQ(c().sandboxes().from_id(sb.sandbox_id()).stdout_stream().read_all(), "one\ntwo\n");
  Client other(fast_options());
  auto again = other.sandboxes().from_id(sb.sandbox_id());
  EXPECT_EQ(again.stdout_stream().read_all(), "one\ntwo\n");
  EXPECT_EQ(again.stderr_stream().read_all(), "err\n");
  EXPECT_EQ(sb.stderr_stream().read_all(), "err\n");
  EXPECT_EQ(sb.wait(), 0);
}

TEST_F(SandboxTest, ASecondHandleOfARunningEntrypointReadsFromTheStart) {
  auto sb = create({.command = {"sh", "-c", "echo one; read x; echo two"}});
  EXPECT_EQ(sb.stdout_stream().read_line(), "one");
  // The entrypoint now waits for stdin: a second handle's read_line() returns its next
  // line (the first one) at once instead of blocking until the Sandbox ends.
  auto second = c().sandboxes().from_id(sb.sandbox_id());
  EXPECT_EQ(second.stdout_stream().read_line(), "one");
  auto in = sb.stdin_stream();
  in.write("go\n");
  in.close();
  EXPECT_EQ(second.stdout_stream().read_line(), "two");
  EXPECT_EQ(sb.stdout_stream().read_line(), "two");
  EXPECT_EQ(sb.wait(), 0);
  EXPECT_EQ(c().sandboxes().from_id(sb.sandbox_id()).stdout_stream().read_all(), "one\ntwo\n");
}

TEST_F(SandboxTest, StdinOfASandboxThatExitedIsAPipeWithoutAReader) {
  // Written after the entrypoint exited on its own: accepted and discarded, as a pipe
  // whose reader has gone.
  auto sb = create({.command = {"true"}});
  EXPECT_EQ(sb.wait(), 0);
  auto in = sb.stdin_stream();
  EXPECT_NO_THROW(in.write("too late"));
  EXPECT_NO_THROW(in.close());
}

TEST_F(SandboxTest, StdinOfATerminatedSandboxIsRefused) {
  auto sb = create({.command = {"sleep", "30"}});
  sb.terminate({.wait = true});
  // Through another handle: this one refuses on its own once it terminated the Sandbox.
  auto in = c().sandboxes().from_id(sb.sandbox_id()).stdin_stream();
  EXPECT_THAT([&] { in.write("too late"); },
              ::testing::ThrowsMessage<ConflictError>(HasSubstr("Sandbox has already terminated")));
  EXPECT_NO_THROW(in.close());  // EOF to a finished Sandbox is not an error
}

TEST_F(SandboxTest, WriteALineCloseAndWaitWhileTheEntrypointExits) {
  // The entrypoint exits as soon as it has read the line: the EOF that follows races its
  // exit, and must never fail.
  for (int i = 0; i < 20; ++i) {
    auto sb = create({.command = {"head", "-n", "1"}});
    auto in = sb.stdin_stream();
    in.write("line " + std::to_string(i) + "\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(i % 4 * 5));
    EXPECT_NO_THROW(in.close()) << i;
    EXPECT_EQ(sb.wait(), 0) << i;
    EXPECT_EQ(sb.stdout_stream().read_all(), "line " + std::to_string(i) + "\n");
  }
}

TEST_F(SandboxTest, ReadBlocksUntilOutputArrives) {
  auto sb = create({.command = {"sh", "-c", "read x; echo got $x"}});
  std::thread writer([sb] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    auto in = sb.stdin_stream();
    in.write("ping\n");
  });
  EXPECT_EQ(sb.stdout_stream().read_line(), "got ping");
  writer.join();
  EXPECT_EQ(sb.wait(), 0);
}

TEST_F(SandboxTest, PtyEntrypointWritesEverythingToStdout) {
  auto sb = create({.command = {"sh", "-c", "tty; echo to-stderr >&2; echo $TERM"}, .pty = true});
  auto const out = sb.stdout_stream().read_all();
  EXPECT_THAT(out, HasSubstr("/dev/pts/"));
  EXPECT_THAT(out, HasSubstr("to-stderr"));
  EXPECT_THAT(out, HasSubstr("xterm-256color"));
  EXPECT_EQ(sb.stderr_stream().read_all(), "");
  EXPECT_EQ(sb.wait(), 0);
}

class SandboxStreamBreakTest : public SandboxTest {
 protected:
  emulator::EmulatorOptions emulator_options() override {
    emulator::EmulatorOptions o;
    o.stream_break_after = 1;  // every SandboxGetLogs stream fails after one message
    return o;
  }
  // SandboxGetLogs is the V1 entrypoint's stdio: these Sandboxes are V1 in either run.
  void SetUp() override {
    SandboxTest::SetUp();
    auto o = fast_options();
    o.sandbox_v2 = false;
    client_ = std::make_unique<Client>(o);
  }
};

TEST_F(SandboxStreamBreakTest, LogsResumeFromTheLastEntryWithoutLossOrRepeats) {
  auto sb =
      create({.command = {"sh", "-c", "for i in 1 2 3 4 5 6; do echo line $i; sleep 0.05; done"}});
  std::string const expected = "line 1\nline 2\nline 3\nline 4\nline 5\nline 6\n";
  EXPECT_EQ(sb.stdout_stream().read_all(), expected);
  auto const log_calls = emu().received_calls("SandboxGetLogs");
  EXPECT_GE(log_calls.size(), 6u);
  auto const broken = std::count_if(log_calls.begin(), log_calls.end(),
                                    [](auto const& call) { return call.code == 14; });
  EXPECT_GE(broken, 5);
}

TEST_F(SandboxStreamBreakTest, InjectedFaultsOnReconnectAreRetried) {
  auto sb = create({.command = {"sh", "-c", "echo a; sleep 0.2; echo b"}});
  emu().inject_fault("SandboxGetLogs", {.count = 3, .code = 14});
  EXPECT_EQ(sb.stdout_stream().read_all(), "a\nb\n");
}

TEST_F(SandboxTest, PersistentLogFailureSurfacesAsAnError) {
  auto sb = create({.command = {"sh", "-c", "echo a"}});
  // V1: the control plane's SandboxGetLogs; V2: the router's SandboxStdioReadV2.
  emu().inject_fault(v2_mode() ? "SandboxStdioReadV2" : "SandboxGetLogs",
                     {.count = 100, .code = 14, .message = "logs are down"});
  EXPECT_THAT([&] { sb.stdout_stream().read_all(); },
              ::testing::ThrowsMessage<ConnectionError>(HasSubstr("logs are down")));
  emu().clear_faults();
  sb.terminate();
}

}  // namespace
}  // namespace modal::testing
