// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// SandboxCreateParams: every local validation rule (nothing is sent), the mapping to
// SandboxCreateRequest, Probe, CloudBucketMount and Tunnel helpers.
#include "internal/sandbox_params.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "sandbox_test_util.h"

namespace modal::testing {
namespace {

using ::testing::HasSubstr;

struct InvalidCase {
  std::string name{};
  std::function<void(SandboxCreateParams&)> mutate;
  std::string message{};
};

// NOLINTNEXTLINE(readability-identifier-naming): the name GoogleTest looks for.
void PrintTo(InvalidCase const& c, std::ostream* os) { *os << c.name; }

class SandboxParamsValidationTest : public SandboxTest,
                                    public ::testing::WithParamInterface<InvalidCase> {};

TEST_P(SandboxParamsValidationTest, RejectedLocallyWithAHelpfulMessage) {
  SandboxCreateParams params;
  GetParam().mutate(params);
  emu().clear_received_calls();
  try {
    create(params);
    FAIL() << "expected InvalidError";
  } catch (InvalidError const& e) {
    EXPECT_THAT(e.what(), HasSubstr(GetParam().message));
    EXPECT_TRUE(e.rpc_method().empty());
  }
  // Nothing reached the server: not even the image build.
  EXPECT_TRUE(emu().received_calls().empty());
}

INSTANTIATE_TEST_SUITE_P(
    Rules, SandboxParamsValidationTest,
    ::testing::Values(
        InvalidCase{"RelativeWorkdir", [](auto& p) { p.workdir = "repo"; },
                    "workdir must be an absolute path, got 'repo'"},
        InvalidCase{"ArgvTooLong",
                    [](auto& p) {
                      p.command = {"echo", std::string(65536, 'x')};
                    },
                    "must be at most 65536 bytes"},
        InvalidCase{"TimeoutNotWholeSeconds",
                    [](auto& p) { p.timeout = std::chrono::milliseconds(1500); },
                    "timeout must be a whole number of seconds, got 1500 ms"},
        InvalidCase{"TimeoutZero", [](auto& p) { p.timeout = std::chrono::seconds(0); },
                    "timeout must be positive"},
        InvalidCase{"TimeoutNegative", [](auto& p) { p.timeout = std::chrono::seconds(-5); },
                    "timeout must be positive"},
        InvalidCase{"TimeoutOver24Hours", [](auto& p) { p.timeout = std::chrono::hours(25); },
                    "timeout must be at most 24 hours"},
        InvalidCase{"IdleTimeoutNotWholeSeconds",
                    [](auto& p) { p.idle_timeout = std::chrono::milliseconds(10); },
                    "idle_timeout must be a whole number of seconds"},
        InvalidCase{"IdleTimeoutZero", [](auto& p) { p.idle_timeout = std::chrono::seconds(0); },
                    "idle_timeout must be positive"},
        InvalidCase{"CpuNotPositive", [](auto& p) { p.cpu = 0.0; },
                    "cpu must be a positive number of cores"},
        InvalidCase{"CpuLimitWithoutCpu", [](auto& p) { p.cpu_limit = 2.0; },
                    "cpu_limit requires cpu"},
        InvalidCase{"CpuLimitBelowCpu",
                    [](auto& p) {
                      p.cpu = 2.0;
                      p.cpu_limit = 1.0;
                    },
                    "must be at least cpu"},
        InvalidCase{"MemoryNotPositive", [](auto& p) { p.memory_mib = -1; },
                    "memory_mib must be positive"},
        InvalidCase{"MemoryLimitWithoutMemory", [](auto& p) { p.memory_limit_mib = 1024; },
                    "memory_limit_mib requires memory_mib"},
        InvalidCase{"MemoryLimitBelowMemory",
                    [](auto& p) {
                      p.memory_mib = 2048;
                      p.memory_limit_mib = 1024;
                    },
                    "must be at least memory_mib"},
        InvalidCase{"GpuZeroCount", [](auto& p) { p.gpu = "A100:0"; }, "invalid GPU count '0'"},
        InvalidCase{"GpuNonNumericCount", [](auto& p) { p.gpu = "A100:two"; },
                    "invalid GPU count 'two'"},
        InvalidCase{"GpuMissingType", [](auto& p) { p.gpu = ":2"; }, "the type is missing"},
        InvalidCase{"EnvVarName",
                    [](auto& p) {
                      p.env = {{"1BAD", "x"}};
                    },
                    "invalid environment variable name '1BAD'"},
        InvalidCase{"PortOutOfRange", [](auto& p) { p.encrypted_ports = {70000}; },
                    "encrypted_ports must be in [1, 65535], got 70000"},
        InvalidCase{"UnencryptedPortZero", [](auto& p) { p.unencrypted_ports = {0}; },
                    "unencrypted_ports must be in [1, 65535], got 0"},
        InvalidCase{"BlockNetworkWithPorts",
                    [](auto& p) {
                      p.block_network = true;
                      p.h2_ports = {8080};
                    },
                    "block_network cannot be combined with encrypted_ports, h2_ports"},
        InvalidCase{"BlockNetworkWithCidrAllowlist",
                    [](auto& p) {
                      p.block_network = true;
                      p.cidr_allowlist = std::vector<std::string>{};
                    },
                    "block_network cannot be combined with cidr_allowlist"},
        InvalidCase{"NameCharset", [](auto& p) { p.name = "my sandbox"; },
                    "invalid Sandbox name 'my sandbox'"},
        InvalidCase{"NameTooLong", [](auto& p) { p.name = std::string(65, 'a'); },
                    "at most 64 characters"},
        InvalidCase{"NameLooksLikeAppId", [](auto& p) { p.name = "ap-0123456789abcdefABCDEF"; },
                    "App id"},
        InvalidCase{"ProxyWithoutId", [](auto& p) { p.proxy = Proxy{}; }, "proxy has no id"},
        InvalidCase{
            "BucketKeyPrefix",
            [](auto& p) {
              p.cloud_bucket_mounts["/mnt/b"] = CloudBucketMount{"bucket", {.key_prefix = "data"}};
            },
            "key_prefix 'data' must end with '/'"},
        InvalidCase{
            "BucketMountPathRelative",
            [](auto& p) { p.cloud_bucket_mounts["mnt/b"] = CloudBucketMount::create("bucket"); },
            "cloud bucket mount path must be absolute, got 'mnt/b'"},
        InvalidCase{"EmptyTagName",
                    [](auto& p) {
                      p.tags = {{"", "v"}};
                    },
                    "tag names must not be empty"}),
    [](auto const& tp) { return tp.param.name; });

TEST_F(SandboxTest, AFromMapSecretIsCreatedOnceUnderConcurrentFirstUse) {
  // V1 Sandboxes, whose create takes Secrets by id (V2 sends from_map Secrets' variables).
  auto o = fast_options();
  o.sandbox_v2 = false;
  client_ = std::make_unique<Client>(o);
  auto secret = c().secrets().from_map({{"SHARED_TOKEN", "t0k3n"}});
  emu().clear_received_calls();
  constexpr int kThreads = 8;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  std::vector<std::string> seen(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto sb = create({.secrets = {secret}});
      seen[static_cast<std::size_t>(t)] = sh(sb, "printenv SHARED_TOKEN").first;
      sb.terminate();
    });
  }
  for (auto& th : threads) th.join();
  for (auto const& s : seen) EXPECT_EQ(s, "t0k3n\n");
  EXPECT_EQ(emu().received_calls("SecretGetOrCreate").size(), 1u);
  EXPECT_THAT(secret.secret_id(), ::testing::StartsWith("st-"));
}

