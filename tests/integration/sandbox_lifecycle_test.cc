// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Sandbox lifecycle against the emulator: create, wait/poll, terminate, detach, timeouts,
// names, tags, listing, environment and secrets of the entrypoint.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "internal/sandbox_state.h"
#include "sandbox_test_util.h"

namespace modal::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using Clock = std::chrono::steady_clock;

std::size_t calls(emulator::Emulator& emu, std::string const& method) {
  return emu.received_calls(method).size();
}

TEST_F(SandboxTest, WaitReturnsTheEntrypointsExitCode) {
  auto sb = create({.command = {"sh", "-c", "exit 7"}});
  EXPECT_THAT(sb.sandbox_id(), ::testing::MatchesRegex(sandbox_id_regex()));
  EXPECT_EQ(sb.wait(), 7);
  EXPECT_EQ(sb.poll(), 7);
}

TEST_F(SandboxTest, PollIsEmptyWhileRunningAndTerminateWaitGives137) {
  auto sb = create({.command = {"sleep", "30"}});
  EXPECT_EQ(sb.poll(), std::nullopt);
  auto const start = Clock::now();
  EXPECT_EQ(sb.terminate({.wait = true}), 137);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(c().sandboxes().from_id(sb.sandbox_id()).poll(), 137);
}

TEST_F(SandboxTest, IdleSandboxWithoutCommandRunsUntilTerminated) {
  auto sb = create();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(sb.poll(), std::nullopt);
  EXPECT_EQ(sb.terminate(), std::nullopt);  // not waiting: no exit code
  EXPECT_EQ(c().sandboxes().from_id(sb.sandbox_id()).wait(), 137);
}

TEST_F(SandboxTest, TerminateTwice) {
  auto sb = create({.command = {"sleep", "30"}});
  sb.terminate();
  // Terminating again through the same handle is no error and sends nothing.
  EXPECT_EQ(sb.terminate({.wait = true}), 137);
  // Another handle may terminate again: the server reports the existing result.
  auto again = c().sandboxes().from_id(sb.sandbox_id());
  EXPECT_EQ(again.terminate({.wait = true}), 137);
  EXPECT_EQ(calls(emu(), rpc("SandboxTerminate")), 2u);
}

TEST_F(SandboxTest, EveryCallAfterDetachThrowsClientClosedButTheSandboxRuns) {
  auto sb = create({.command = {"sleep", "30"}});
  auto copy = sb;
  sb.detach();
  sb.detach();  // idempotent
  EXPECT_THROW(copy.wait(), ClientClosedError);
  EXPECT_THROW(sb.poll(), ClientClosedError);
  EXPECT_THROW(sb.terminate(), ClientClosedError);
  EXPECT_THROW(sb.set_tags({{"a", "b"}}), ClientClosedError);
  EXPECT_THROW(sb.get_tags(), ClientClosedError);
  EXPECT_THROW(sb.tunnels(), ClientClosedError);
  EXPECT_THROW(sb.create_connect_token(), ClientClosedError);
  EXPECT_THROW(sb.stdout_stream(), ClientClosedError);
  EXPECT_THROW(sb.stderr_stream(), ClientClosedError);
  EXPECT_THROW(sb.stdin_stream(), ClientClosedError);
  EXPECT_THAT([&] { sb.wait(); },
              ::testing::ThrowsMessage<ClientClosedError>(HasSubstr("detached sandbox")));
  EXPECT_EQ(sb.sandbox_id().substr(0, 3), "sb-");  // local accessors still work
  auto other = c().sandboxes().from_id(sb.sandbox_id());
  EXPECT_EQ(other.poll(), std::nullopt);
  other.terminate();
}

TEST_F(SandboxTest, ClosedClientFailsSandboxCalls) {
  auto sb = create({.command = {"sleep", "30"}});
  auto const& id = sb.sandbox_id();
  c().close();
  EXPECT_THROW(sb.poll(), ClientClosedError);
  EXPECT_THROW(c().sandboxes().from_id(id), ClientClosedError);
  client().sandboxes().from_id(id).terminate();
}

TEST_F(SandboxTest, LifetimeTimeoutGives124) {
  auto const start = Clock::now();
  auto sb = create({.timeout = std::chrono::seconds(1), .command = {"sleep", "30"}});
  EXPECT_EQ(sb.wait(), 124);
  auto const elapsed = Clock::now() - start;
  EXPECT_GE(elapsed, std::chrono::milliseconds(900));
  EXPECT_LT(elapsed, std::chrono::seconds(10));
}

TEST_F(SandboxTest, IdleTimeoutEndsAnInactiveSandbox) {
  auto const start = Clock::now();
  auto sb = create({.idle_timeout = std::chrono::seconds(1)});
  int const code = sb.wait();
  EXPECT_NE(code, 124);  // not the lifetime timeout
  EXPECT_EQ(code, 137);  // the entrypoint was killed
  auto const elapsed = Clock::now() - start;
  EXPECT_GE(elapsed, std::chrono::milliseconds(900));
  EXPECT_LT(elapsed, std::chrono::seconds(10));
}

