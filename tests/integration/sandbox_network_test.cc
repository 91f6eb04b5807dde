// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Tunnels, connect tokens, Proxies, Volumes and cloud bucket mounts.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sandbox_test_util.h"

namespace modal::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// A tiny TCP server: listens on 127.0.0.1:PORT, prints "listening on PORT", and answers
// every connection with GREETING and a newline. It is passed inline: a Sandbox has its
// own /tmp, so files of a checkout or build tree under /tmp are not visible inside it.
constexpr char kServer[] = R"(
import socket, sys
port, greeting = int(sys.argv[1]), sys.argv[2]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(16)
print("listening on %d" % port, flush=True)
while True:
    c, _ = s.accept()
    c.sendall((greeting + "\n").encode())
    c.close()
)";

// A Sandbox running kServer on `port`, once listening.
Sandbox start_server(SandboxTest& t, int port, SandboxCreateParams params) {
  params.command = {"python3", "-c", kServer, std::to_string(port), "hello from the sandbox"};
  auto sb = t.c().sandboxes().create(t.app(), t.image(), params);
  auto const line = sb.stdout_stream().read_line();
  EXPECT_EQ(line, "listening on " + std::to_string(port));
  return sb;
}

TEST_F(SandboxTest, TunnelsReachTheSandboxesRealPort) {
  int const port = free_port();
  int const plain = free_port();
  auto sb = start_server(*this, port, {.encrypted_ports = {port}, .unencrypted_ports = {plain}});
  auto const tunnels = sb.tunnels(std::chrono::seconds(5));
  ASSERT_EQ(tunnels.size(), 2u);
  auto const& t = tunnels.at(port);
  EXPECT_EQ(t.host, "127.0.0.1");
  EXPECT_EQ(t.port, port);
  EXPECT_EQ(t.url(), "https://127.0.0.1:" + std::to_string(port));
  EXPECT_THROW(t.tcp_socket(), InvalidError);  // encrypted only
  auto const [host, tls_port] = t.tls_socket();
  EXPECT_EQ(tcp_read_all(host, tls_port), "hello from the sandbox\n");
  auto const& u = tunnels.at(plain);
  EXPECT_EQ(u.tcp_socket(), std::make_pair(std::string("127.0.0.1"), plain));
  // Cached: no second RPC (and none at all for V2, whose create reply had them).
  EXPECT_EQ(sb.tunnels().size(), 2u);
  EXPECT_EQ(emu().received_calls(rpc("SandboxGetTunnels")).size(), v2_mode() ? 0u : 1u);
  sb.terminate({.wait = true});
  EXPECT_EQ(tcp_read_all(host, tls_port), "");  // the server died with the Sandbox
}

TEST_F(SandboxTest, TunnelsOfAFinishedSandboxAreAConflict) {
  auto sb = create({.command = {"true"}, .encrypted_ports = {free_port()}});
  sb.wait();
  // A V2 handle has them from its create reply; a fresh handle of either kind asks.
  if (!v2_mode()) {
    EXPECT_THROW(sb.tunnels(), ConflictError);
  }
  EXPECT_THROW(c().sandboxes().from_id(sb.sandbox_id()).tunnels(), ConflictError);
}

TEST_F(SandboxTest, SandboxWithoutPortsHasNoTunnels) {
  auto sb = create();
  EXPECT_TRUE(sb.tunnels().empty());
  sb.terminate();
}

class SlowTunnelsTest : public SandboxTest {
 protected:
  emulator::EmulatorOptions emulator_options() override {
    emulator::EmulatorOptions o;
    o.tunnel_delay = std::chrono::milliseconds(1500);
    return o;
  }
};

TEST_F(SlowTunnelsTest, NotReadyInTimeIsASandboxTimeoutError) {
  auto sb = create({.encrypted_ports = {8443}});
  EXPECT_THAT([&] { sb.tunnels(std::chrono::milliseconds(100)); },
              ::testing::ThrowsMessage<SandboxTimeoutError>(HasSubstr("not ready")));
  // SandboxTimeoutError is a TimeoutError.
  EXPECT_THROW(sb.tunnels(std::chrono::milliseconds(100)), TimeoutError);
  auto const tunnels = sb.tunnels(std::chrono::seconds(5));  // waits for them
  EXPECT_EQ(tunnels.at(8443).port, 8443);
  sb.terminate();
}