TEST_F(SandboxTest, VolumeMountPathMustBeAbsoluteAndUnique) {
  auto vol = c().volumes().from_name("params-vol", {.create_if_missing = true});
  SandboxCreateParams relative;
  relative.volumes.emplace("data", vol);
  EXPECT_THAT([&] { create(relative); }, ::testing::ThrowsMessage<InvalidError>(HasSubstr(
                                             "Volume mount path must be absolute, got 'data'")));
  SandboxCreateParams twice;
  twice.volumes.emplace("/data", vol);
  twice.cloud_bucket_mounts["/data"] = CloudBucketMount::create("bucket");
  EXPECT_THAT([&] { create(twice); },
              ::testing::ThrowsMessage<InvalidError>(HasSubstr("'/data' is used more than once")));
}

TEST(SandboxRequestMapping, EveryFieldReachesTheRequest) {
  SandboxCreateParams p;
  p.cpu = 1.5;
  p.cpu_limit = 2.25;
  p.memory_mib = 512;
  p.memory_limit_mib = 1024;
  p.gpu = "a100:2";
  p.timeout = std::chrono::seconds(90);
  p.idle_timeout = std::chrono::seconds(30);
  p.workdir = "/work";
  p.command = {"python3", "-m", "http.server"};
  p.pty = true;
  p.encrypted_ports = {443};
  p.h2_ports = {8443};
  p.unencrypted_ports = {22};
  p.cidr_allowlist = std::vector<std::string>{"10.0.0.0/8"};
  p.cloud = "aws";
  p.regions = {"us-east-1", "us-west-2"};
  p.verbose = true;
  p.proxy = Proxy{"pr-123"};
  p.name = "my-sandbox";
  p.experimental_options = {{"flag", true}, {"mode", std::string("fast")}};
  p.custom_domain = "example.com";
  p.readiness_probe = Probe::tcp(8080, {.interval = std::chrono::milliseconds(250)});
  p.tags = {{"team", "infra"}};
  p.cloud_bucket_mounts["/mnt/r2"] = CloudBucketMount::create(
      "bucket", {.read_only = true,
                 .bucket_endpoint_url = "https://acct.r2.cloudflarestorage.com",
                 .key_prefix = "data/",
                 .oidc_auth_role_arn = "arn:aws:iam::1:role/x"});
  internal::validate_sandbox_params(p);
  internal::SandboxCreateIds ids{.app_id = "ap-1",
                                 .image_id = "im-1",
                                 .secret_ids = {"st-1", "st-2"},
                                 .bucket_secret_ids = {{"/mnt/r2", "st-9"}}};
  auto const req = internal::build_sandbox_create_request(p, ids);
  EXPECT_EQ(req.app_id(), "ap-1");
  ASSERT_EQ(req.tags_size(), 1);
  EXPECT_EQ(req.tags(0).tag_name(), "team");
  EXPECT_EQ(req.tags(0).tag_value(), "infra");
  auto const& d = req.definition();
  EXPECT_THAT(d.entrypoint_args(), ::testing::ElementsAre("python3", "-m", "http.server"));
  EXPECT_EQ(d.image_id(), "im-1");
  EXPECT_THAT(d.secret_ids(), ::testing::ElementsAre("st-1", "st-2"));
  EXPECT_EQ(d.timeout_secs(), 90u);
  EXPECT_EQ(d.idle_timeout_secs(), 30u);
  EXPECT_EQ(d.workdir(), "/work");
  EXPECT_EQ(d.resources().milli_cpu(), 1500u);
  EXPECT_EQ(d.resources().milli_cpu_max(), 2250u);
  EXPECT_EQ(d.resources().memory_mb(), 512u);
  EXPECT_EQ(d.resources().memory_mb_max(), 1024u);
  EXPECT_EQ(d.resources().gpu_config().gpu_type(), "A100");
  EXPECT_EQ(d.resources().gpu_config().count(), 2u);
  EXPECT_EQ(d.network_access().network_access_type(), modal::client::NetworkAccess::ALLOWLIST);
  EXPECT_THAT(d.network_access().allowed_cidrs(), ::testing::ElementsAre("10.0.0.0/8"));
  EXPECT_TRUE(d.pty_info().enabled());
  EXPECT_EQ(d.pty_info().winsz_rows(), 24u);
  EXPECT_EQ(d.pty_info().winsz_cols(), 80u);
  EXPECT_EQ(d.pty_info().env_term(), "xterm-256color");
  EXPECT_EQ(d.pty_info().pty_type(), modal::client::PTYInfo::PTY_TYPE_SHELL);
  ASSERT_EQ(d.open_ports().ports_size(), 3);
  EXPECT_EQ(d.open_ports().ports(0).port(), 443u);
  EXPECT_FALSE(d.open_ports().ports(0).unencrypted());
  EXPECT_FALSE(d.open_ports().ports(0).has_tunnel_type());
  EXPECT_EQ(d.open_ports().ports(1).port(), 8443u);
  EXPECT_EQ(d.open_ports().ports(1).tunnel_type(), modal::client::TUNNEL_TYPE_H2);
  EXPECT_EQ(d.open_ports().ports(2).port(), 22u);
  EXPECT_TRUE(d.open_ports().ports(2).unencrypted());
  EXPECT_EQ(d.cloud_provider_str(), "aws");
  EXPECT_THAT(d.scheduler_placement().regions(), ::testing::ElementsAre("us-east-1", "us-west-2"));
  EXPECT_TRUE(d.verbose());
  EXPECT_EQ(d.proxy_id(), "pr-123");
  EXPECT_EQ(d.name(), "my-sandbox");
  EXPECT_EQ(d.experimental_options_v2().at("flag"), "true");
  EXPECT_EQ(d.experimental_options_v2().at("mode"), "fast");
  EXPECT_EQ(d.custom_domain(), "example.com");
  EXPECT_EQ(d.readiness_probe().tcp_port(), 8080u);
  EXPECT_EQ(d.readiness_probe().interval_ms(), 250u);
  ASSERT_EQ(d.cloud_bucket_mounts_size(), 1);
  auto const& m = d.cloud_bucket_mounts(0);
  EXPECT_EQ(m.bucket_name(), "bucket");
  EXPECT_EQ(m.mount_path(), "/mnt/r2");
  EXPECT_EQ(m.credentials_secret_id(), "st-9");
  EXPECT_TRUE(m.read_only());
  EXPECT_EQ(m.bucket_type(), modal::client::CloudBucketMount::R2);
  EXPECT_EQ(m.bucket_endpoint_url(), "https://acct.r2.cloudflarestorage.com");
  EXPECT_EQ(m.key_prefix(), "data/");
  EXPECT_EQ(m.oidc_auth_role_arn(), "arn:aws:iam::1:role/x");
}

