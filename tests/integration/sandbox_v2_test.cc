// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// V2 Sandboxes beside V1 ones: the sandbox_v2 setting, experimental_create /
// experimental_from_name / experimental_list, the handle's version from its id, and the
// create reply that spares the first exec its round trips. (Every other Sandbox test runs
// with V2 Sandboxes and, as integration.v1.*, with V1 ones.)
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>
#include <vector>

#include "sandbox_test_util.h"

namespace modal::testing {
namespace {

using ::testing::HasSubstr;

bool is_v2_id(std::string const& id) {
  return std::regex_match(id, std::regex("sb-[0-7][0-9A-HJKMNP-TV-Z]{25}"));
}
bool is_v1_id(std::string const& id) {
  return std::regex_match(id, std::regex("sb-[0-9A-Za-z]{22}"));
}

class SandboxV2Test : public SandboxTest {
 protected:
  /// A client whose sandbox_v2 setting is `v2`, whatever the environment says.
  Client client_with(bool v2) const {
    auto o = fast_options();
    o.sandbox_v2 = v2;
    return Client(o);
  }
};

TEST_F(SandboxV2Test, TheSettingPicksTheApiAndGpusStayV1) {
  auto v2 = client_with(true).sandboxes().create(app(), image(), {.command = {"sleep", "30"}});
  auto v1 = client_with(false).sandboxes().create(app(), image(), {.command = {"sleep", "30"}});
  EXPECT_TRUE(is_v2_id(v2.sandbox_id())) << v2.sandbox_id();
  EXPECT_TRUE(is_v1_id(v1.sandbox_id())) << v1.sandbox_id();
  EXPECT_EQ(emu().received_calls("SandboxCreateV2").size(), 1u);
  EXPECT_EQ(emu().received_calls("SandboxCreate").size(), 1u);
  // A GPU Sandbox is V1 even with sandbox_v2 on, as upstream's newest client does.
  auto gpu = client_with(true).sandboxes().create(app(), image(), {.gpu = "T4"});
  EXPECT_TRUE(is_v1_id(gpu.sandbox_id())) << gpu.sandbox_id();
  for (auto* sb : {&v2, &v1, &gpu}) sb->terminate();
}

TEST_F(SandboxV2Test, ExperimentalCreateRefusesGpusBeforeSendingAnything) {
  EXPECT_THAT([&] { c().sandboxes().experimental_create(app(), image(), {.gpu = "A10G"}); },
              ::testing::ThrowsMessage<InvalidError>(HasSubstr("GPUs are not supported")));
  EXPECT_TRUE(emu().received_calls("SandboxCreateV2").empty());
}

TEST_F(SandboxV2Test, TheFirstExecAfterCreateMakesNoExtraRoundTrip) {
  auto sb = c().sandboxes().experimental_create(app(), image(), {.command = {"sleep", "30"}});
  emu().clear_received_calls();
  auto [out, code] = sh(sb, "echo first");
  EXPECT_EQ(out, "first\n");
  EXPECT_EQ(code, 0);
  // The create reply carried the task id and the router's address and JWT.
  EXPECT_TRUE(emu().received_calls("SandboxGetTaskIdV2").empty());
  EXPECT_TRUE(emu().received_calls("TaskGetCommandRouterAccess").empty());
  EXPECT_EQ(emu().received_calls("TaskExecStart").size(), 1u);

  // A handle from the id alone is V2 too, and finds the task and router itself.
  auto again = c().sandboxes().from_id(sb.sandbox_id());
  EXPECT_EQ(sh(again, "echo again").first, "again\n");
  EXPECT_EQ(emu().received_calls("SandboxGetTaskIdV2").size(), 1u);
  EXPECT_EQ(emu().received_calls("TaskGetCommandRouterAccess").size(), 1u);
  EXPECT_TRUE(emu().received_calls("SandboxGetTaskId").empty());
  sb.terminate();
}

TEST_F(SandboxV2Test, EveryHandleMethodTakesTheV2Path) {
  auto sb = c().sandboxes().experimental_create(
      app(), image(), {.command = {"cat"}, .encrypted_ports = {8443}, .tags = {{"k", "v"}}});
  auto handle = c().sandboxes().from_id(sb.sandbox_id());
  EXPECT_EQ(handle.poll(), std::nullopt);
  EXPECT_EQ(handle.get_tags(), (std::map<std::string, std::string>{{"k", "v"}}));
  handle.set_tags({{"k", "w"}});
  EXPECT_EQ(handle.tunnels().at(8443).port, 8443);
  EXPECT_FALSE(handle.create_connect_token().token.empty());
  auto in = handle.stdin_stream();
  in.write("through the router\n");
  in.close();
  EXPECT_EQ(handle.stdout_stream().read_all(), "through the router\n");
  EXPECT_EQ(handle.wait(), 0);
  for (char const* rpc :
       {"SandboxWaitV2", "SandboxTagsGetV2", "SandboxTagsSetV2", "SandboxGetTunnelsV2",
        "SandboxCreateConnectTokenV2", "SandboxStdinWriteV2", "SandboxStdioReadV2"}) {
    EXPECT_FALSE(emu().received_calls(rpc).empty()) << rpc;
  }
  for (char const* rpc : {"SandboxWait", "SandboxTagsGet", "SandboxTagsSet", "SandboxGetTunnels",
                          "SandboxCreateConnectToken", "SandboxStdinWrite", "SandboxGetLogs"}) {
    EXPECT_TRUE(emu().received_calls(rpc).empty()) << rpc;
  }
  auto killed = c().sandboxes().experimental_create(app(), image(), {.command = {"sleep", "30"}});
  EXPECT_EQ(killed.terminate({.wait = true}), 137);
  EXPECT_EQ(emu().received_calls("SandboxTerminateV2").size(), 1u);
}

TEST_F(SandboxV2Test, EnvAndFromMapSecretsTravelAsEphemeralSecretsNotAsSecrets) {
  auto sb = c().sandboxes().experimental_create(
      app(), image(),
      {.command = {"sh", "-c", "echo $A $B"},
       .env = {{"A", "from-env"}},
       .secrets = {c().secrets().from_map({{"A", "from-secret"}, {"B", "from-map"}})}});
  EXPECT_EQ(sb.wait(), 0);
  EXPECT_EQ(sb.stdout_stream().read_all(), "from-env from-map\n");  // env wins
  // V1 turns env into an ephemeral Secret first; V2 sends it in the create request.
  EXPECT_TRUE(emu().received_calls("SecretGetOrCreate").empty());
}

TEST_F(SandboxV2Test, FromNameLooksUpV2ThenV1AndIncludeTerminatedFindsTheLatest) {
  auto v1client = client_with(false);
  auto v2client = client_with(true);
  auto legacy =
      v1client.sandboxes().create(app(), image(), {.command = {"sleep", "30"}, .name = "legacy"});
  // A V2-first lookup falls back to V1 when no V2 Sandbox holds the name.
  EXPECT_EQ(v2client.sandboxes().from_name(app().name, "legacy").sandbox_id(), legacy.sandbox_id());
  EXPECT_THROW(v2client.sandboxes().experimental_from_name(app().name, "legacy"), NotFoundError);

  auto done = v2client.sandboxes().create(app(), image(), {.command = {"true"}, .name = "job"});
  EXPECT_EQ(done.wait(), 0);
  EXPECT_THROW(v2client.sandboxes().from_name(app().name, "job"), NotFoundError);
  auto found = v2client.sandboxes().from_name(app().name, "job", {.include_terminated = true});
  EXPECT_EQ(found.sandbox_id(), done.sandbox_id());
  EXPECT_EQ(found.poll(), 0);
  // include_terminated asks V2 alone: a V1 Sandbox is not found that way.
  EXPECT_THAT(
      [&] { v1client.sandboxes().from_name(app().name, "legacy", {.include_terminated = true}); },
      ::testing::ThrowsMessage<NotFoundError>(HasSubstr("'legacy' not found")));
  legacy.terminate();
}

TEST_F(SandboxV2Test, V1ListingSkipsV2SandboxesAndExperimentalListHasBoth) {
  auto v1 = client_with(false).sandboxes().create(app(), image(), {.command = {"sleep", "30"}});
  auto v2 = client_with(true).sandboxes().create(app(), image(), {.command = {"sleep", "30"}});
  // NOLINTNEXTLINE(performance-unnecessary-value-param): iterating needs a non-const Range
  auto ids = [](SandboxRange range) {
    std::vector<std::string> out;
    for (Sandbox const& sb : range) out.push_back(sb.sandbox_id());
    return out;
  };
  EXPECT_EQ(ids(client_with(false).sandboxes().list({.app_id = app().app_id})),
            std::vector<std::string>{v1.sandbox_id()});
  auto const both = std::vector<std::string>{v2.sandbox_id(), v1.sandbox_id()};
  EXPECT_EQ(ids(client_with(true).sandboxes().list({.app_id = app().app_id})), both);
  EXPECT_EQ(ids(client_with(false).sandboxes().experimental_list({.app_id = app().app_id})), both);
  v1.terminate();
  v2.terminate();
}

TEST_F(SandboxV2Test, AFinishedV2SandboxsOutputIsReadThroughItsTask) {
  auto sb = c().sandboxes().experimental_create(
      app(), image(), {.command = {"sh", "-c", "echo out; echo err >&2"}});
  EXPECT_EQ(sb.wait(), 0);
  EXPECT_EQ(sb.stdout_stream().read_all(), "out\n");
  EXPECT_EQ(sb.stderr_stream().read_all(), "err\n");
  EXPECT_TRUE(emu().received_calls("SandboxGetTaskIdV2").empty());  // from the create reply
  // A handle made after the end finds the task beside the result, for its stdio only.
  auto later = c().sandboxes().from_id(sb.sandbox_id());
  EXPECT_EQ(later.stdout_stream().read_all(), "out\n");
  EXPECT_THAT([&] { c().sandboxes().from_id(sb.sandbox_id()).exec({"true"}); },
              ::testing::ThrowsMessage<ConflictError>(HasSubstr("has already finished")));
}

}  // namespace
}  // namespace modal::testing
