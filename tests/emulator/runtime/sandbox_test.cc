// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "runtime/sandbox.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <set>
#include <string>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "runtime/probes.h"
#include "runtime/runtime.h"
#include "test_util.h"

extern char** environ;

namespace modal::emulator::runtime {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::live_in_sessions;
using testing::read_all;
using testing::wait_gone;
using testing::wait_sessions_empty;

ProcessSpec shell(std::string script) {
  ProcessSpec spec;
  spec.argv = {"sh", "-c", std::move(script)};
  return spec;
}

std::string unique_name(std::string const& stem) {
  static int counter = 0;
  return absl::StrCat(stem, "-", ::getpid(), "-", ++counter);
}

// How a SandboxTest runs: with namespaces (kAuto, as root) or in the fallback, with the
// fast spawn path or the fork path of ThreadSanitizer builds.
struct Mode {
  Isolation isolation{};
  bool fork{};
};

// GoogleTest finds a parameter printer by this name.
void PrintTo(Mode const& mode, std::ostream* os) {  // NOLINT(readability-identifier-naming)
  *os << (mode.isolation == Isolation::kAuto ? "namespaces" : "fallback")
      << (mode.fork ? ", forked" : "");
}

// The runtime's options for `mode`: the fallback (kNone) must be allowed explicitly.
RuntimeOptions options_for(Mode mode) {
  RuntimeOptions options;
  options.isolation = mode.isolation;
  options.unsafe_host_filesystem = mode.isolation == Isolation::kNone;
  options.spawn_with_fork = mode.fork;
  return options;
}

// Every sandbox test runs in each Mode.
class SandboxTest : public ::testing::TestWithParam<Mode> {
 protected:
  SandboxTest() : runtime_(options_for(GetParam())) {}

  bool expect_isolated() const { return GetParam().isolation == Isolation::kAuto; }

  std::shared_ptr<Sandbox> create(SandboxSpec spec) {
    auto sb = runtime_.create_sandbox(std::move(spec));
    EXPECT_TRUE(sb.ok()) << sb.status();
    if (!sb.ok()) return nullptr;
    EXPECT_EQ((*sb)->isolated(), expect_isolated());
    return *sb;
  }

  // Runs `script` in the sandbox and returns {stdout, exit code}.
  std::pair<std::string, int> run(Sandbox& sb, std::string script) {
    auto p = sb.exec(shell(std::move(script)));
    EXPECT_TRUE(p.ok()) << p.status();
    if (!p.ok()) return {"", -1};
    std::string out = read_all((*p)->stdout_buffer());
    auto status = (*p)->wait(deadline_after(seconds(10)));
    return {out, status ? status->exit_code() : -1};
  }