TEST(SandboxRequestMapping, Defaults) {
  SandboxCreateParams p;
  auto const req =
      internal::build_sandbox_create_request(p, {.app_id = "ap-1", .image_id = "im-1"});
  auto const& d = req.definition();
  EXPECT_EQ(d.timeout_secs(), 300u);  // 5 minutes
  EXPECT_FALSE(d.has_idle_timeout_secs());
  EXPECT_FALSE(d.has_workdir());
  EXPECT_TRUE(d.has_name());  // always sent, "" = unnamed
  EXPECT_EQ(d.name(), "");
  EXPECT_EQ(d.network_access().network_access_type(), modal::client::NetworkAccess::OPEN);
  EXPECT_FALSE(d.has_pty_info());
  EXPECT_TRUE(d.has_open_ports());
  EXPECT_EQ(d.open_ports().ports_size(), 0);
  EXPECT_EQ(d.resources().milli_cpu(), 0u);
  EXPECT_EQ(d.resources().gpu_config().count(), 0u);
  EXPECT_FALSE(d.has_proxy_id());
  EXPECT_FALSE(d.has_readiness_probe());
  EXPECT_FALSE(d.has_scheduler_placement());

  p.block_network = true;
  auto const blocked = internal::build_sandbox_create_request(p, {});
  EXPECT_EQ(blocked.definition().network_access().network_access_type(),
            modal::client::NetworkAccess::BLOCKED);
}

