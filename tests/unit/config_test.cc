// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "internal/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "modal/errors.h"
#include "testing_util/scoped_environment.h"
#include "testing_util/temp_file.h"

namespace modal::internal {
namespace {

using ::testing::HasSubstr;
using testing_util::TempDir;
using testing_util::TempFile;

// An environment given as a map, so tests never depend on the real one.
EnvLookup fake_env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](char const* name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

constexpr char kTwoProfiles[] = R"(
[default]
server_url = "https://profile.example:443"
token_id = "ak-profile"
token_secret = "as-profile"
environment = "profile-env"
image_builder_version = "2024.04"
loglevel = "info"

[other]
token_id = "ak-other"
token_secret = "as-other"
active = true
)";

TEST(ConfigTest, DefaultsWithNoFileAndNoEnvironment) {
  TempDir dir;
  auto cfg = resolve_config({}, fake_env({{"HOME", dir.path().string()}}));
  EXPECT_EQ(cfg.server_url, "https://api.modal.com:443");
  EXPECT_TRUE(cfg.server.tls);
  EXPECT_EQ(cfg.server.target, "api.modal.com:443");
  EXPECT_EQ(cfg.token_id, "");
  EXPECT_EQ(cfg.environment, "");
  EXPECT_EQ(cfg.log_level, LogLevel::kWarn);
  EXPECT_FALSE(cfg.max_throttle_wait.has_value());
  EXPECT_EQ(cfg.config_path, (dir.path() / ".modal.toml").string());
}

TEST(ConfigTest, ReadsHomeModalTomlByDefault) {
  TempDir dir;
  dir.write_file(".modal.toml", kTwoProfiles);
  auto cfg = resolve_config({}, fake_env({{"HOME", dir.path().string()}}));
  EXPECT_EQ(cfg.profile_name, "other");
  EXPECT_EQ(cfg.token_id, "ak-other");
}

TEST(ConfigTest, ActiveProfileIsUsedWithoutModalProfile) {
  TempFile file(kTwoProfiles, ".toml");
  auto cfg = resolve_config({}, fake_env({{"MODAL_CONFIG_PATH", file.path().string()}}));
  EXPECT_EQ(cfg.profile_name, "other");
  EXPECT_EQ(cfg.token_id, "ak-other");
  EXPECT_EQ(cfg.token_secret, "as-other");
  EXPECT_EQ(cfg.server_url, kDefaultServerUrl);
}

TEST(ConfigTest, ModalProfileSelectsProfile) {
  TempFile file(kTwoProfiles, ".toml");
  auto cfg = resolve_config(
      {}, fake_env({{"MODAL_CONFIG_PATH", file.path().string()}, {"MODAL_PROFILE", "default"}}));
  EXPECT_EQ(cfg.profile_name, "default");
  EXPECT_EQ(cfg.server_url, "https://profile.example:443");
  EXPECT_EQ(cfg.token_id, "ak-profile");
  EXPECT_EQ(cfg.environment, "profile-env");
  EXPECT_EQ(cfg.image_builder_version, "2024.04");
  EXPECT_EQ(cfg.log_level, LogLevel::kInfo);
}

TEST(ConfigTest, OptionsProfileBeatsModalProfile) {
  TempFile file(kTwoProfiles, ".toml");
  ClientOptions opts;
  opts.profile = "other";
  auto cfg = resolve_config(
      opts, fake_env({{"MODAL_CONFIG_PATH", file.path().string()}, {"MODAL_PROFILE", "default"}}));
  EXPECT_EQ(cfg.profile_name, "other");
}

TEST(ConfigTest, UnknownProfileIsAConfigError) {
  TempFile file(kTwoProfiles, ".toml");
  try {
    resolve_config(
        {}, fake_env({{"MODAL_CONFIG_PATH", file.path().string()}, {"MODAL_PROFILE", "nope"}}));
    FAIL() << "expected ConfigError";
  } catch (ConfigError const& e) {
    EXPECT_THAT(e.what(), HasSubstr("'nope'"));
    EXPECT_THAT(e.what(), HasSubstr(file.path().string()));
  }
}

TEST(ConfigTest, DevNullMeansNoProfiles) {
  auto cfg = resolve_config(
      {}, fake_env({{"MODAL_CONFIG_PATH", "/dev/null"}, {"MODAL_TOKEN_ID", "ak-env"}}));
  EXPECT_EQ(cfg.config_path, "/dev/null");
  EXPECT_EQ(cfg.profile_name, "");
  EXPECT_EQ(cfg.token_id, "ak-env");
}

TEST(ConfigTest, EmptyFileMeansNoProfiles) {
  TempFile file("", ".toml");
  auto cfg = resolve_config({}, fake_env({{"MODAL_CONFIG_PATH", file.path().string()}}));
  EXPECT_EQ(cfg.profile_name, "");
}

TEST(ConfigTest, ADirectoryIsNotAConfigFile) {
  TempDir dir;
  EXPECT_THROW(resolve_config({}, fake_env({{"MODAL_CONFIG_PATH", dir.path().string()}})),
               ConfigError);
}

TEST(ConfigTest, NamedProfileWithoutAConfigFileIsAConfigError) {
  TempDir dir;
  auto const missing = (dir.path() / "absent.toml").string();
  try {
    resolve_config({}, fake_env({{"MODAL_CONFIG_PATH", missing}, {"MODAL_PROFILE", "x"}}));
    FAIL() << "expected ConfigError";
  } catch (ConfigError const& e) {
    EXPECT_THAT(e.what(), HasSubstr("profile 'x' not found"));
    EXPECT_THAT(e.what(), HasSubstr(missing));
  }
  // Against /dev/null as well: it has no profiles.
  EXPECT_THROW(
      resolve_config({}, fake_env({{"MODAL_CONFIG_PATH", "/dev/null"}, {"MODAL_PROFILE", "x"}})),
      ConfigError);
}

TEST(ConfigTest, EmptyProfileOptionIgnoresModalProfile) {
  TempDir dir;
  ClientOptions o;
  o.profile = "";
  auto cfg = resolve_config(
      o, fake_env({{"MODAL_CONFIG_PATH", (dir.path() / "none").string()}, {"MODAL_PROFILE", "x"}}));
  EXPECT_EQ(cfg.profile_name, "");
}

TEST(ConfigTest, EnvironmentBeatsProfileAndOptionsBeatEnvironment) {
  TempFile file(kTwoProfiles, ".toml");
  auto env = fake_env({{"MODAL_CONFIG_PATH", file.path().string()},
                       {"MODAL_PROFILE", "default"},
                       {"MODAL_SERVER_URL", "http://127.0.0.1:9999"},
                       {"MODAL_TOKEN_ID", "ak-env"},
                       {"MODAL_TOKEN_SECRET", "as-env"},
                       {"MODAL_ENVIRONMENT", "env-env"},
                       {"MODAL_IMAGE_BUILDER_VERSION", "2025.06"},
                       {"MODAL_LOGLEVEL", "debug"},
                       {"MODAL_MAX_THROTTLE_WAIT", "7"}});
  auto cfg = resolve_config({}, env);
  EXPECT_EQ(cfg.server_url, "http://127.0.0.1:9999");
  EXPECT_FALSE(cfg.server.tls);
  EXPECT_EQ(cfg.server.target, "127.0.0.1:9999");
  EXPECT_EQ(cfg.token_id, "ak-env");
  EXPECT_EQ(cfg.token_secret, "as-env");
  EXPECT_EQ(cfg.environment, "env-env");
  EXPECT_EQ(cfg.image_builder_version, "2025.06");
  EXPECT_EQ(cfg.log_level, LogLevel::kDebug);
  EXPECT_EQ(cfg.max_throttle_wait, std::chrono::seconds(7));

  ClientOptions opts;
  opts.token_id = "ak-opt";
  opts.token_secret = "as-opt";
  opts.environment = "opt-env";
  opts.server_url = "https://opt.example";
  opts.image_builder_version = "2023.12";
  opts.log_level = LogLevel::kError;
  opts.max_throttle_wait = std::chrono::milliseconds(0);
  cfg = resolve_config(opts, env);
  EXPECT_EQ(cfg.server_url, "https://opt.example");
  EXPECT_EQ(cfg.server.target, "opt.example:443");
  EXPECT_EQ(cfg.token_id, "ak-opt");
  EXPECT_EQ(cfg.token_secret, "as-opt");
  EXPECT_EQ(cfg.environment, "opt-env");
  EXPECT_EQ(cfg.image_builder_version, "2023.12");
  EXPECT_EQ(cfg.log_level, LogLevel::kError);
  EXPECT_EQ(cfg.max_throttle_wait, std::chrono::milliseconds(0));
}

TEST(ConfigTest, EmptyEnvironmentVariablesAreIgnored) {
  TempFile file(kTwoProfiles, ".toml");
  auto cfg = resolve_config(
      {}, fake_env({{"MODAL_CONFIG_PATH", file.path().string()}, {"MODAL_TOKEN_ID", ""}}));
  EXPECT_EQ(cfg.token_id, "ak-other");
}

// sandbox_v2: on unless switched off, as npm modal 0.11 reads MODAL_SANDBOX_V2 and the
// profile's key ("0" and "false" in any case are off, anything else on).
TEST(ConfigTest, SandboxV2IsOnByDefaultAndSwitchedOffByEnvironmentProfileOrOptions) {
  TempDir dir;
  auto const home = dir.path().string();
  EXPECT_TRUE(resolve_config({}, fake_env({{"HOME", home}})).sandbox_v2);
  for (char const* off : {"0", "false", "FALSE", "False"}) {
    EXPECT_FALSE(
        resolve_config({}, fake_env({{"HOME", home}, {"MODAL_SANDBOX_V2", off}})).sandbox_v2)
        << off;
  }
  for (char const* on : {"1", "true", "yes", "no"}) {
    EXPECT_TRUE(resolve_config({}, fake_env({{"HOME", home}, {"MODAL_SANDBOX_V2", on}})).sandbox_v2)
        << on;
  }
  TempFile bool_off("[p]\nactive = true\nsandbox_v2 = false\n", ".toml");
  TempFile text_off("[p]\nactive = true\nsandbox_v2 = \"0\"\n", ".toml");
  TempFile bad("[p]\nactive = true\nsandbox_v2 = 1\n", ".toml");
  auto with = [&](TempFile const& f, std::map<std::string, std::string> more = {}) {
    more["MODAL_CONFIG_PATH"] = f.path().string();
    return fake_env(std::move(more));
  };
  EXPECT_FALSE(resolve_config({}, with(bool_off)).sandbox_v2);
  EXPECT_FALSE(resolve_config({}, with(text_off)).sandbox_v2);
  // The variable beats the profile (an empty one is unset), and the option beats both.
  EXPECT_TRUE(resolve_config({}, with(bool_off, {{"MODAL_SANDBOX_V2", "1"}})).sandbox_v2);
  EXPECT_FALSE(resolve_config({}, with(bool_off, {{"MODAL_SANDBOX_V2", ""}})).sandbox_v2);
  ClientOptions opts;
  opts.sandbox_v2 = true;
  EXPECT_TRUE(resolve_config(opts, with(bool_off, {{"MODAL_SANDBOX_V2", "0"}})).sandbox_v2);
  EXPECT_THAT([&] { resolve_config({}, with(bad)); },
              ::testing::ThrowsMessage<ConfigError>(HasSubstr("sandbox_v2")));
}

TEST(ConfigTest, RealProcessEnvironmentIsRead) {
  TempFile file(kTwoProfiles, ".toml");
  testing_util::ScopedEnvironment env;
  env.unset_with_prefix("MODAL_");
  env.set("MODAL_CONFIG_PATH", file.path().string());
  env.set("MODAL_TOKEN_ID", "ak-process");
  auto cfg = resolve_config({}, process_env());
  EXPECT_EQ(cfg.token_id, "ak-process");
  EXPECT_EQ(cfg.token_secret, "as-other");
}

TEST(ConfigTest, InvalidTomlNamesFileAndLine) {
  TempFile file("[default]\ntoken_id = \"ok\"\ntoken_secret = = broken\n", ".toml");
  try {
    resolve_config({}, fake_env({{"MODAL_CONFIG_PATH", file.path().string()}}));
    FAIL() << "expected ConfigError";
  } catch (ConfigError const& e) {
    EXPECT_THAT(e.what(), HasSubstr(file.path().string()));
    EXPECT_THAT(e.what(), HasSubstr("line 3"));
  }
}

TEST(ConfigTest, WrongValueTypeNamesFileAndLine) {
  TempFile file("[p]\nactive = true\ntoken_id = 42\n", ".toml");
  try {
    resolve_config({}, fake_env({{"MODAL_CONFIG_PATH", file.path().string()}}));
    FAIL() << "expected ConfigError";
  } catch (ConfigError const& e) {
    EXPECT_THAT(e.what(), HasSubstr("line 3"));
    EXPECT_THAT(e.what(), HasSubstr("token_id"));
  }
}

TEST(ConfigTest, UnreadableConfigIsAConfigError) {
  TempDir dir;  // a directory is not a readable config file
  EXPECT_THROW(resolve_config({}, fake_env({{"MODAL_CONFIG_PATH", dir.path().string()}})),
               ConfigError);
}

TEST(ConfigTest, ServerUrlSchemes) {
  EXPECT_THROW(parse_server_url("api.modal.com:443"), ConfigError);
  EXPECT_THROW(parse_server_url("grpc://api.modal.com"), ConfigError);
  EXPECT_THROW(parse_server_url("https://"), ConfigError);
  EXPECT_THROW(parse_server_url("http://host:99999"), ConfigError);
  EXPECT_THROW(parse_server_url("http://host/path"), ConfigError);
  auto a = parse_server_url("http://localhost:8080");
  EXPECT_FALSE(a.tls);
  EXPECT_EQ(a.target, "localhost:8080");
  EXPECT_EQ(a.host, "localhost");
  auto b = parse_server_url("https://[::1]:4443/");
  EXPECT_TRUE(b.tls);
  EXPECT_EQ(b.target, "[::1]:4443");
  EXPECT_EQ(b.host, "::1");
  EXPECT_EQ(parse_server_url("http://example.com").target, "example.com:80");
}

TEST(ConfigTest, BadServerUrlFromEnvironmentIsAConfigError) {
  TempDir dir;
  EXPECT_THROW(resolve_config(
                   {}, fake_env({{"HOME", dir.path().string()}, {"MODAL_SERVER_URL", "ftp://x"}})),
               ConfigError);
}

TEST(ConfigTest, LogLevels) {
  EXPECT_EQ(parse_log_level("Debug", "t"), LogLevel::kDebug);
  EXPECT_EQ(parse_log_level("INFO", "t"), LogLevel::kInfo);
  EXPECT_EQ(parse_log_level("warning", "t"), LogLevel::kWarn);
  EXPECT_EQ(parse_log_level("warn", "t"), LogLevel::kWarn);
  EXPECT_EQ(parse_log_level("error", "t"), LogLevel::kError);
  EXPECT_THROW(parse_log_level("verbose", "t"), ConfigError);
  TempDir dir;
  EXPECT_THROW(
      resolve_config({}, fake_env({{"HOME", dir.path().string()}, {"MODAL_LOGLEVEL", "loud"}})),
      ConfigError);
}

TEST(ConfigTest, InvalidMaxThrottleWaitIsIgnoredWithAWarning) {
  TempDir dir;
  auto cfg = resolve_config(
      {}, fake_env({{"HOME", dir.path().string()}, {"MODAL_MAX_THROTTLE_WAIT", "-3"}}));
  EXPECT_FALSE(cfg.max_throttle_wait.has_value());
  ASSERT_EQ(cfg.warnings.size(), 1u);
  EXPECT_THAT(cfg.warnings[0], HasSubstr("MODAL_MAX_THROTTLE_WAIT"));
}

TEST(ConfigTest, LoopbackHosts) {
  EXPECT_TRUE(is_loopback_host("localhost"));
  EXPECT_TRUE(is_loopback_host("127.0.0.1"));
  EXPECT_TRUE(is_loopback_host("::1"));
  EXPECT_FALSE(is_loopback_host("api.modal.com"));
  EXPECT_FALSE(is_loopback_host("10.0.0.1"));
}

}  // namespace
}  // namespace modal::internal