  Runtime runtime_;
};

TEST_P(SandboxTest, EntrypointExitsWithItsCode) {
  SandboxSpec spec;
  spec.argv = {"sh", "-c", "echo out; echo err >&2; exit 3"};
  auto sb = create(spec);
  ASSERT_TRUE(sb);
  EXPECT_EQ(read_all(sb->stdout_buffer()), "out\n");
  EXPECT_EQ(read_all(sb->stderr_buffer()), "err\n");
  auto result = sb->wait(deadline_after(seconds(10)));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->outcome, SandboxOutcome::kExited);
  EXPECT_EQ(result->exit_code(), 3);
  EXPECT_FALSE(std::filesystem::exists(sb->host_tmp_dir()));
  EXPECT_EQ(sb->exec(shell("true")).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(runtime_.running_sandbox_count(), 0u);
}

TEST_P(SandboxTest, MissingEntrypointCommandFails) {
  SandboxSpec spec;
  spec.argv = {"no-such-entrypoint-xyz"};
  auto sb = runtime_.create_sandbox(spec);
  EXPECT_EQ(sb.status().code(), absl::StatusCode::kNotFound) << sb.status();
  EXPECT_EQ(runtime_.running_sandbox_count(), 0u);
}

TEST_P(SandboxTest, IdlePlaceholderRunsExecsUntilTerminated) {
  auto sb = create(SandboxSpec{.id = "sb-idle"});
  ASSERT_TRUE(sb);
  EXPECT_EQ(sb->id(), "sb-idle");
  EXPECT_FALSE(sb->wait(deadline_after(milliseconds(50))).has_value());
  EXPECT_EQ(run(*sb, "echo hi").first, "hi\n");
  EXPECT_EQ(run(*sb, "exit 42").second, 42);
  sb->terminate();
  auto result = sb->wait(deadline_after(seconds(5)));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->outcome, SandboxOutcome::kTerminated);
  EXPECT_EQ(result->exit_code(), 137);
  EXPECT_TRUE(sb->stdout_buffer().wait_closed(deadline_after(seconds(5))));
  EXPECT_EQ(sb->exec(shell("true")).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_P(SandboxTest, BuiltinIdlePlaceholder) {
  RuntimeOptions options = options_for(GetParam());
  options.builtin_idle = true;
  Runtime runtime(options);
  auto sb = runtime.create_sandbox(SandboxSpec{});
  ASSERT_TRUE(sb.ok()) << sb.status();
  EXPECT_EQ((*sb)->isolated(), expect_isolated());
  EXPECT_FALSE((*sb)->wait(deadline_after(milliseconds(50))).has_value());
  EXPECT_EQ(run(**sb, "echo hi").first, "hi\n");
  (*sb)->terminate();
  auto result = (*sb)->wait(deadline_after(seconds(5)));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->outcome, SandboxOutcome::kTerminated);
  EXPECT_EQ(result->exit_code(), 137);
}

TEST_P(SandboxTest, ExecGetsSandboxEnvWorkdirAndOwnEnv) {
  SandboxSpec spec;
  spec.env = {{"FOO", "1"}, {"BAR", "1"}};
  auto sb = create(spec);
  ASSERT_TRUE(sb);
  ProcessSpec exec = shell("echo \"$FOO$BAR\"; pwd");
  exec.env = {{"BAR", "2"}};
  auto p = sb->exec(exec);
  ASSERT_TRUE(p.ok()) << p.status();
  std::string const expected_dir = expect_isolated() ? "/tmp" : sb->host_tmp_dir();
  EXPECT_EQ(read_all((*p)->stdout_buffer()), "12\n" + expected_dir + "\n");

  ProcessSpec elsewhere = shell("pwd");
  elsewhere.workdir = "/";
  auto q = sb->exec(elsewhere);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(read_all((*q)->stdout_buffer()), "/\n");
}

TEST_P(SandboxTest, ExecTimeoutKillsItsGroupOnly) {
  auto sb = create(SandboxSpec{});
  ASSERT_TRUE(sb);
  ProcessSpec spec = shell("sleep 100 & sleep 100");
  spec.timeout = milliseconds(200);
  auto p = sb->exec(spec);
  ASSERT_TRUE(p.ok());
  auto status = (*p)->wait(deadline_after(seconds(5)));
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->timed_out);
  EXPECT_EQ(status->exit_code(), 137);
  EXPECT_TRUE(wait_sessions_empty({(*p)->pid()}));
  EXPECT_FALSE(sb->finished());
  EXPECT_EQ(run(*sb, "echo alive").first, "alive\n");
}

TEST_P(SandboxTest, TerminateKillsEverything) {
  SandboxSpec spec;
  spec.argv = {"sh", "-c", "sleep 1000 & sleep 1000"};
  auto sb = create(spec);
  ASSERT_TRUE(sb);
  auto exec = sb->exec(shell("sleep 1000 & sleep 1000"));
  ASSERT_TRUE(exec.ok());
  std::set<long> const sessions = {sb->pid(), (*exec)->pid()};
  // Both trees are up: a shell and two sleeps each (4 if the shell execs the last one).
  auto const deadline = Clock::now() + seconds(5);
  while (live_in_sessions(sessions).size() < 4 && Clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_GE(live_in_sessions(sessions).size(), 4u);
  sb->terminate();
  auto result = sb->wait(deadline_after(seconds(5)));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->outcome, SandboxOutcome::kTerminated);
  EXPECT_TRUE(wait_sessions_empty(sessions));
  auto exec_status = (*exec)->wait(deadline_after(seconds(5)));
  ASSERT_TRUE(exec_status);
  EXPECT_EQ(exec_status->exit_code(), 137);
}

TEST_P(SandboxTest, EntrypointExitKillsExecs) {
  SandboxSpec spec;
  spec.argv = {"sh", "-c", "read x"};  // exits once stdin gets a line
  auto sb = create(spec);
  ASSERT_TRUE(sb);
  auto exec = sb->exec(shell("sleep 1000 & sleep 1000"));
  ASSERT_TRUE(exec.ok());
  ASSERT_TRUE(sb->write_stdin(1, "go\n", false).ok());
  auto result = sb->wait(deadline_after(seconds(5)));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->outcome, SandboxOutcome::kExited);
  EXPECT_EQ(result->exit_code(), 0);
  EXPECT_TRUE(wait_sessions_empty({(*exec)->pid()}));
}