TEST(SandboxRequestMapping, GpuStrings) {
  auto const t4 = internal::parse_gpu_config("t4");
  EXPECT_EQ(t4.gpu_type(), "T4");
  EXPECT_EQ(t4.count(), 1u);
  auto const h100 = internal::parse_gpu_config("H100:8");
  EXPECT_EQ(h100.gpu_type(), "H100");
  EXPECT_EQ(h100.count(), 8u);
  EXPECT_EQ(internal::parse_gpu_config("").count(), 0u);
}

TEST(ProbeTest, TcpValidation) {
  EXPECT_THROW(Probe::tcp(0), InvalidError);
  EXPECT_THROW(Probe::tcp(65536), InvalidError);
  EXPECT_THAT([] { Probe::tcp(80, {.interval = std::chrono::milliseconds(0)}); },
              ::testing::ThrowsMessage<InvalidError>(HasSubstr("interval > 0")));
  auto const p = Probe::tcp(8080);
  EXPECT_EQ(p.tcp_port(), 8080);
  EXPECT_EQ(p.interval(), std::chrono::milliseconds(100));
  EXPECT_TRUE(p.exec_argv().empty());
}

TEST(ProbeTest, ExecValidationAndProto) {
  EXPECT_THAT([] { Probe::exec({}); },
              ::testing::ThrowsMessage<InvalidError>(HasSubstr("argv must not be empty")));
  EXPECT_THROW(Probe::exec({"true"}, {.interval = std::chrono::milliseconds(-1)}), InvalidError);
  auto const p = Probe::exec({"test", "-f", "/tmp/ready"}, {.interval = std::chrono::seconds(1)});
  auto const proto = internal::probe_to_proto(p);
  EXPECT_FALSE(proto.has_tcp_port());
  EXPECT_THAT(proto.exec_command().argv(), ::testing::ElementsAre("test", "-f", "/tmp/ready"));
  EXPECT_EQ(proto.interval_ms(), 1000u);
}