TEST_F(SandboxTest, StdinActivityKeepsAnIdleSandboxAlive) {
  auto sb = create({.idle_timeout = std::chrono::seconds(2), .command = {"sleep", "60"}});
  auto in = sb.stdin_stream();
  for (int i = 0; i < 8; ++i) {  // 3.2 s of activity, longer than the idle timeout
    in.write("x");
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
  }
  EXPECT_EQ(sb.poll(), std::nullopt);
  auto const quiet = Clock::now();
  EXPECT_EQ(sb.wait(), 137);
  EXPECT_LT(Clock::now() - quiet, std::chrono::seconds(8));
}

TEST_F(SandboxTest, EnvSecretsAndWorkdirReachTheEntrypoint) {
  auto from_map = c().secrets().from_map({{"FROM_MAP", "m1"}, {"SHARED", "secret"}});
  auto sb = create({.workdir = "/usr",
                    .command = {"sh", "-c", "echo \"$FROM_MAP $SHARED $PLAIN $(pwd)\""},
                    .env = {{"PLAIN", "p1"}, {"SHARED", "env-wins"}},
                    .secrets = {from_map}});
  EXPECT_EQ(sb.stdout_stream().read_all(), "m1 env-wins p1 /usr\n");
  EXPECT_EQ(sb.wait(), 0);
  if (v2_mode()) {
    // V2 takes the variables in the create request: no ephemeral Secret is made.
    EXPECT_EQ(from_map.secret_id(), "");
  } else {
    EXPECT_THAT(from_map.secret_id(), StartsWith("st-"));
  }
}

TEST_F(SandboxTest, MissingExecutableFailsLikeAContainer) {
  auto sb = create({.command = {"/nonexistent/modal-cpp-test-binary"}});
  EXPECT_EQ(sb.wait(), 127);
  EXPECT_THAT(sb.stderr_stream().read_all(), HasSubstr("not found"));
}

TEST_F(SandboxTest, TaskIdIsFetchedOnceAndRefusedAfterTheEnd) {
  auto sb = create({.command = {"sleep", "30"}});
  auto& state = internal::SandboxState::of(sb);
  auto const task = state.get_task_id();
  EXPECT_THAT(task, ::testing::MatchesRegex("ta-[0-9A-Za-z]{22}"));
  EXPECT_EQ(state.get_task_id(), task);
  // A V2 create's reply carries the task id: nothing to fetch.
  EXPECT_EQ(calls(emu(), rpc("SandboxGetTaskId")), v2_mode() ? 0u : 1u);
  sb.terminate({.wait = true});
  auto fresh = c().sandboxes().from_id(sb.sandbox_id());
  EXPECT_THAT([&] { internal::SandboxState::of(fresh).get_task_id(); },
              ::testing::ThrowsMessage<ConflictError>(HasSubstr("has already finished")));
}

TEST_F(SandboxTest, UnknownIdIsNotFound) {
  auto sb = c().sandboxes().from_id("sb-0000000000000000000000");
  EXPECT_THROW(sb.poll(), NotFoundError);
  EXPECT_THROW(c().sandboxes().from_id(""), InvalidError);
}

TEST_F(SandboxTest, NamesAreUniqueAmongRunningSandboxes) {
  auto sb = create({.command = {"sleep", "30"}, .name = "named-one"});
  auto found = c().sandboxes().from_name(app().name, "named-one");
  EXPECT_EQ(found.sandbox_id(), sb.sandbox_id());
  try {
    create({.command = {"sleep", "30"}, .name = "named-one"});
    FAIL() << "expected AlreadyExistsError";
  } catch (AlreadyExistsError const& e) {
    EXPECT_THAT(e.what(), HasSubstr("named-one"));
    EXPECT_THAT(e.server_message(), HasSubstr("already exists"));
    EXPECT_EQ(e.rpc_method(), rpc("SandboxCreate"));
  }
  // The same name in another App is fine.
  auto other_app = c().apps().from_name("other-app", {.create_if_missing = true});
  auto other = c().sandboxes().create(other_app, image(), {.name = "named-one"});
  other.terminate();

  sb.terminate({.wait = true});
  // Finished sandboxes are not found by name, and the name is free again.
  EXPECT_THAT([&] { c().sandboxes().from_name(app().name, "named-one"); },
              ::testing::ThrowsMessage<NotFoundError>(
                  HasSubstr("Sandbox with name 'named-one' not found in App 'sandbox-tests'")));
  auto reused = create({.name = "named-one"});
  EXPECT_EQ(c().sandboxes().from_name(app().name, "named-one").sandbox_id(), reused.sandbox_id());
  reused.terminate();
}