TEST_P(SandboxTest, StdinIndexesAppliedOnce) {
  SandboxSpec spec;
  spec.argv = {"cat"};
  auto sb = create(spec);
  ASSERT_TRUE(sb);
  ASSERT_TRUE(sb->write_stdin(1, "abc", false).ok());
  ASSERT_TRUE(sb->write_stdin(1, "abc", false).ok());  // duplicate
  ASSERT_TRUE(sb->write_stdin(2, "def", false).ok());
  EXPECT_EQ(sb->write_stdin(5, "zzz", false).code(), absl::StatusCode::kOutOfRange);
  ASSERT_TRUE(sb->write_stdin(3, "", true).ok());
  EXPECT_EQ(read_all(sb->stdout_buffer()), "abcdef");
  auto result = sb->wait(deadline_after(seconds(5)));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->exit_code(), 0);
}

TEST_P(SandboxTest, LifetimeTimeout) {
  SandboxSpec spec;
  spec.timeout = milliseconds(200);
  auto const start = Clock::now();
  auto sb = create(spec);
  ASSERT_TRUE(sb);
  auto result = sb->wait(deadline_after(seconds(5)));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->outcome, SandboxOutcome::kTimeout);
  EXPECT_EQ(result->status.signal, SIGKILL);
  EXPECT_GE(Clock::now() - start, milliseconds(190));
}

TEST_P(SandboxTest, IdleTimeoutWaitsForRunningExecs) {
  SandboxSpec spec;
  spec.idle_timeout = milliseconds(250);
  auto sb = create(spec);
  ASSERT_TRUE(sb);
  auto exec = sb->exec(shell("sleep 0.6"));
  ASSERT_TRUE(exec.ok());
  // Past the idle timeout, but an exec is running.
  EXPECT_FALSE(sb->wait(deadline_after(milliseconds(450))).has_value());
  EXPECT_EQ(sb->running_execs(), 1);
  auto exec_status = (*exec)->wait(deadline_after(seconds(5)));
  ASSERT_TRUE(exec_status);
  EXPECT_EQ(exec_status->exit_code(), 0);
  auto const exited = Clock::now();
  auto result = sb->wait(deadline_after(seconds(5)));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->outcome, SandboxOutcome::kIdleTimeout);
  EXPECT_GE(Clock::now() - exited, milliseconds(150));
}

TEST_P(SandboxTest, PtyEntrypoint) {
  SandboxSpec spec;
  spec.argv = {"sh", "-c", "test -t 1 && echo tty"};
  spec.pty = PtyOptions{};
  auto sb = create(spec);
  ASSERT_TRUE(sb);
  EXPECT_EQ(read_all(sb->stdout_buffer()), "tty\r\n");
  auto result = sb->wait(deadline_after(seconds(5)));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->exit_code(), 0);
}

