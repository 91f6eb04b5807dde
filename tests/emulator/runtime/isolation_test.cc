// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// What an isolated sandbox sees and cannot do: its overlay root (writes stay in it), /dev,
// /sys and /proc, nested host mounts, the state directory, its capabilities, terminals of
// its own, the network namespace of a blocked sandbox, cgroup limits, and the refusal
// where sandboxes cannot be isolated. These tests run as root (the brief's machine).
#include <arpa/inet.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "runtime/runtime.h"
#include "runtime/sandbox.h"
#include "runtime/sandbox_root.h"
#include "runtime/state_dir.h"
#include "test_util.h"

extern char** environ;

namespace modal::emulator::runtime {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;
using ::testing::HasSubstr;
using testing::read_all;
using ::testing::StartsWith;

struct Ran {
  std::string out{};  // stdout and stderr
  int code = -1;
};

Ran run(Sandbox& sb, std::string script) {
  ProcessSpec spec;
  spec.argv = {"sh", "-c", std::move(script)};
  spec.stderr_mode = StdioMode::kMergeWithStdout;
  auto p = sb.exec(std::move(spec));
  EXPECT_TRUE(p.ok()) << p.status();
  if (!p.ok()) return {};
  Ran ran;
  ran.out = read_all((*p)->stdout_buffer());
  auto status = (*p)->wait(deadline_after(seconds(20)));
  ran.code = status ? status->exit_code() : -1;
  return ran;
}

std::string unique_name(std::string const& stem) {
  static int counter = 0;
  return absl::StrCat(stem, "-", ::getpid(), "-", ++counter);
}

/// Reads `buffer` from the start until `needle` appears, EOF or 10 s.
std::string read_until(OutputBuffer& buffer, std::string const& needle) {
  std::string out;
  uint64_t offset = 0;
  auto const deadline = deadline_after(seconds(10));
  while (out.find(needle) == std::string::npos) {
    auto r = buffer.read_into(offset, 1 << 20, &out, deadline);
    if (!r.ok() || r->eof || (r->size == 0 && Clock::now() >= deadline)) break;
    offset = r->offset + r->size;
  }
  return out;
}

std::string read_file(std::string const& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// A host directory outside /tmp (sandboxes have a /tmp of their own), removed with its
/// contents.
class HostDir {
 public:
  explicit HostDir(std::string const& stem) {
    std::string pattern = "/var/tmp/" + stem + "-XXXXXX";
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~HostDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  HostDir(HostDir const&) = delete;
  HostDir& operator=(HostDir const&) = delete;
  std::string const& path() const { return path_; }

 private:
  std::string path_;
};

/// Listens on 127.0.0.1:<port> of the host's network namespace while alive (connections
/// complete in the kernel's backlog; nobody accepts them).
class HostListener {
 public:
  HostListener() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~HostListener() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_;
  int port_ = 0;
};

/// A python3 one-liner that connects to 127.0.0.1:`port`: prints "connected" or
/// "failed <errno>".
std::string connect_script(int port) {
  return absl::StrCat(
      "python3 -c 'import socket\n"
      "s = socket.socket()\n"
      "s.settimeout(10)\n"
      "try:\n"
      "    s.connect((\"127.0.0.1\", ",
      port,
      "))\n"
      "    print(\"connected\")\n"
      "except OSError as e:\n"
      "    print(\"failed\", e.errno)'");
}

std::shared_ptr<Sandbox> create_in(Runtime& runtime, SandboxSpec spec) {
  auto sb = runtime.create_sandbox(std::move(spec));
  EXPECT_TRUE(sb.ok()) << sb.status();
  if (!sb.ok()) return nullptr;
  EXPECT_TRUE((*sb)->isolated()) << "not isolated (not root?)";
  return *sb;
}

// Each test runs with the fast spawn path and with the fork path of ThreadSanitizer
// builds (the parameter): both must build the same sandbox.
class IsolationTest : public ::testing::TestWithParam<bool> {
 protected:
  static RuntimeOptions options() {
    RuntimeOptions o;
    o.spawn_with_fork = GetParam();
    return o;
  }
  std::shared_ptr<Sandbox> create(SandboxSpec spec = {}) {
    return create_in(runtime_, std::move(spec));
  }
  Runtime runtime_{options()};
};

std::string spawn_name(::testing::TestParamInfo<bool> const& param) {
  return param.param ? "Forked" : "Fast";
}

// ---- the overlay root -----------------------------------------------------------------

TEST_P(IsolationTest, WritesStayInTheirSandbox) {
  auto a = create();
  auto b = create();
  ASSERT_TRUE(a && b);
  std::string const name = unique_name("isolation-write");
  for (std::string dir : {"/srv", "/etc", "/root"}) {
    std::string const path = absl::StrCat(dir, "/", name);
    SCOPED_TRACE(path);
    Ran const wrote = run(*a, absl::StrCat("echo written-in-a > ", path, " && cat ", path));
    EXPECT_EQ(wrote.out, "written-in-a\n");
    EXPECT_EQ(wrote.code, 0);
    EXPECT_EQ(run(*b, absl::StrCat("cat ", path, " 2>/dev/null || echo absent")).out, "absent\n");
    EXPECT_FALSE(fs::exists(path)) << "the write reached the host";
    // Where it lives: the sandbox's upper layer, in the emulator's state directory.
    EXPECT_EQ(read_file(a->host_upper_dir() + path), "written-in-a\n");
  }
}

TEST_P(IsolationTest, RemovingUsrShareDocLeavesTheHostsIntact) {
  ASSERT_TRUE(fs::is_directory("/usr/share/doc"));
  auto const count = [] {
    size_t n = 0;
    for ([[maybe_unused]] auto const& e : fs::directory_iterator("/usr/share/doc")) ++n;
    return n;
  };
  size_t const before = count();
  ASSERT_GT(before, 0u);
  auto a = create();
  ASSERT_TRUE(a);
  Ran const removed = run(*a, "rm -rf /usr/share/doc && test ! -e /usr/share/doc && echo gone");
  EXPECT_EQ(removed.out, "gone\n");
  EXPECT_EQ(removed.code, 0);
  EXPECT_TRUE(fs::is_directory("/usr/share/doc"));
  EXPECT_EQ(count(), before);
  auto b = create();
  ASSERT_TRUE(b);
  EXPECT_EQ(run(*b, "test -d /usr/share/doc && echo still-there").out, "still-there\n");
}

TEST_P(IsolationTest, ExecsRunInTheEntrypointsRoot) {
  SandboxSpec spec;
  spec.argv = {"sh", "-c", "echo from-entrypoint > /srv/entry && echo ready && exec sleep 1000"};
  auto sb = create(spec);
  ASSERT_TRUE(sb);
  ASSERT_EQ(read_until(sb->stdout_buffer(), "ready\n"), "ready\n");
  EXPECT_EQ(run(*sb, "cat /srv/entry").out, "from-entrypoint\n");
  ASSERT_EQ(run(*sb, "echo from-exec > /srv/exec").code, 0);
  // The init's root (PID 1's) holds the exec's write: one root for all.
  EXPECT_EQ(run(*sb, "cat /proc/1/root/srv/exec").out, "from-exec\n");
  EXPECT_EQ(run(*sb, "pwd").out, "/tmp\n");
}

TEST_P(IsolationTest, UpperDirectoryIsRemovedWhenTheSandboxEnds) {
  auto sb = create();
  ASSERT_TRUE(sb);
  ASSERT_EQ(run(*sb, "head -c 65536 /dev/zero > /srv/blob").code, 0);
  std::string const upper = sb->host_upper_dir();
  std::string const state = sb->host_state_dir();
  EXPECT_TRUE(fs::exists(upper + "/srv/blob"));
  sb->terminate();
  ASSERT_TRUE(sb->wait(deadline_after(seconds(10))));
  EXPECT_FALSE(fs::exists(upper));
  EXPECT_FALSE(fs::exists(state));

  SandboxSpec exits;
  exits.argv = {"sh", "-c", "echo x > /srv/y"};
  auto done = create(exits);
  ASSERT_TRUE(done);
  auto result = done->wait(deadline_after(seconds(10)));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->exit_code(), 0);
  EXPECT_FALSE(fs::exists(done->host_state_dir()));
}

TEST(IsolationStateTest, StateOfCrashedEmulatorsIsRemovedOnStart) {
  HostDir base("isolation-stale");
  ASSERT_FALSE(base.path().empty());
  // Our own pid with another start time: a crashed emulator whose pid was reused.
  std::string const gone = absl::StrCat(base.path(), "/modal-emulator.", ::getpid(), ".1.abcdef");
  fs::create_directories(gone + "/sb-x/upper/srv");
  fs::create_directories(gone + "/sb-x/work/work");
  std::ofstream(gone + "/sb-x/upper/srv/file") << "left behind";
  fs::permissions(gone + "/sb-x/work/work", fs::perms::none);  // as overlayfs leaves it
  std::string const live =
      absl::StrCat(base.path(), "/modal-emulator.", internal::owner_tag(), ".zzzzzz");
  fs::create_directories(live);
  std::string const unrelated = base.path() + "/something-else";
  fs::create_directories(unrelated);

  Runtime runtime(RuntimeOptions{.state_dir = base.path()});
  EXPECT_FALSE(fs::exists(gone));
  EXPECT_TRUE(fs::exists(live));
  EXPECT_TRUE(fs::exists(unrelated));
  std::string const mine = runtime.state_dir();
  EXPECT_THAT(
      mine, StartsWith(absl::StrCat(base.path(), "/modal-emulator.", internal::owner_tag(), ".")));
  runtime.shutdown();
  EXPECT_FALSE(fs::exists(mine));
}

TEST(IsolationStateTest, TheStateDirectoryIsHiddenFromSandboxes) {
  HostDir base("isolation-state");
  ASSERT_FALSE(base.path().empty());
  Runtime runtime(RuntimeOptions{.state_dir = base.path()});
  auto a = runtime.create_sandbox({});
  auto b = runtime.create_sandbox({});
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(run(**a, "echo secret > /srv/secret-of-a").code, 0);
  EXPECT_TRUE(fs::exists((*a)->host_upper_dir() + "/srv/secret-of-a"));
  // b sees an empty, read-only directory where every sandbox's upper layer is.
  EXPECT_EQ(run(**b, "ls -A " + base.path()).out, "");
  Ran const write = run(**b, "touch " + base.path() + "/x");
  EXPECT_NE(write.code, 0);
  EXPECT_THAT(write.out, HasSubstr("Read-only file system"));
}

// A separate host file system below / (here a tmpfs in a private mount namespace of this
// test process) is bound read-only into sandboxes.
TEST(IsolationNestedMountTest, NestedHostMountsAreBoundReadOnly) {
  size_t threads = 0;
  for ([[maybe_unused]] auto const& e : fs::directory_iterator("/proc/self/task")) ++threads;
  ASSERT_EQ(threads, 1u) << "unshare(CLONE_NEWNS) needs a single-threaded process";
  ASSERT_EQ(::unshare(CLONE_NEWNS), 0) << std::strerror(errno);
  ASSERT_EQ(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), 0);
  HostDir mount_point("isolation-nested");
  ASSERT_FALSE(mount_point.path().empty());
  std::string const& dir = mount_point.path();
  ASSERT_EQ(::mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=1m"), 0) << std::strerror(errno);
  struct Unmount {
    std::string dir{};
    ~Unmount() { ::umount2(dir.c_str(), MNT_DETACH); }
  } unmount{dir};
  std::ofstream(dir + "/on-the-host") << "hello";

  Runtime runtime;
  auto sb = runtime.create_sandbox({});
  ASSERT_TRUE(sb.ok()) << sb.status();
  EXPECT_EQ(run(**sb, "cat " + dir + "/on-the-host").out, "hello");
  Ran const write = run(**sb, "echo x > " + dir + "/new");
  EXPECT_NE(write.code, 0);
  EXPECT_THAT(write.out, HasSubstr("Read-only file system"));
  EXPECT_NE(run(**sb, "rm " + dir + "/on-the-host").code, 0);
  EXPECT_TRUE(fs::exists(dir + "/on-the-host"));
  EXPECT_FALSE(fs::exists(dir + "/new"));
}

// ---- /dev, /sys, /proc, capabilities, terminals -----------------------------------------

TEST_P(IsolationTest, DevHasExactlyTheMinimalNodes) {
  auto sb = create();
  ASSERT_TRUE(sb);
  EXPECT_EQ(run(*sb, "ls -A /dev").out,
            "fd\nfull\nnull\nptmx\npts\nrandom\nshm\nstderr\nstdin\nstdout\ntty\nurandom\nzero\n");
  EXPECT_EQ(
      run(*sb, "find /dev \\( -type c -o -type b \\) | sort").out,
      "/dev/full\n/dev/null\n/dev/pts/ptmx\n/dev/random\n/dev/tty\n/dev/urandom\n/dev/zero\n");
  EXPECT_EQ(run(*sb, "head -c 3 /dev/zero | od -An -tx1").out, " 00 00 00\n");
  EXPECT_EQ(run(*sb, "head -c 16 /dev/urandom | wc -c").out, "16\n");
  EXPECT_EQ(run(*sb, "echo x > /dev/null && echo ok").out, "ok\n");
  EXPECT_NE(run(*sb, "echo x > /dev/full").code, 0);
  EXPECT_EQ(run(*sb, "echo x > /dev/shm/f && cat /dev/shm/f").out, "x\n");
  EXPECT_EQ(run(*sb, "echo x > /dev/stderr").out, "x\n");
}

TEST_P(IsolationTest, SysIsReadOnly) {
  auto sb = create();
  ASSERT_TRUE(sb);
  Ran const touch = run(*sb, "touch /sys/x");
  EXPECT_NE(touch.code, 0);
  EXPECT_THAT(touch.out, HasSubstr("Read-only file system"));
  EXPECT_THAT(run(*sb, "grep ' /sys ' /proc/mounts").out, StartsWith("sysfs /sys sysfs ro,"));
  // What in /proc writes to the host's kernel is read-only as well.
  Ran const sysctl = run(*sb, "echo 1 > /proc/sys/vm/drop_caches");
  EXPECT_NE(sysctl.code, 0);
  EXPECT_THAT(sysctl.out, HasSubstr("Read-only file system"));
  EXPECT_NE(run(*sb, "echo h > /proc/sysrq-trigger").code, 0);
}

TEST_P(IsolationTest, CapabilitiesThatReachPastTheNamespacesAreDropped) {
  auto sb = create();
  ASSERT_TRUE(sb);
  std::string const line = run(*sb, "grep CapBnd /proc/self/status").out;
  std::vector<std::string> parts = absl::StrSplit(absl::StripAsciiWhitespace(line), '\t');
  ASSERT_EQ(parts.size(), 2u) << line;
  uint64_t bounding = 0;
  ASSERT_TRUE(absl::SimpleHexAtoi(parts[1], &bounding)) << line;
  EXPECT_EQ(bounding & ~internal::sandbox_capabilities(), 0u) << line;
  EXPECT_EQ(bounding & (uint64_t{1} << 21), 0u) << "CAP_SYS_ADMIN kept";
  EXPECT_NE(run(*sb, "mount -t tmpfs none /mnt").code, 0);
  EXPECT_NE(run(*sb, "mount -o remount,rw /sys").code, 0);
  EXPECT_NE(run(*sb, "umount /tmp").code, 0);
  // What root in a container may do still works.
  EXPECT_EQ(run(*sb, "touch /srv/f && chown 1000:1000 /srv/f && stat -c %u /srv/f").out, "1000\n");
}

TEST_P(IsolationTest, TerminalsComeFromTheSandboxesOwnDevpts) {
  SandboxSpec spec;
  spec.argv = {"sh", "-c", "tty; exec sleep 1000"};
  spec.pty = PtyOptions{};
  auto sb = create(spec);
  ASSERT_TRUE(sb);
  EXPECT_EQ(read_until(sb->stdout_buffer(), "\n"), "/dev/pts/0\r\n");
  ProcessSpec exec;
  exec.argv = {"tty"};
  exec.pty = PtyOptions{};
  auto p = sb->exec(exec);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(read_all((*p)->stdout_buffer()), "/dev/pts/1\r\n");
  auto status = (*p)->wait(deadline_after(seconds(10)));
  ASSERT_TRUE(status);
  EXPECT_EQ(status->exit_code(), 0);
}

// ---- network --------------------------------------------------------------------------

TEST_P(IsolationTest, BlockedNetworkHasOnlyALoopbackOfItsOwn) {
  HostListener host;
  SandboxSpec spec;
  spec.block_network = true;
  auto blocked = create(spec);
  ASSERT_TRUE(blocked);
  EXPECT_TRUE(blocked->network_blocked());
  std::string interfaces;
  for (absl::string_view line : absl::StrSplit(run(*blocked, "cat /proc/net/dev").out, '\n')) {
    auto const colon = line.find(':');
    if (colon != absl::string_view::npos) {
      absl::StrAppend(&interfaces, absl::StripAsciiWhitespace(line.substr(0, colon)), " ");
    }
  }
  EXPECT_EQ(interfaces, "lo ");
  EXPECT_THAT(run(*blocked, connect_script(host.port())).out, StartsWith("failed"));
  // Its own loopback works.
  EXPECT_EQ(run(*blocked,
                "python3 -c 'import socket\n"
                "s = socket.socket()\n"
                "s.bind((\"127.0.0.1\", 0))\n"
                "s.listen(1)\n"
                "c = socket.create_connection(s.getsockname())\n"
                "a, _ = s.accept()\n"
                "a.sendall(b\"pong\")\n"
                "print(c.recv(4).decode())'")
                .out,
            "pong\n");

  auto open = create();
  ASSERT_TRUE(open);
  EXPECT_FALSE(open->network_blocked());
  EXPECT_EQ(run(*open, connect_script(host.port())).out, "connected\n");
}

// ---- resource limits ------------------------------------------------------------------

INSTANTIATE_TEST_SUITE_P(Spawn, IsolationTest, ::testing::Bool(), spawn_name);

/// A directory standing in for the cgroup v2 hierarchy; the parameter as IsolationTest's.
class FakeCgroupTest : public ::testing::TestWithParam<bool> {
 protected:
  void offer(std::string const& controllers) {
    std::ofstream(root_.path() + "/cgroup.controllers") << controllers << "\n";
  }
  RuntimeOptions options() const {
    RuntimeOptions o;
    o.cgroup_root = root_.path();
    o.spawn_with_fork = GetParam();
    return o;
  }
  HostDir root_{"isolation-cgroups"};
};

TEST_P(FakeCgroupTest, LimitsAreWrittenToTheSandboxesCgroup) {
  offer("cpuset cpu io memory hugetlb pids");
  Runtime runtime(options());
  EXPECT_TRUE(runtime.resource_limits_status().ok()) << runtime.resource_limits_status();
  SandboxSpec spec;
  spec.limits.memory_bytes = uint64_t{512} << 20;
  spec.limits.cpus = 0.5;
  auto sb = create_in(runtime, spec);
  ASSERT_TRUE(sb);
  std::string const cgroup = sb->cgroup();
  std::string const parent = absl::StrCat(root_.path(), "/modal-emulator.", internal::owner_tag());
  EXPECT_EQ(fs::path(cgroup).parent_path().string(), parent);
  EXPECT_EQ(read_file(cgroup + "/memory.max"), "536870912");
  EXPECT_EQ(read_file(cgroup + "/memory.swap.max"), "0");
  EXPECT_EQ(read_file(cgroup + "/cpu.max"), "50000 100000");
  EXPECT_EQ(read_file(root_.path() + "/cgroup.subtree_control"), "+memory +cpu");
  EXPECT_EQ(read_file(parent + "/cgroup.subtree_control"), "+memory +cpu");
  // The init moved itself in ("0" = the writer), and so does every exec.
  EXPECT_EQ(read_file(cgroup + "/cgroup.procs"), "0");
  EXPECT_EQ(run(*sb, "true").code, 0);
  EXPECT_EQ(read_file(cgroup + "/cgroup.procs"), "00");

  auto unlimited = create_in(runtime, {});
  ASSERT_TRUE(unlimited);
  EXPECT_EQ(unlimited->cgroup(), "");

  sb->terminate();
  ASSERT_TRUE(sb->wait(deadline_after(seconds(10))));
  EXPECT_FALSE(fs::exists(cgroup));
  runtime.shutdown();
  EXPECT_FALSE(fs::exists(parent));
}

TEST_P(FakeCgroupTest, WithoutMemoryAndCpuControllersLimitsAreOnlyRecorded) {
  offer("hugetlb");
  Runtime runtime(options());
  absl::Status const status = runtime.resource_limits_status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("offers no memory or cpu controller"));
  SandboxSpec spec;
  spec.limits.memory_bytes = uint64_t{64} << 20;
  auto sb = create_in(runtime, spec);
  ASSERT_TRUE(sb);
  EXPECT_EQ(sb->cgroup(), "");
  EXPECT_EQ(run(*sb, "echo runs").out, "runs\n");
}

TEST_P(FakeCgroupTest, CgroupsOfGoneEmulatorsAreRemoved) {
  offer("cpu memory");
  std::string const gone = absl::StrCat(root_.path(), "/modal-emulator.", ::getpid(), ".1");
  fs::create_directories(gone + "/sb-x");
  std::string const other = root_.path() + "/someone-elses";
  fs::create_directories(other);
  Runtime runtime(options());
  EXPECT_TRUE(runtime.resource_limits_status().ok());
  EXPECT_FALSE(fs::exists(gone));
  EXPECT_TRUE(fs::exists(other));
}

INSTANTIATE_TEST_SUITE_P(Spawn, FakeCgroupTest, ::testing::Bool(), spawn_name);

// Whether this machine enforces limits depends on its cgroups: checked independently of
// the runtime, then the matching behaviour. (The machine these tests were written on
// mounts the memory and cpu controllers on cgroup v1 hierarchies, its cgroup v2 hierarchy
// offers only hugetlb: limits are recorded there, not enforced.)
TEST(MachineCgroupTest, LimitsAreEnforcedExactlyWhereCgroupV2OffersMemoryAndCpu) {
  std::string offered;
  for (auto const& m : internal::read_host_mounts()) {
    if (m.fstype == "cgroup2") {
      offered = read_file(m.mount_point + "/cgroup.controllers");
      break;
    }
  }
  std::vector<std::string> have = absl::StrSplit(absl::StripAsciiWhitespace(offered), ' ');
  bool const v2_has_both = std::find(have.begin(), have.end(), "memory") != have.end() &&
                           std::find(have.begin(), have.end(), "cpu") != have.end();
  Runtime runtime;
  absl::Status const status = runtime.resource_limits_status();
  SandboxSpec spec;
  spec.limits.memory_bytes = uint64_t{64} << 20;
  spec.limits.cpus = 0.5;
  auto sb = create_in(runtime, spec);
  ASSERT_TRUE(sb);
  // Touches 256 MiB, four times the limit.
  Ran const big = run(*sb, R"(python3 -c 'x = b"\x01" * (256 << 20); print(len(x) >> 20)')");
  if (!v2_has_both) {
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(status.message(), HasSubstr("controller"));
    EXPECT_EQ(sb->cgroup(), "");
    EXPECT_EQ(big.out, "256\n");  // recorded, not enforced
    EXPECT_EQ(big.code, 0);
  } else if (status.ok()) {
    ASSERT_NE(sb->cgroup(), "");
    EXPECT_EQ(read_file(sb->cgroup() + "/cpu.max"), "50000 100000\n");
    EXPECT_EQ(read_file(sb->cgroup() + "/memory.max"), "67108864\n");
    EXPECT_EQ(big.code, 137) << big.out;  // OOM-killed
  } else {
    // The controllers exist but this process cannot hand them to child cgroups.
    EXPECT_THAT(status.message(), HasSubstr("cannot create cgroups"));
    EXPECT_EQ(sb->cgroup(), "");
  }
}

// ---- refusal --------------------------------------------------------------------------

TEST(IsolationRefusalTest, DisabledIsolationRefusesWithoutTheUnsafeOption) {
  Runtime refusing(RuntimeOptions{.isolation = Isolation::kNone});
  auto sb = refusing.create_sandbox({});
  EXPECT_EQ(sb.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(sb.status().message(), HasSubstr("--unsafe-host-filesystem"));
  EXPECT_EQ(refusing.running_sandbox_count(), 0u);
  EXPECT_TRUE(fs::is_empty(refusing.state_dir()));

  Runtime unsafe(RuntimeOptions{.isolation = Isolation::kNone, .unsafe_host_filesystem = true});
  auto fallback = unsafe.create_sandbox({});
  ASSERT_TRUE(fallback.ok()) << fallback.status();
  EXPECT_FALSE((*fallback)->isolated());
}

/// Runs the owner helper as uid 65534 (no capabilities, so no namespaces): its stdout and
/// stderr.
std::pair<std::string, std::string> run_helper_as_nobody(bool unsafe) {
  std::vector<std::string> args = {MODAL_RUNTIME_OWNER_HELPER, "as-nobody"};
  if (unsafe) args.emplace_back("--unsafe-host-filesystem");
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) return {};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  pid_t pid = -1;
  int const spawned = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  ::close(err[1]);
  std::string texts[2];
  int fds[2] = {out[0], err[0]};
  bool open[2] = {spawned == 0, spawned == 0};
  while (open[0] || open[1]) {
    pollfd p[2] = {{fds[0], POLLIN, 0}, {fds[1], POLLIN, 0}};
    if (::poll(p, 2, 30000) <= 0) break;
    for (int i = 0; i < 2; ++i) {
      if (!open[i] || p[i].revents == 0) continue;
      char buf[4096];
      ssize_t const n = ::read(fds[i], buf, sizeof buf);
      if (n <= 0) {
        open[i] = false;
      } else {
        texts[i].append(buf, static_cast<size_t>(n));
      }
    }
  }
  ::close(out[0]);
  ::close(err[0]);
  if (spawned == 0) ::waitpid(pid, nullptr, 0);
  return {texts[0], texts[1]};
}

TEST(IsolationRefusalTest, RefusesWhereSandboxesCannotBeIsolated) {
  auto const [out, err] = run_helper_as_nobody(false);
  EXPECT_THAT(out, StartsWith("error FAILED_PRECONDITION ")) << err;
  EXPECT_THAT(out, HasSubstr("Operation not permitted"));
  EXPECT_THAT(out, HasSubstr("--unsafe-host-filesystem"));
}

TEST(IsolationRefusalTest, TheUnsafeOptionFallsBackToTheHostFileSystemWithAWarning) {
  auto const [out, err] = run_helper_as_nobody(true);
  EXPECT_EQ(out, "isolated 0 started\n") << err;
  EXPECT_THAT(err, HasSubstr("--unsafe-host-filesystem"));
  EXPECT_THAT(err, HasSubstr("warn"));
}

}  // namespace
}  // namespace modal::emulator::runtime
