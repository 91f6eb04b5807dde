// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// A Sandbox cannot touch the host, through the SDK: writes stay in the Sandbox's own
// root, a blocked network cannot reach the host's loopback (the emulator's port).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "sandbox_test_util.h"

namespace modal::testing {
namespace {

namespace fs = std::filesystem;

/// Runs `script` with sh in `sb`: stdout, and the exit code.
std::string unique_name(std::string const& stem) {
  static int counter = 0;
  return stem + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

TEST_F(SandboxTest, WritesToSrvEtcAndRootStayInTheSandbox) {
  auto a = create();
  auto b = create();
  std::string const name = unique_name("sdk-isolation");
  for (std::string dir : {"/srv", "/etc", "/root"}) {
    std::string path = dir;
    path += "/";
    path += name;
    SCOPED_TRACE(path);
    EXPECT_EQ(sh(a, std::string("echo mine > ").append(path).append(" && cat ").append(path)),
              std::make_pair(std::string("mine\n"), 0));
    EXPECT_EQ(sh(b, std::string("cat ").append(path).append(" 2>/dev/null || echo absent")).first,
              "absent\n");
    EXPECT_FALSE(fs::exists(path)) << "the write reached the host";
  }
  a.terminate();
  b.terminate();
}

TEST_F(SandboxTest, TheFilesystemToolIsInEverySandboxReadOnly) {
  // What the SDKs' filesystem APIs run (emulator/README.md, "The filesystem tool").
  std::string const tool = "/__modal/.bin/modal-sandbox-fs-tools";
  auto sb = create();
  std::string const dir = "/srv/" + unique_name("fs-tool");
  ContainerProcess write = sb.exec({tool, R"({"WriteFile":{"path":")" + dir + R"(/f"}})"});
  write.stdin_stream().write("through the tool");
  write.stdin_stream().close();
  EXPECT_EQ(write.wait(), 0) << write.stderr_stream().read_all();
  ContainerProcess read = sb.exec({tool, R"({"ReadFile":{"path":")" + dir + R"(/f"}})"});
  EXPECT_EQ(read.stdout_stream().read_all(), "through the tool");
  EXPECT_EQ(read.wait(), 0);
  EXPECT_FALSE(fs::exists(dir)) << "the write reached the host";
  ContainerProcess missing = sb.exec({tool, R"({"Stat":{"path":"/no/such"}})"});
  EXPECT_EQ(missing.wait(), 1);
  EXPECT_THAT(missing.stderr_stream().read_all(),
              ::testing::HasSubstr(R"("error_kind":"NotFound")"));
  // The tool itself cannot be replaced from inside.
  EXPECT_NE(sh(sb, "echo x > " + tool).second, 0);
  EXPECT_NE(sh(sb, "rm -f " + tool + " && echo removed").first, "removed\n");
  EXPECT_EQ(sh(sb, "test -x " + tool + " && echo there").first, "there\n");
  sb.terminate();
}

TEST_F(SandboxTest, RmRfUsrShareDocLeavesTheHostIntact) {
  ASSERT_TRUE(fs::is_directory("/usr/share/doc"));
  auto sb = create();
  EXPECT_EQ(sh(sb, "rm -rf /usr/share/doc && test ! -e /usr/share/doc && echo gone"),
            std::make_pair(std::string("gone\n"), 0));
  EXPECT_TRUE(fs::is_directory("/usr/share/doc"));
  EXPECT_FALSE(fs::is_empty("/usr/share/doc"));
  auto other = create();
  EXPECT_EQ(sh(other, "test -d /usr/share/doc && echo there").first, "there\n");
  sb.terminate();
  other.terminate();
}

TEST_F(SandboxTest, TheEntrypointAndExecsShareOneRoot) {
  auto sb =
      create({.command = {"sh", "-c", "echo hi > /opt/from-entrypoint; echo ready; sleep 300"}});
  EXPECT_EQ(sb.stdout_stream().read_line(), "ready");
  EXPECT_EQ(sh(sb, "cat /opt/from-entrypoint").first, "hi\n");
  EXPECT_FALSE(fs::exists("/opt/from-entrypoint"));
  sb.terminate();
}

// A python3 one-liner connecting to 127.0.0.1:`port`: "connected" or "failed <errno>".
std::vector<std::string> connect_to(int port) {
  return {"python3", "-c",
          "import socket, sys\n"
          "s = socket.socket()\n"
          "s.settimeout(10)\n"
          "try:\n"
          "    s.connect(('127.0.0.1', int(sys.argv[1])))\n"
          "    print('connected')\n"
          "except OSError as e:\n"
          "    print('failed', e.errno)\n",
          std::to_string(port)};
}

TEST_F(SandboxTest, ABlockedNetworkCannotReachTheHostsLoopback) {
  auto blocked = create({.block_network = true});
  ContainerProcess p = blocked.exec(connect_to(emu().port()));
  EXPECT_THAT(p.stdout_stream().read_all(), ::testing::StartsWith("failed"));
  EXPECT_EQ(p.wait(), 0);
  // Without block_network a Sandbox shares the host's network (tunnels rely on it).
  auto open = create();
  ContainerProcess q = open.exec(connect_to(emu().port()));
  EXPECT_EQ(q.stdout_stream().read_all(), "connected\n");
  blocked.terminate();
  open.terminate();
}

}  // namespace
}  // namespace modal::testing