TEST_P(SandboxTest, ProbesReportReadiness) {
  auto sb = create(SandboxSpec{});
  ASSERT_TRUE(sb);
  auto ok = run_exec_probe(*sb, {"true"}, deadline_after(seconds(5)));
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(*ok);
  auto fail = run_exec_probe(*sb, {"false"}, deadline_after(seconds(5)));
  ASSERT_TRUE(fail.ok());
  EXPECT_FALSE(*fail);
  auto slow = run_exec_probe(*sb, {"sleep", "100"}, deadline_after(milliseconds(100)));
  ASSERT_TRUE(slow.ok());
  EXPECT_FALSE(*slow);

  int const listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  struct sockaddr_in addr {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  int const port = ntohs(addr.sin_port);
  EXPECT_TRUE(tcp_port_open(port));
  ::close(listener);
  EXPECT_FALSE(tcp_port_open(port));
  sb->terminate();
  EXPECT_EQ(run_exec_probe(*sb, {"true"}, deadline_after(seconds(1))).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_P(SandboxTest, RuntimeShutdownKillsSandboxes) {
  auto runtime = std::make_unique<Runtime>(options_for(GetParam()));
  SandboxSpec spec;
  spec.argv = {"sh", "-c", "sleep 1000 & sleep 1000"};
  auto sb = runtime->create_sandbox(spec);
  ASSERT_TRUE(sb.ok());
  auto idle = runtime->create_sandbox(SandboxSpec{});
  ASSERT_TRUE(idle.ok());
  auto exec = (*idle)->exec(shell("sleep 1000 & sleep 1000"));
  ASSERT_TRUE(exec.ok());
  std::set<long> const sessions = {(*sb)->pid(), (*idle)->pid(), (*exec)->pid()};
  runtime.reset();  // the destructor shuts down
  EXPECT_TRUE(wait_sessions_empty(sessions, milliseconds(500)));
  ASSERT_TRUE((*sb)->result());
  EXPECT_EQ((*sb)->result()->outcome, SandboxOutcome::kTerminated);
  EXPECT_TRUE((*sb)->stdout_buffer().closed());
}

// A process that owns a runtime is SIGKILLed (a crashed test): its sandboxes must not
// outlive it. The owner is a helper program (posix_spawn, so nothing of this test's
// threads, their locks included, is copied into it): it starts a runtime, a sandbox and
// an exec, reports their pids on fd 3 and waits to be killed.
TEST_P(SandboxTest, SandboxesDieWithACrashedOwner) {
  // Orphans are re-parented to this test process, which reaps them: no dependence on how
  // fast the host's init reaps (a PID namespace is only gone once all its pids are reaped).
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  struct ResetSubreaper {
    ~ResetSubreaper() { ::prctl(PR_SET_CHILD_SUBREAPER, 0); }
  } reset_subreaper;
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  Isolation const isolation = GetParam().isolation;
  std::vector<std::string> args = {MODAL_RUNTIME_OWNER_HELPER,
                                   isolation == Isolation::kAuto ? "namespaces" : "fallback"};
  if (GetParam().fork) args.emplace_back("fork");
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 3);  // dup2 clears close-on-exec
  pid_t child = -1;
  int const spawned = ::posix_spawn(&child, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  ASSERT_EQ(spawned, 0) << std::strerror(spawned);
  pid_t pids[2] = {0, 0};
  ssize_t const n = ::read(fds[0], pids, sizeof pids);
  ::close(fds[0]);
  int status;
  if (n != static_cast<ssize_t>(sizeof pids)) {
    ::kill(child, SIGKILL);
    ::waitpid(child, &status, 0);
    FAIL() << "the owner did not report its sandbox (exit status " << status << ")";
  }
  std::set<long> const sessions = {pids[0], pids[1]};
  EXPECT_FALSE(live_in_sessions(sessions).empty());
  ::kill(child, SIGKILL);
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  // With namespaces everything in them dies; without, the direct children (PDEATHSIG).
  auto all_gone = [&] {
    if (isolation == Isolation::kAuto) return live_in_sessions(sessions).empty();
    return testing::process_gone(pids[0]) && testing::process_gone(pids[1]);
  };
  // A generous bound (the event is awaited, not timed): sanitized processes on a loaded
  // machine take seconds to exit.
  auto const deadline = Clock::now() + seconds(20);
  while (!all_gone() && Clock::now() < deadline) {
    while (::waitpid(-1, &status, WNOHANG) > 0) {
    }
    std::this_thread::sleep_for(milliseconds(2));
  }
  EXPECT_TRUE(all_gone());
  while (::waitpid(-1, &status, WNOHANG) > 0) {
  }
}

std::string mode_name(::testing::TestParamInfo<Mode> const& param) {
  return std::string(param.param.isolation == Isolation::kAuto ? "Namespaces" : "Fallback") +
         (param.param.fork ? "Forked" : "");
}

INSTANTIATE_TEST_SUITE_P(Isolation, SandboxTest,
                         ::testing::Values(Mode{Isolation::kAuto, false},
                                           Mode{Isolation::kNone, false},
                                           Mode{Isolation::kAuto, true},
                                           Mode{Isolation::kNone, true}),
                         mode_name);

// ---- Namespace-specific behaviour ----------------------------------------------------

class NamespaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto probe = runtime_.create_sandbox(SandboxSpec{});
    ASSERT_TRUE(probe.ok()) << probe.status();
    // The brief: we run as root on Linux, so namespaces must work here.
    ASSERT_TRUE((*probe)->isolated()) << "namespaces unavailable (not root?)";
    (*probe)->terminate();
  }
  std::string run(Sandbox& sb, std::string script) {
    auto p = sb.exec(shell(std::move(script)));
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? read_all((*p)->stdout_buffer()) : "";
  }
  Runtime runtime_;
};

TEST_F(NamespaceTest, PrivateTmpPerSandbox) {
  auto a = runtime_.create_sandbox(SandboxSpec{});
  auto b = runtime_.create_sandbox(SandboxSpec{});
  ASSERT_TRUE(a.ok() && b.ok());
  std::string const name = unique_name("runtime-private-tmp");
  EXPECT_EQ(run(**a, "echo secret > /tmp/" + name + " && cat /tmp/" + name), "secret\n");
  EXPECT_EQ(run(**b, "test -e /tmp/" + name + " && echo visible || echo invisible"), "invisible\n");
  EXPECT_FALSE(std::filesystem::exists("/tmp/" + name));
  EXPECT_TRUE(std::filesystem::exists((*a)->host_tmp_dir() + "/" + name));
  // The entrypoint sees the same private /tmp as its execs.
  EXPECT_EQ(run(**a, "cat /proc/1/root/tmp/" + name), "secret\n");
}

TEST_F(NamespaceTest, ExecsShareThePidNamespace) {
  auto sb = runtime_.create_sandbox(SandboxSpec{});
  ASSERT_TRUE(sb.ok());
  // PID 1 is the sandbox's init (the idle placeholder) and /proc is private. The init may
  // not have exec'd its program yet when the sandbox is returned: poll (bounded) for it.
  std::string cmdline;
  auto const give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  do {
    cmdline = run(**sb, "tr '\\0' ' ' < /proc/1/cmdline");
    if (cmdline.find("sleep infinity") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (std::chrono::steady_clock::now() < give_up);
  EXPECT_NE(cmdline.find("sleep infinity"), std::string::npos) << cmdline;
  std::string const pid = run(**sb, "echo $$");
  int inner = 0;
  ASSERT_TRUE(absl::SimpleAtoi(absl::StripSuffix(pid, "\n"), &inner)) << pid;
  EXPECT_GT(inner, 1);
  EXPECT_LT(inner, 1000);
  // Same mount namespace as the init; different from the emulator's.
  char host_ns[256] = {}, init_ns[256] = {};
  ASSERT_GT(::readlink("/proc/self/ns/mnt", host_ns, sizeof host_ns - 1), 0);
  ASSERT_GT(::readlink(("/proc/" + std::to_string((*sb)->pid()) + "/ns/mnt").c_str(), init_ns,
                       sizeof init_ns - 1),
            0);
  EXPECT_STRNE(host_ns, init_ns);
  EXPECT_EQ(run(**sb, "readlink /proc/self/ns/mnt"), std::string(init_ns) + "\n");
}

size_t open_fd_count() {
  size_t n = 0;
  for ([[maybe_unused]] auto const& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    ++n;
  }
  return n;
}

TEST_P(SandboxTest, NoFileDescriptorLeaks) {
  size_t const baseline = open_fd_count();
  for (int i = 0; i < 3; ++i) {
    SandboxSpec spec;
    spec.pty = i == 1 ? std::optional<PtyOptions>(PtyOptions{}) : std::nullopt;
    auto sb = create(spec);
    ASSERT_TRUE(sb);
    for (int j = 0; j < 3; ++j) {
      ProcessSpec exec = shell("echo out; echo err >&2; cat");
      if (j == 1) exec.pty = PtyOptions{};
      auto p = sb->exec(exec);
      ASSERT_TRUE(p.ok());
      ASSERT_TRUE((*p)->stdin_sink().write(0, "in\n", true).ok());
      read_all((*p)->stdout_buffer());
      read_all((*p)->stderr_buffer());
      ASSERT_TRUE((*p)->wait(deadline_after(seconds(5))));
    }
    sb->terminate();
    ASSERT_TRUE(sb->wait(deadline_after(seconds(5))));
    EXPECT_TRUE(sb->stdout_buffer().wait_closed(deadline_after(seconds(5))));
  }
  // Pumps close on the I/O thread right after EOF; give it a moment.
  auto const deadline = Clock::now() + seconds(2);
  while (open_fd_count() > baseline && Clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_EQ(open_fd_count(), baseline);
}

TEST(FallbackTest, SharedTmpWithoutNamespaces) {
  Runtime runtime(RuntimeOptions{.isolation = Isolation::kNone, .unsafe_host_filesystem = true});
  auto sb = runtime.create_sandbox(SandboxSpec{});
  ASSERT_TRUE(sb.ok());
  EXPECT_FALSE((*sb)->isolated());
  EXPECT_EQ(runtime.namespaces_available(), false);
  std::string const name = unique_name("runtime-shared-tmp");
  auto p = (*sb)->exec(shell("echo x > /tmp/" + name));
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE((*p)->wait(deadline_after(seconds(5))));
  EXPECT_TRUE(std::filesystem::exists("/tmp/" + name));
  std::filesystem::remove("/tmp/" + name);
}

}  // namespace
}  // namespace modal::emulator::runtime