TEST_F(SandboxTest, ConnectTokens) {
  int const port = free_port();
  auto sb = start_server(*this, port, {});
  auto const token = sb.create_connect_token({.user_metadata = "abc", .port = port});
  EXPECT_EQ(token.url, "http://127.0.0.1:" + std::to_string(port));
  EXPECT_THAT(token.token, StartsWith("ct-"));
  EXPECT_EQ(tcp_read_all("127.0.0.1", port), "hello from the sandbox\n");
  auto const default_port = sb.create_connect_token();
  EXPECT_EQ(default_port.url, "http://127.0.0.1:8080");
  EXPECT_NE(default_port.token, token.token);
  EXPECT_THROW(sb.create_connect_token({.port = 0}), InvalidError);
  EXPECT_THROW(sb.create_connect_token({.port = 65536}), InvalidError);
  sb.terminate({.wait = true});
  EXPECT_THROW(c().sandboxes().from_id(sb.sandbox_id()).create_connect_token(), ConflictError);
}

class ProxyTest : public SandboxTest {
 protected:
  emulator::EmulatorOptions emulator_options() override {
    emulator::EmulatorOptions o;
    o.proxies = {"egress-proxy"};
    return o;
  }
};

TEST_F(ProxyTest, FromNameAndUseInASandbox) {
  auto proxy = c().proxies().from_name("egress-proxy");
  EXPECT_THAT(proxy.proxy_id, ::testing::MatchesRegex("pr-[0-9A-Za-z]{22}"));
  EXPECT_THAT([&] { c().proxies().from_name("missing"); },
              ::testing::ThrowsMessage<NotFoundError>(HasSubstr("Proxy 'missing' not found")));
  EXPECT_THROW(c().proxies().from_name("egress-proxy", {.environment = "nope"}), NotFoundError);
  auto sb = create({.proxy = proxy});
  EXPECT_EQ(sb.poll(), std::nullopt);
  sb.terminate();
  EXPECT_THAT([&] { create({.proxy = Proxy{"pr-unknown"}}); },
              ::testing::ThrowsMessage<NotFoundError>(HasSubstr("pr-unknown")));
}

TEST_F(SandboxTest, VolumesFromName) {
  EXPECT_THAT([&] { c().volumes().from_name("data"); },
              ::testing::ThrowsMessage<NotFoundError>(HasSubstr("Volume 'data' not found")));
  auto vol = c().volumes().from_name("data", {.create_if_missing = true});
  EXPECT_THAT(vol.volume_id(), ::testing::MatchesRegex("vo-[0-9A-Za-z]{22}"));
  EXPECT_EQ(vol.name(), "data");
  EXPECT_FALSE(vol.is_read_only());
  EXPECT_EQ(c().volumes().from_name("data").volume_id(), vol.volume_id());
  EXPECT_TRUE(vol.read_only().is_read_only());
  EXPECT_THROW(c().volumes().from_name(""), InvalidError);

  SandboxCreateParams params;
  params.volumes.emplace("/data", vol);
  params.volumes.emplace("/ro", vol.read_only());
  auto sb = create(params);
  EXPECT_EQ(sb.poll(), std::nullopt);
  sb.terminate();
}

TEST_F(SandboxTest, CloudBucketCredentialsAreHydrated) {
  auto creds = c().secrets().from_map({{"AWS_ACCESS_KEY_ID", "a"}, {"AWS_SECRET_ACCESS_KEY", "b"}});
  SandboxCreateParams params;
  params.cloud_bucket_mounts["/mnt/bucket"] =
      CloudBucketMount::create("my-bucket", {.secret = creds, .requester_pays = true});
  auto sb = create(params);
  EXPECT_THAT(creds.secret_id(), StartsWith("st-"));
  sb.terminate();
}

TEST_F(SandboxTest, GpuAndResourceRequestsAreAccepted) {
  auto sb = create({.cpu = 0.5,
                    .cpu_limit = 1.0,
                    .memory_mib = 256,
                    .memory_limit_mib = 512,
                    .gpu = "A100:2",
                    .command = {"sh", "-c", "echo ok"},
                    .cloud = "aws",
                    .regions = {"us-east-1"},
                    .verbose = true,
                    .experimental_options = {{"x", true}},
                    .custom_domain = "example.com"});
  EXPECT_EQ(sb.stdout_stream().read_all(), "ok\n");
  EXPECT_EQ(sb.wait(), 0);
}

}  // namespace
}  // namespace modal::testing