TEST(CloudBucketMountTest, Validation) {
  EXPECT_THAT([] { CloudBucketMount::create(""); },
              ::testing::ThrowsMessage<InvalidError>(HasSubstr("bucket name must not be empty")));
  EXPECT_THAT([] { CloudBucketMount::create("b", {.requester_pays = true}); },
              ::testing::ThrowsMessage<InvalidError>(HasSubstr("requester_pays requires")));
  EXPECT_THAT([] { CloudBucketMount::create("b", {.key_prefix = "no-slash"}); },
              ::testing::ThrowsMessage<InvalidError>(HasSubstr("must end with '/'")));
  EXPECT_THAT([] { CloudBucketMount::create("b", {.bucket_endpoint_url = "https://"}); },
              ::testing::ThrowsMessage<InvalidError>(HasSubstr("invalid bucket_endpoint_url")));
  auto const ok = CloudBucketMount::create("b", {.key_prefix = "p/"});
  EXPECT_EQ(ok.bucket_name, "b");
  EXPECT_EQ(ok.params.key_prefix, "p/");
}

TEST(CloudBucketMountTest, BucketTypeFromEndpoint) {
  using BT = modal::client::CloudBucketMount;
  EXPECT_EQ(internal::bucket_type_of(""), BT::S3);
  EXPECT_EQ(internal::bucket_type_of("https://acct.r2.cloudflarestorage.com"), BT::R2);
  EXPECT_EQ(internal::bucket_type_of("https://storage.googleapis.com/x"), BT::GCP);
  EXPECT_EQ(internal::bucket_type_of("http://minio.local:9000"), BT::S3);
  auto const proto = internal::cloud_bucket_mount_to_proto(CloudBucketMount::create("b"), "/m", "");
  EXPECT_EQ(proto.bucket_type(), BT::S3);
  EXPECT_FALSE(proto.has_key_prefix());
  EXPECT_FALSE(proto.has_bucket_endpoint_url());
  EXPECT_EQ(proto.credentials_secret_id(), "");
}

TEST(TunnelTest, UrlAndSockets) {
  Tunnel const tls{.host = "abc.modal.host", .port = 443};
  EXPECT_EQ(tls.url(), "https://abc.modal.host");
  EXPECT_EQ(tls.tls_socket(), std::make_pair(std::string("abc.modal.host"), 443));
  EXPECT_THAT([&] { tls.tcp_socket(); },
              ::testing::ThrowsMessage<InvalidError>(HasSubstr("no unencrypted TCP endpoint")));
  Tunnel const other{.host = "h", .port = 8443, .unencrypted_host = "u", .unencrypted_port = 2222};
  EXPECT_EQ(other.url(), "https://h:8443");
  EXPECT_EQ(other.tcp_socket(), std::make_pair(std::string("u"), 2222));
}

}  // namespace
}  // namespace modal::testing
