// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// The emulator's SandboxRegistry without a server: readiness probes, names, failed
// entrypoints, shutdown.
#include "store/sandbox_registry.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "server/cli.h"
#include "server/core.h"
#include "server/ids.h"

namespace modal::emulator {
namespace {

using ::testing::HasSubstr;
using ReadyWait = SandboxRecord::ReadyWait;
using runtime::Clock;

int free_port() {
  int const fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

/// Listens on 127.0.0.1:port while alive.
class Listener {
 public:
  explicit Listener(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    int const one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 8), 0);
  }
  ~Listener() { ::close(fd_); }

 private:
  int fd_;
};

class SandboxRegistryTest : public ::testing::Test {
 protected:
  SandboxLaunch launch(std::vector<std::string> argv) {
    SandboxLaunch l;
    l.app_id = "ap-test";
    l.app_name = "test-app";
    l.environment = "main";
    l.image_id = "im-test";
    for (auto& a : argv) l.definition.add_entrypoint_args(a);
    l.definition.set_timeout_secs(60);
    return l;
  }
  std::shared_ptr<SandboxRecord> start(SandboxLaunch l) {
    auto rec = core_.sandboxes().create(std::move(l));
    EXPECT_TRUE(rec.ok()) << rec.status();
    return rec.ok() ? *rec : nullptr;
  }
  static runtime::Deadline in(std::chrono::milliseconds d) { return Clock::now() + d; }

  Core core_{EmulatorOptions{}};
};

TEST_F(SandboxRegistryTest, WithoutAProbeASandboxIsReadyOnceStarted) {
  auto rec = start(launch({"sleep", "30"}));
  EXPECT_EQ(rec->wait_until_ready(in(std::chrono::seconds(1))), ReadyWait::kReady);
  ASSERT_TRUE(rec->ready_at().has_value());
  EXPECT_NEAR(*rec->ready_at(), rec->created_at, 1.0);
  EXPECT_EQ(core_.sandboxes().find_by_task(rec->task_id), rec);
  EXPECT_EQ(core_.sandboxes().find(rec->id), rec);
}

TEST_F(SandboxRegistryTest, TcpProbeWaitsForTheListener) {
  int const port = free_port();
  auto l = launch({"sleep", "30"});
  l.definition.mutable_readiness_probe()->set_tcp_port(static_cast<uint32_t>(port));
  l.definition.mutable_readiness_probe()->set_interval_ms(20);
  auto rec = start(std::move(l));
  EXPECT_EQ(rec->wait_until_ready(in(std::chrono::milliseconds(200))), ReadyWait::kTimeout);
  EXPECT_FALSE(rec->ready_at().has_value());
  double const before = unix_now();
  Listener listener(port);
  EXPECT_EQ(rec->wait_until_ready(in(std::chrono::seconds(5))), ReadyWait::kReady);
  EXPECT_GE(*rec->ready_at(), before);
}

// With its network blocked a sandbox listens in a network namespace of its own: the TCP
// probe connects there, not to the host's loopback.
TEST_F(SandboxRegistryTest, TcpProbeOfABlockedSandboxConnectsInsideIt) {
  int const port = free_port();
  auto l = launch({"python3", "-c",
                   "import socket, sys, time\n"
                   "s = socket.socket()\n"
                   "s.bind((\"127.0.0.1\", int(sys.argv[1])))\n"
                   "s.listen(8)\n"
                   "time.sleep(60)\n",
                   std::to_string(port)});
  l.definition.mutable_network_access()->set_network_access_type(
      modal::client::NetworkAccess::BLOCKED);
  l.definition.mutable_readiness_probe()->set_tcp_port(static_cast<uint32_t>(port));
  l.definition.mutable_readiness_probe()->set_interval_ms(20);
  auto rec = start(std::move(l));
  ASSERT_NE(rec->runtime(), nullptr);
  EXPECT_TRUE(rec->runtime()->network_blocked());
  EXPECT_EQ(rec->wait_until_ready(in(std::chrono::seconds(10))), ReadyWait::kReady);
  // Nothing listens on the host's side of that port.
  int const fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  EXPECT_NE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ::close(fd);
}

TEST_F(SandboxRegistryTest, AHostListenerDoesNotMakeABlockedSandboxReady) {
  int const port = free_port();
  Listener listener(port);
  auto l = launch({"sleep", "30"});
  l.definition.set_block_network(true);
  l.definition.mutable_readiness_probe()->set_tcp_port(static_cast<uint32_t>(port));
  l.definition.mutable_readiness_probe()->set_interval_ms(20);
  auto rec = start(std::move(l));
  EXPECT_EQ(rec->wait_until_ready(in(std::chrono::milliseconds(300))), ReadyWait::kTimeout);
}

TEST_F(SandboxRegistryTest, ExecProbeRunsInsideTheSandbox) {
  // The file is created in the sandbox's own working directory (its private /tmp).
  auto l = launch({"sh", "-c", "sleep 0.3; touch ready-marker; sleep 30"});
  auto* probe = l.definition.mutable_readiness_probe();
  probe->mutable_exec_command()->add_argv("test");
  probe->mutable_exec_command()->add_argv("-f");
  probe->mutable_exec_command()->add_argv("ready-marker");
  probe->set_interval_ms(50);
  auto rec = start(std::move(l));
  EXPECT_EQ(rec->wait_until_ready(in(std::chrono::milliseconds(100))), ReadyWait::kTimeout);
  EXPECT_EQ(rec->wait_until_ready(in(std::chrono::seconds(5))), ReadyWait::kReady);
}

TEST_F(SandboxRegistryTest, FinishingBeforeReadyIsReported) {
  auto l = launch({"true"});
  l.definition.mutable_readiness_probe()->set_tcp_port(static_cast<uint32_t>(free_port()));
  auto rec = start(std::move(l));
  EXPECT_EQ(rec->wait_until_ready(in(std::chrono::seconds(5))), ReadyWait::kFinished);
  ASSERT_TRUE(rec->result().has_value());
  EXPECT_EQ(rec->result()->status(), modal::client::GenericResult::GENERIC_STATUS_SUCCESS);
}

TEST_F(SandboxRegistryTest, CancellationEndsTheWait) {
  auto l = launch({"sleep", "30"});
  l.definition.mutable_readiness_probe()->set_tcp_port(static_cast<uint32_t>(free_port()));
  auto rec = start(std::move(l));
  // kCancelled (not kTimeout after 30 s, nor kReady: nothing listens) is the cancellation.
  EXPECT_EQ(rec->wait_until_ready(in(std::chrono::seconds(30)), [] { return true; }),
            ReadyWait::kCancelled);
}

TEST_F(SandboxRegistryTest, TerminateGivesTerminatedAnd137) {
  auto rec = start(launch({"sleep", "30"}));
  rec->runtime()->terminate();
  auto const result = rec->wait(in(std::chrono::seconds(5)));
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status(), modal::client::GenericResult::GENERIC_STATUS_TERMINATED);
  EXPECT_EQ(result->exitcode(), 137);
  EXPECT_GT(rec->finished_at(), 0);
}

