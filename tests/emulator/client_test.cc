// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// The public surface of modal/emulator.h as users' tests see it: Emulator::client() points a
// Client at the emulator whatever the process environment (MODAL_*) and ~/.modal.toml say.
#include "modal/emulator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <string>

#include "modal/modal.h"
#include "testing_util/scoped_environment.h"
#include "testing_util/temp_file.h"

namespace modal::emulator {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string metadata(ReceivedCall const& call, std::string const& key) {
  auto it = call.metadata.find(key);
  return it == call.metadata.end() ? std::string() : it->second;
}

class EmulatorClientTest : public ::testing::Test {
 protected:
  testing_util::ScopedEnvironment env_;
};

TEST_F(EmulatorClientTest, DefaultConstructedServesOnAPrivateLoopbackPort) {
  Emulator emu;
  EXPECT_GT(emu.port(), 0);
  EXPECT_EQ(emu.server_url(), "http://127.0.0.1:" + std::to_string(emu.port()));
  Emulator other;
  EXPECT_NE(other.port(), emu.port());
}

TEST_F(EmulatorClientTest, ClientUsesTheEmulatorsUrlAndCredentials) {
  EmulatorOptions options;
  options.token_id = "ak-client-test";
  options.token_secret = "as-client-test";
  Emulator emu(options);
  Client client = emu.client();
  EXPECT_EQ(client.server_url(), emu.server_url());
  EXPECT_EQ(client.environment(), "");

  App app = client.apps().from_name("my-app", {.create_if_missing = true});
  EXPECT_THAT(app.app_id, StartsWith("ap-"));
  auto calls = emu.received_calls("AppGetOrCreate");
  ASSERT_EQ(calls.size(), 1U);
  EXPECT_EQ(calls[0].code, 0);
  EXPECT_EQ(metadata(calls[0], "x-modal-token-id"), "ak-client-test");
  EXPECT_EQ(metadata(calls[0], "x-modal-token-secret"), "as-client-test");
}

TEST_F(EmulatorClientTest, ClientIgnoresModalVariablesAndConfigFiles) {
  // Each of these would make a plain Client() talk to something else, fail, or behave
  // differently.
  testing_util::TempDir home;
  home.write_file(".modal.toml", "this is not TOML [");
  testing_util::TempFile config(
      "[other]\nserver_url = \"http://127.0.0.1:9\"\ntoken_id = \"ak-other\"\n"
      "token_secret = \"as-other\"\nactive = true\n",
      ".toml");
  env_.set("HOME", home.path().string());
  env_.set("MODAL_CONFIG_PATH", config.path().string());
  env_.set("MODAL_PROFILE", "no-such-profile");
  env_.set("MODAL_SERVER_URL", "http://127.0.0.1:9");
  env_.set("MODAL_TOKEN_ID", "ak-from-env");
  env_.set("MODAL_TOKEN_SECRET", "as-from-env");
  env_.set("MODAL_ENVIRONMENT", "no-such-environment");
  env_.set("MODAL_LOGLEVEL", "not-a-level");
  env_.set("MODAL_IMAGE_BUILDER_VERSION", "1999.01");
  env_.set("MODAL_MAX_THROTTLE_WAIT", "0");

  Emulator emu;
  Client client = emu.client();
  EXPECT_EQ(client.server_url(), emu.server_url());
  EXPECT_EQ(client.environment(), "");
  // MODAL_MAX_THROTTLE_WAIT=0 would turn server-directed retries off, and RESOURCE_EXHAUSTED
  // is retried only when the server asks for it.
  emu.inject_fault("AppGetOrCreate", {.count = 1, .code = 8, .retry_after_secs = 0.01});
  App app = client.apps().from_name("my-app", {.create_if_missing = true});
  EXPECT_EQ(emu.received_calls("AppGetOrCreate").size(), 2U);
  // The image builder version comes from the environment, not MODAL_IMAGE_BUILDER_VERSION.
  std::string const image_id = client.images().from_registry("alpine:3.21").build(app);
  EXPECT_THAT(image_id, StartsWith("im-"));
  EXPECT_EQ(emu.received_calls("EnvironmentGetOrCreate").size(), 1U);
  for (auto const& call : emu.received_calls()) {
    EXPECT_EQ(metadata(call, "x-modal-token-id"), "ak-emulator") << call.method;
  }
}

TEST_F(EmulatorClientTest, ExtraOptionsTakePrecedence) {
  Emulator emu;
  std::atomic<int> observed{0};
  ClientOptions extra;
  extra.environment = "dev";
  extra.call_observer = [&](CallInfo const&) { ++observed; };
  Client client = emu.client(extra);
  EXPECT_EQ(client.environment(), "dev");
  EXPECT_EQ(client.server_url(), emu.server_url());
  try {
    client.apps().from_name("my-app", {.create_if_missing = true});
    ADD_FAILURE() << "environment 'dev' does not exist";
  } catch (NotFoundError const& e) {
    EXPECT_THAT(e.what(), HasSubstr("Environment 'dev' not found"));
  }
  EXPECT_GE(observed.load(), 1);
}

}  // namespace
}  // namespace modal::emulator
