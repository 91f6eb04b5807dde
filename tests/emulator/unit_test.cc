// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Pieces of the emulator that need no server: ids, JWTs, faults, the command line.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "modal_proto/api.pb.h"
#include "server/cli.h"
#include "server/core.h"
#include "server/ids.h"
#include "server/jwt.h"
#include "store/images.h"
#include "testing_util/temp_file.h"

namespace modal::emulator {
namespace {

using ::testing::HasSubstr;

TEST(IdsTest, ShapeAndUniqueness) {
  std::set<std::string> seen;
  for (char const* prefix : {"ap", "st", "sb", "en", "im", "ta"}) {
    for (int i = 0; i < 100; ++i) {
      std::string const id = new_id(prefix);
      EXPECT_TRUE(is_id(id, prefix)) << id;
      EXPECT_EQ(id.size(), std::string(prefix).size() + 1 + 22);
      EXPECT_TRUE(seen.insert(id).second) << "duplicate " << id;
    }
  }
}

TEST(IdsTest, IsIdRejectsMalformed) {
  EXPECT_FALSE(is_id("ap-123", "ap"));
  EXPECT_FALSE(is_id("st-" + std::string(22, 'a'), "ap"));
  EXPECT_FALSE(is_id("ap_" + std::string(22, 'a'), "ap"));
  EXPECT_FALSE(is_id("ap-" + std::string(21, 'a') + "-", "ap"));
  EXPECT_TRUE(is_id("ap-" + std::string(22, 'Z'), "ap"));
}

TEST(IdsTest, ConcurrentGenerationIsDistinct) {
  std::vector<std::vector<std::string>> out(4);
  std::vector<std::thread> threads;
  threads.reserve(out.size());
  for (auto& v : out) {
    threads.emplace_back([&v] {
      for (int i = 0; i < 500; ++i) v.push_back(new_id("sb"));
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> all;
  for (auto const& v : out) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), 2000u);
}

TEST(JwtTest, IssuedTokenHasThreePartsAndClaims) {
  TokenIssuer issuer("test-issuer");
  double const before = unix_now();
  std::string const token =
      issuer.issue("ta-1", std::chrono::seconds(60), nlohmann::json{{"task_id", "ta-1"}});
  EXPECT_EQ(std::count(token.begin(), token.end(), '.'), 2);
  EXPECT_EQ(token.find('='), std::string::npos);  // base64url without padding
  auto payload = decode_jwt_payload(token);
  ASSERT_TRUE(payload.has_value());
  EXPECT_EQ((*payload)["sub"], "ta-1");
  EXPECT_EQ((*payload)["task_id"], "ta-1");
  EXPECT_EQ((*payload)["iss"], "test-issuer");
  ASSERT_TRUE((*payload)["exp"].is_number_integer());
  EXPECT_NEAR((*payload)["exp"].get<double>(), before + 60, 2.0);

  auto v = issuer.verify(token);
  EXPECT_EQ(v.verdict, TokenIssuer::Verdict::kValid);
  EXPECT_EQ(v.subject, "ta-1");
}

TEST(JwtTest, UnknownAndTamperedTokensAreRejected) {
  TokenIssuer issuer("i");
  std::string const token = issuer.issue("s", std::chrono::seconds(60));
  EXPECT_EQ(issuer.verify("a.b.c").verdict, TokenIssuer::Verdict::kUnknown);
  std::string tampered = token;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(issuer.verify(tampered).verdict, TokenIssuer::Verdict::kUnknown);
  TokenIssuer other("i");
  EXPECT_EQ(other.verify(token).verdict, TokenIssuer::Verdict::kUnknown);
}

TEST(JwtTest, TokensExpire) {
  TokenIssuer issuer("i");
  std::string const token = issuer.issue("s", std::chrono::seconds(1));
  EXPECT_EQ(issuer.verify(token).verdict, TokenIssuer::Verdict::kValid);
  auto const exp = decode_jwt_payload(token)->at("exp").get<double>();
  std::this_thread::sleep_for(std::chrono::duration<double>(exp - unix_now() + 0.05));
  auto v = issuer.verify(token);
  EXPECT_EQ(v.verdict, TokenIssuer::Verdict::kExpired);
  EXPECT_EQ(v.subject, "s");
}

TEST(JwtTest, DecodeRejectsMalformed) {
  EXPECT_FALSE(decode_jwt_payload("onlyone").has_value());
  EXPECT_FALSE(decode_jwt_payload("a.b").has_value());
  EXPECT_FALSE(decode_jwt_payload("a.!!!.c").has_value());
  EXPECT_FALSE(decode_jwt_payload("a.bm90IGpzb24.c").has_value());  // "not json"
}

TEST(FaultStatusTest, PlainFaultHasNoDetails) {
  Fault f;
  f.code = 13;
  f.message = "boom";
  auto st = fault_status(f);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(st.error_message(), "boom");
  EXPECT_TRUE(st.error_details().empty());
}

TEST(FaultStatusTest, RetryAfterIsEncodedAsRpcStatus) {
  Fault f;
  f.code = 8;
  f.message = "throttled";
  f.retry_after_secs = 0.25;
  auto st = fault_status(f);
  modal::client::RPCStatus s;
  ASSERT_TRUE(s.ParseFromString(st.error_details()));
  EXPECT_EQ(s.code(), 8);
  ASSERT_EQ(s.details_size(), 1);
  EXPECT_EQ(s.details(0).type_url(), "type.googleapis.com/modal.client.RPCRetryPolicy");
  modal::client::RPCRetryPolicy p;
  ASSERT_TRUE(p.ParseFromString(s.details(0).value()));
  EXPECT_FLOAT_EQ(p.retry_after_secs(), 0.25f);
}

TEST(CoreTest, FaultCountsAreConsumedPerCall) {
  Core core(EmulatorOptions{});
  Fault f;
  f.count = 3;
  core.inject_fault("X", f);
  core.inject_fault("Y", Fault{});
  EXPECT_TRUE(core.take_fault("X").has_value());
  EXPECT_TRUE(core.take_fault("X").has_value());
  EXPECT_TRUE(core.take_fault("X").has_value());
  EXPECT_FALSE(core.take_fault("X").has_value());
  EXPECT_TRUE(core.take_fault("Y").has_value());
  EXPECT_FALSE(core.take_fault("Y").has_value());
  Fault zero;
  zero.count = 0;
  core.inject_fault("Z", zero);
  EXPECT_FALSE(core.take_fault("Z").has_value());
}

TEST(CoreTest, ShutdownHooksRunOnceInOrder) {
  Core core(EmulatorOptions{});
  std::vector<int> ran;
  core.add_shutdown_hook([&] { ran.push_back(1); });
  core.add_shutdown_hook([&] { ran.push_back(2); });
  EXPECT_FALSE(core.shutting_down());
  core.begin_shutdown();
  EXPECT_TRUE(core.shutting_down());
  core.begin_shutdown();
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
  core.add_shutdown_hook([&] { ran.push_back(3); });  // late: runs right away
  EXPECT_EQ(ran, (std::vector<int>{1, 2, 3}));
}

TEST(CoreTest, SeedsMainEnvironmentAndSecrets) {
  EmulatorOptions opts;
  opts.secrets["a"] = {{"K", "V"}};
  Core core(opts);
  auto env = core.environments().resolve("");
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_EQ(env->name, "main");
  EXPECT_TRUE(is_id(env->id, "en"));
  auto secret = core.secrets().lookup("main", "a");
  ASSERT_TRUE(secret.ok()) << secret.status();
  EXPECT_TRUE(is_id(secret->id, "st"));
  EXPECT_EQ(secret->env.at("K"), "V");
}

TEST(CoreTest, EmptySeedNamesAreRejected) {
  EmulatorOptions secrets;
  secrets.secrets[""] = {{"K", "V"}};
  EXPECT_THROW(Core{secrets}, std::invalid_argument);
  EmulatorOptions proxies;
  proxies.proxies = {"egress", ""};
  EXPECT_THROW(Core{proxies}, std::invalid_argument);
}

// ---------------------------------------------------------------------------------------
// Command line

TEST(CommandLineTest, Defaults) {
  auto cl = parse_command_line({});
  ASSERT_TRUE(cl.ok()) << cl.status();
  EXPECT_EQ(cl->options.host, "127.0.0.1");
  EXPECT_EQ(cl->options.port, 0);
  EXPECT_EQ(cl->options.token_id, "ak-emulator");
  EXPECT_EQ(cl->options.token_secret, "as-emulator");
  EXPECT_FALSE(cl->options.verbose);
  EXPECT_FALSE(cl->help);
  EXPECT_TRUE(cl->port_file.empty());
  EXPECT_TRUE(cl->options.secrets.empty());
}

TEST(CommandLineTest, AllFlags) {
  auto cl = parse_command_line(
      {"--host", "0.0.0.0", "--port=8123", "--token-id", "ak-1", "--token-secret=as-1",
       "--auth-token-lifetime", "1", "--router-token-lifetime=30", "--secret", "db:USER=u,PASS=p=q",
       "--secret=empty:", "--secret", "db:HOST=h", "--port-file", "/tmp/p", "--verbose"});
  ASSERT_TRUE(cl.ok()) << cl.status();
  EXPECT_EQ(cl->options.host, "0.0.0.0");
  EXPECT_EQ(cl->options.port, 8123);
  EXPECT_EQ(cl->options.token_id, "ak-1");
  EXPECT_EQ(cl->options.token_secret, "as-1");
  EXPECT_EQ(cl->options.auth_token_lifetime, std::chrono::seconds(1));
  EXPECT_EQ(cl->options.router_token_lifetime, std::chrono::seconds(30));
  EXPECT_EQ(cl->port_file, "/tmp/p");
  EXPECT_TRUE(cl->options.verbose);
  using Env = std::map<std::string, std::string>;
  EXPECT_EQ(cl->options.secrets.at("db"), (Env{{"USER", "u"}, {"PASS", "p=q"}, {"HOST", "h"}}));
  EXPECT_TRUE(cl->options.secrets.at("empty").empty());
}

using SecretMap = std::map<std::string, std::map<std::string, std::string>>;

SecretMap secrets_of(std::vector<std::string> const& values) {
  std::vector<std::string> args;
  for (auto const& v : values) {
    args.emplace_back("--secret");
    args.push_back(v);
  }
  auto cl = parse_command_line(args);
  EXPECT_TRUE(cl.ok()) << cl.status();
  return cl.ok() ? cl->options.secrets : SecretMap{};
}

TEST(CommandLineTest, SecretValuesMayContainCommas) {
  using Env = std::map<std::string, std::string>;
  // One key per --secret takes a value with commas (a comma starts a new pair only when an
  // '=' follows before the next comma) and the keys of one NAME are merged.
  EXPECT_EQ(secrets_of({R"(n:JSON={"a":1,"b":2})", "n:LIST=x,y,z", "n:EMPTY="}).at("n"),
            (Env{{"JSON", R"({"a":1,"b":2})"}, {"LIST", "x,y,z"}, {"EMPTY", ""}}));
  // The compact form, with a value containing a comma followed by an '=' escaped.
  EXPECT_EQ(secrets_of({R"(n:URL=db?a=1\,b=2,USER=u)"}).at("n"),
            (Env{{"URL", "db?a=1,b=2"}, {"USER", "u"}}));
  // \\ is a backslash; other backslashes are kept as they are.
  EXPECT_EQ(secrets_of({R"(n:A=C:\\dir\\,B=\d\n)"}).at("n"),
            (Env{{"A", R"(C:\dir\)"}, {"B", R"(\d\n)"}}));
  // The last value of a key wins.
  EXPECT_EQ(secrets_of({"n:A=1,B=2", "n:A=3"}).at("n"), (Env{{"A", "3"}, {"B", "2"}}));
  // Any value, escaped, round-trips.
  std::string const nasty = R"(a,b=c\,d\\e,=f\)";
  std::string escaped;
  for (char c : nasty) {
    if (c == ',' || c == '\\') escaped += '\\';
    escaped += c;
  }
  EXPECT_EQ(secrets_of({"n:K=" + escaped}).at("n"), (Env{{"K", nasty}}));
}

TEST(CommandLineTest, SecretKeysMustBeEnvironmentVariableNames) {
  for (std::string const value : {"n:1A=b", "n:A=1,1B=2", "n:A-B=1", "n:A=1, B=2", "n:=V",
                                  "n:A=1,=2=3", "n:KEYONLY", R"(n:A\,B=1)"}) {
    SecretMap secrets;
    auto const st = parse_secret_flag(value, secrets);
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << value;
    EXPECT_TRUE(secrets.empty()) << value;  // nothing added from a bad flag
  }
  SecretMap secrets;
  auto const st = parse_secret_flag("n:A=1,1B=2", secrets);
  EXPECT_THAT(std::string(st.message()), HasSubstr("invalid key '1B'"));
  EXPECT_THAT(std::string(st.message()), HasSubstr("[A-Za-z_][A-Za-z0-9_]*"));
  EXPECT_THAT(std::string(st.message()), HasSubstr(R"(\,)"));  // how to keep the comma
  EXPECT_TRUE(parse_secret_flag("n:_a9=1", secrets).ok());
}

TEST(CommandLineTest, Help) {
  auto cl = parse_command_line({"--help"});
  ASSERT_TRUE(cl.ok());
  EXPECT_TRUE(cl->help);
  for (char const* flag :
       {"--host", "--port", "--token-id", "--token-secret", "--auth-token-lifetime",
        "--router-token-lifetime", "--secret", "--port-file", "--verbose", "--help"}) {
    EXPECT_THAT(usage(), HasSubstr(flag));
  }
}

TEST(CommandLineTest, FsTools) {
  auto plain = parse_command_line({});
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->options.fs_tools_path, "");
  auto set = parse_command_line({"--fs-tools", "/opt/tool"});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->options.fs_tools_path, "/opt/tool");
  EXPECT_EQ(parse_command_line({"--fs-tools="}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(parse_command_line({"--fs-tools"}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(usage(), HasSubstr("--fs-tools PATH"));
}

TEST(CommandLineTest, Images) {
  auto set = parse_command_line(
      {"--image", "alpine:3.21=/images/alpine.tar", "--image=example.com/x/y=/images/oci-dir"});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->options.images,
            (std::map<std::string, std::string>{{"alpine:3.21", "/images/alpine.tar"},
                                                {"example.com/x/y", "/images/oci-dir"}}));
  for (auto const& bad : {"alpine", "=/x", "alpine:3=", ""}) {
    EXPECT_EQ(parse_command_line({"--image", bad}).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
  auto twice = parse_command_line({"--image", "a:1=/x", "--image", "a:1=/y"});
  EXPECT_THAT(twice.status().message(), HasSubstr("mapped twice"));
  EXPECT_THAT(usage(), HasSubstr("--image TAG=PATH"));
}

TEST(CommandLineTest, BucketsAndStateDir) {
  auto set = parse_command_line({"--bucket", "my-bucket=/data/b", "--bucket=other=/srv/o",
                                 "--state-dir", "/var/lib/modal-emulator"});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->options.buckets,
            (std::map<std::string, std::string>{{"my-bucket", "/data/b"}, {"other", "/srv/o"}}));
  EXPECT_EQ(set->options.state_dir, "/var/lib/modal-emulator");
  for (auto const& bad : {"bucket", "=/x", "b=", ""}) {
    EXPECT_EQ(parse_command_line({"--bucket", bad}).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_THAT(parse_command_line({"--bucket", "b=/x", "--bucket", "b=/y"}).status().message(),
              HasSubstr("mapped twice"));
  EXPECT_EQ(parse_command_line({"--state-dir", ""}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(usage(), HasSubstr("--bucket NAME=DIR"));
  EXPECT_THAT(usage(), HasSubstr("--state-dir DIR"));
}

TEST(ImageStoreTest, RegistryTagsAreComparedInNormalForm) {
  EXPECT_EQ(normal_registry_tag("alpine"), "alpine:latest");
  EXPECT_EQ(normal_registry_tag("docker.io/library/alpine:3.21"), "alpine:3.21");
  EXPECT_EQ(normal_registry_tag("docker.io/team/app"), "team/app:latest");
  EXPECT_EQ(normal_registry_tag("localhost:5000/app"), "localhost:5000/app:latest");
  EXPECT_EQ(normal_registry_tag("app@sha256:abc"), "app@sha256:abc");
  ImageStore store;
  store.map_registry_tag("busybox", {.source = "/b", .config = {}});
  ASSERT_TRUE(store.mapped_registry_tag("docker.io/library/busybox:latest").has_value());
  EXPECT_EQ(store.mapped_registry_tag("busybox:latest")->source, "/b");
  EXPECT_FALSE(store.mapped_registry_tag("busybox:1").has_value());
}

TEST(CoreTest, AnFsToolsPathThatIsNoExecutableIsRejected) {
  std::string const plain_file = ::testing::TempDir() + "fs-tools-not-executable";
  std::ofstream(plain_file) << "#!/bin/sh\n";
  std::filesystem::permissions(
      plain_file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                      std::filesystem::perms::group_read | std::filesystem::perms::others_read);
  for (std::string const& path : {std::string("/no/such/tool"), std::string("/tmp"), plain_file}) {
    EmulatorOptions options;
    options.fs_tools_path = path;
    EXPECT_THROW(Core{options}, std::invalid_argument) << path;
  }
  std::remove(plain_file.c_str());
}

TEST(CommandLineTest, UnsafeHostFilesystem) {
  auto plain = parse_command_line({});
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->options.unsafe_host_filesystem);
  auto unsafe = parse_command_line({"--unsafe-host-filesystem"});
  ASSERT_TRUE(unsafe.ok()) << unsafe.status();
  EXPECT_TRUE(unsafe->options.unsafe_host_filesystem);
  EXPECT_EQ(parse_command_line({"--unsafe-host-filesystem=1"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(usage(), HasSubstr("--unsafe-host-filesystem"));
}

TEST(CommandLineTest, Errors) {
  std::vector<std::vector<std::string>> bad = {
      {"--bogus"},
      {"positional"},
      {"--port"},
      {"--port", "abc"},
      {"--port", "70000"},
      {"--port=-1"},
      {"--auth-token-lifetime", "0"},
      {"--router-token-lifetime", "x"},
      {"--secret", "nocolon"},
      {"--secret", ":K=V"},
      {"--secret", "n:KEYONLY"},
      {"--secret", "n:=V"},
      {"--verbose=yes"},
      {"--host="},
  };
  for (auto const& args : bad) {
    auto cl = parse_command_line(args);
    ASSERT_FALSE(cl.ok()) << args[0];
    EXPECT_EQ(cl.status().code(), absl::StatusCode::kInvalidArgument) << args[0];
  }
}

TEST(PortFileTest, WritesPortAtomically) {
  modal::testing_util::TempDir dir;
  auto const path = (dir / "port").string();
  ASSERT_TRUE(write_port_file(path, 4242).ok());
  EXPECT_EQ(modal::testing_util::read_file(path), "4242\n");
  ASSERT_TRUE(write_port_file(path, 7).ok());  // replaces
  EXPECT_EQ(modal::testing_util::read_file(path), "7\n");
  // No temporary files are left behind.
  int entries = 0;
  for ([[maybe_unused]] auto const& e : std::filesystem::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1);
  EXPECT_FALSE(write_port_file((dir / "missing-dir" / "port").string(), 1).ok());
}

}  // namespace
}  // namespace modal::emulator