TEST_F(SandboxRegistryTest, NamesAreReleasedWhenASandboxFinishes) {
  auto l = launch({"sleep", "30"});
  l.definition.set_name("svc");
  auto first = start(l);
  auto dup = core_.sandboxes().create(l);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(dup.status().message()), HasSubstr("'svc' already exists"));
  EXPECT_EQ(core_.sandboxes().find_by_name("ap-test", "svc"), first);
  first->runtime()->terminate();
  ASSERT_TRUE(first->wait(in(std::chrono::seconds(5))).has_value());
  EXPECT_EQ(core_.sandboxes().find_by_name("ap-test", "svc"), nullptr);
  auto second = start(l);
  EXPECT_EQ(core_.sandboxes().find_by_name("ap-test", "svc"), second);
}

TEST_F(SandboxRegistryTest, MissingExecutableFinishesWith127AndAReason) {
  auto rec = start(launch({"/nonexistent/entrypoint"}));
  auto const result = rec->wait(in(std::chrono::seconds(1)));
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status(), modal::client::GenericResult::GENERIC_STATUS_FAILURE);
  EXPECT_EQ(result->exitcode(), 127);
  EXPECT_EQ(rec->runtime(), nullptr);
  auto chunk = rec->log_buffer(true)->read(0, 4096, in(std::chrono::seconds(1)));
  ASSERT_TRUE(chunk.ok());
  EXPECT_THAT(chunk->data, HasSubstr("/nonexistent/entrypoint"));
}

TEST_F(SandboxRegistryTest, ShutdownKillsEverySandboxAndWakesWaiters) {
  auto l = launch({"sleep", "30"});
  l.definition.mutable_readiness_probe()->set_tcp_port(static_cast<uint32_t>(free_port()));
  auto rec = start(std::move(l));
  auto other = start(launch({"sleep", "30"}));
  std::optional<ReadyWait> waited;
  std::thread waiter([&] { waited = rec->wait_until_ready(in(std::chrono::seconds(30))); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  core_.begin_shutdown();
  waiter.join();
  // kCancelled, not kTimeout after 30 s: shutdown woke the waiter.
  EXPECT_EQ(waited, ReadyWait::kCancelled);
  EXPECT_TRUE(rec->runtime()->finished());
  EXPECT_TRUE(other->runtime()->finished());
  auto const after = core_.sandboxes().create(launch({"sleep", "30"}));
  EXPECT_EQ(after.status().code(), absl::StatusCode::kUnavailable);
}

TEST(EmulatorCliTest, ProxyFlagSeedsProxies) {
  auto cl = parse_command_line({"--proxy", "egress", "--proxy=other"});
  ASSERT_TRUE(cl.ok()) << cl.status();
  EXPECT_EQ(cl->options.proxies, (std::vector<std::string>{"egress", "other"}));
  EXPECT_FALSE(parse_command_line({"--proxy", ""}).ok());
  EXPECT_THAT(usage(), HasSubstr("--proxy NAME"));

  Core core(cl->options);
  EXPECT_EQ(core.proxies().size(), 2u);
  auto const proxy = core.proxies().lookup("main", "egress");
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  EXPECT_EQ(proxy->name, "egress");
  EXPECT_TRUE(is_id(proxy->id, "pr"));
}

}  // namespace
}  // namespace modal::emulator