TEST_F(SandboxTest, FromNameOfAnEntrypointThatExitedIsNotFound) {
  auto sb = create({.command = {"true"}, .name = "short-lived"});
  EXPECT_EQ(sb.wait(), 0);
  EXPECT_THROW(c().sandboxes().from_name(app().name, "short-lived"), NotFoundError);
  EXPECT_THROW(c().sandboxes().from_name("no-such-app", "short-lived"), NotFoundError);
  EXPECT_THROW(c().sandboxes().from_name(app().name, ""), InvalidError);
}

TEST_F(SandboxTest, TagsAreSetAtCreationAndReplaced) {
  auto sb = create({.command = {"sleep", "30"}, .tags = {{"team", "infra"}, {"env", "dev"}}});
  EXPECT_EQ(sb.get_tags(), (std::map<std::string, std::string>{{"team", "infra"}, {"env", "dev"}}));
  sb.set_tags({{"owner", "me"}});
  EXPECT_EQ(sb.get_tags(), (std::map<std::string, std::string>{{"owner", "me"}}));
  auto const set_calls = emu().received_calls(rpc("SandboxTagsSet"));
  ASSERT_EQ(set_calls.size(), 1u);
  EXPECT_THROW(sb.set_tags({{"", "x"}}), InvalidError);
  sb.terminate();
}

// NOLINTNEXTLINE(performance-unnecessary-value-param): iterating needs a non-const Range
std::vector<std::string> ids_of(SandboxRange range) {
  std::vector<std::string> out;
  for (Sandbox const& sb : range) out.push_back(sb.sandbox_id());
  return out;
}

TEST_F(SandboxTest, ListFiltersByAppAndTagsNewestFirstAndSkipsFinished) {
  auto a = create({.command = {"sleep", "30"}, .tags = {{"role", "web"}}});
  auto b = create({.command = {"sleep", "30"}, .tags = {{"role", "db"}, {"tier", "1"}}});
  auto done = create({.command = {"true"}, .tags = {{"role", "web"}}});
  done.wait();
  auto other_app = c().apps().from_name("list-other", {.create_if_missing = true});
  auto elsewhere = c().sandboxes().create(other_app, image(), {.tags = {{"role", "web"}}});

  emu().clear_received_calls();
  auto range = c().sandboxes().list({.app_id = app().app_id});
  EXPECT_EQ(calls(emu(), rpc("SandboxList")), 0u);  // lazy
  EXPECT_EQ(ids_of(range), (std::vector<std::string>{b.sandbox_id(), a.sandbox_id()}));
  EXPECT_EQ(ids_of(c().sandboxes().list({.app_id = app().app_id, .tags = {{"role", "web"}}})),
            (std::vector<std::string>{a.sandbox_id()}));
  EXPECT_EQ(ids_of(c().sandboxes().list({.tags = {{"role", "db"}, {"tier", "1"}}})),
            (std::vector<std::string>{b.sandbox_id()}));
  EXPECT_TRUE(ids_of(c().sandboxes().list({.tags = {{"role", "db"}, {"tier", "2"}}})).empty());
  // Without an App: the whole environment.
  EXPECT_EQ(ids_of(c().sandboxes().list({.tags = {{"role", "web"}}})),
            (std::vector<std::string>{elsewhere.sandbox_id(), a.sandbox_id()}));
  EXPECT_THROW(ids_of(c().sandboxes().list({.environment = "no-such-env"})), NotFoundError);
  for (auto* sb : {&a, &b, &elsewhere}) sb->terminate();
}

class SandboxListPagingTest : public SandboxTest {
 protected:
  emulator::EmulatorOptions emulator_options() override {
    emulator::EmulatorOptions o;
    o.sandbox_list_page_size = 2;
    return o;
  }
};

TEST_F(SandboxListPagingTest, PagesByBeforeTimestamp) {
  std::vector<Sandbox> sandboxes;
  sandboxes.reserve(5);
  for (int i = 0; i < 5; ++i) sandboxes.push_back(create({.tags = {{"paged", "yes"}}}));
  emu().clear_received_calls();
  auto const ids = ids_of(c().sandboxes().list({.app_id = app().app_id}));
  std::vector<std::string> expected;
  expected.reserve(sandboxes.size());
  for (std::size_t i = sandboxes.size(); i-- > 0;) expected.push_back(sandboxes[i].sandbox_id());
  EXPECT_EQ(ids, expected);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 5u);
  // Pages of 2, 2, 1, then an empty page ends the iteration.
  EXPECT_EQ(calls(emu(), rpc("SandboxList")), 4u);

  // Stopping early fetches only what was needed.
  emu().clear_received_calls();
  auto range = c().sandboxes().list({.app_id = app().app_id});
  auto it = range.begin();
  ASSERT_NE(it, range.end());
  EXPECT_EQ(it->sandbox_id(), expected[0]);
  ++it;
  EXPECT_EQ((*it).sandbox_id(), expected[1]);
  EXPECT_EQ(calls(emu(), rpc("SandboxList")), 1u);
  for (auto& sb : sandboxes) sb.terminate();
}

}  // namespace
}  // namespace modal::testing
