// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// modal::Client against the emulator: headers, retries, throttling, auth tokens,
// error mapping, Apps, Secrets, concurrency, logging hygiene.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "fixture.h"

namespace modal::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string header(emulator::ReceivedCall const& call, std::string const& key) {
  auto it = call.metadata.find(key);
  return it == call.metadata.end() ? std::string("<missing>") : it->second;
}

class ClientTest : public EmulatorTest {
 protected:
  // Fast transient retries so fault tests take milliseconds.
  ClientOptions fast_retry_options() const {
    auto o = client_options();
    o.retry.initial_delay = std::chrono::milliseconds(1);
    o.retry.max_delay = std::chrono::milliseconds(4);
    return o;
  }
};

TEST_F(ClientTest, StaticHeadersAndAuthTokenReachTheServer) {
  auto c = client();
  auto app = c.apps().from_name("headers-app", {.create_if_missing = true});
  EXPECT_THAT(app.app_id, ::testing::MatchesRegex("ap-[0-9A-Za-z]{22}"));
  auto calls = emu().received_calls("AppGetOrCreate");
  ASSERT_EQ(calls.size(), 1u);
  auto const& call = calls[0];
  EXPECT_EQ(header(call, "x-modal-client-type"), "9");
  EXPECT_EQ(header(call, "x-modal-client-version"), "1.0.0");
  EXPECT_EQ(header(call, "x-modal-libmodal-version"), "modal-cpp/" + modal::version());
  EXPECT_EQ(header(call, "x-modal-token-id"), "ak-emulator");
  EXPECT_EQ(header(call, "x-modal-token-secret"), "as-emulator");
  EXPECT_EQ(header(call, "x-retry-attempt"), "0");
  EXPECT_EQ(header(call, "x-throttle-retry-attempt"), "0");
  EXPECT_EQ(header(call, "x-retry-delay"), "<missing>");
  EXPECT_EQ(header(call, "x-idempotency-key").size(), 36u);
  // The auth token came from AuthTokenGet, which itself carries no auth token.
  auto token_calls = emu().received_calls("AuthTokenGet");
  ASSERT_EQ(token_calls.size(), 1u);
  EXPECT_EQ(header(token_calls[0], "x-modal-auth-token"), "<missing>");
  EXPECT_EQ(header(token_calls[0], "x-modal-token-id"), "ak-emulator");
  auto const jwt = header(call, "x-modal-auth-token");
  EXPECT_EQ(std::count(jwt.begin(), jwt.end(), '.'), 2) << jwt;
}

TEST_F(ClientTest, RetriesReuseOneIdempotencyKey) {
  emu().inject_fault("AppGetOrCreate", {.count = 2, .code = 14, .message = "blip"});
  auto c = Client(fast_retry_options());
  auto app = c.apps().from_name("retry-app", {.create_if_missing = true});
  EXPECT_FALSE(app.app_id.empty());
  auto calls = emu().received_calls("AppGetOrCreate");
  ASSERT_EQ(calls.size(), 3u);
  std::set<std::string> keys;
  for (std::size_t i = 0; i < calls.size(); ++i) {
    keys.insert(header(calls[i], "x-idempotency-key"));
    EXPECT_EQ(header(calls[i], "x-retry-attempt"), std::to_string(i));
  }
  EXPECT_EQ(keys.size(), 1u);
  EXPECT_EQ(calls[0].code, 14);
  EXPECT_EQ(calls[2].code, 0);
  EXPECT_NE(header(calls[1], "x-retry-delay"), "<missing>");
  // The auth token is fetched once per logical call, not per attempt.
  EXPECT_EQ(header(calls[0], "x-modal-auth-token"), header(calls[2], "x-modal-auth-token"));
}

TEST_F(ClientTest, ExhaustedRetriesOfUnavailableBecomeConnectionError) {
  emu().inject_fault("AppGetOrCreate", {.count = 10, .code = 14, .message = "down"});
  auto c = Client(fast_retry_options());
  try {
    c.apps().from_name("x", {.create_if_missing = true});
    FAIL() << "expected ConnectionError";
  } catch (ConnectionError const& e) {
    EXPECT_EQ(e.code(), StatusCode::kUnavailable);
    EXPECT_EQ(e.rpc_method(), "AppGetOrCreate");
    EXPECT_THAT(e.what(), HasSubstr("down"));
  }
  EXPECT_EQ(emu().received_calls("AppGetOrCreate").size(), 4u);  // 1 + 3 retries
}

TEST_F(ClientTest, NonRetryableCodesAreNotRetried) {
  emu().inject_fault("AppGetOrCreate", {.count = 5, .code = 3, .message = "bad arg"});
  auto c = Client(fast_retry_options());
  EXPECT_THROW(c.apps().from_name("x", {.create_if_missing = true}), InvalidError);
  EXPECT_EQ(emu().received_calls("AppGetOrCreate").size(), 1u);
}

TEST_F(ClientTest, ServerDirectedThrottlingIsHonoured) {
  emu().inject_fault("AppGetOrCreate",
                     {.count = 2, .code = 8, .message = "slow down", .retry_after_secs = 0.05});
  auto opts = fast_retry_options();
  opts.retry.max_retries = 0;  // throttled retries don't use the transient budget
  auto c = Client(opts);
  auto const start = std::chrono::steady_clock::now();
  auto app = c.apps().from_name("throttled", {.create_if_missing = true});
  auto const elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(app.app_id.empty());
  EXPECT_GE(elapsed, std::chrono::milliseconds(200));  // 2 × max(0.05 s, 100 ms floor)
  auto calls = emu().received_calls("AppGetOrCreate");
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(header(calls[2], "x-throttle-retry-attempt"), "2");
  EXPECT_EQ(header(calls[2], "x-retry-attempt"), "0");
  EXPECT_NE(header(calls[2], "x-throttle-retry-delay"), "<missing>");
}

TEST_F(ClientTest, ServerDirectedThrottlingIsBoundedByMaxThrottleWait) {
  emu().inject_fault("AppGetOrCreate",
                     {.count = 100, .code = 8, .message = "slow down", .retry_after_secs = 0.6});
  auto opts = fast_retry_options();
  opts.max_throttle_wait = std::chrono::milliseconds(1000);
  auto c = Client(opts);
  try {
    c.apps().from_name("throttled", {.create_if_missing = true});
    FAIL() << "expected an error";
  } catch (Error const& e) {
    EXPECT_EQ(e.code(), StatusCode::kResourceExhausted);
  }
  // The bound counts from the first attempt: after it (at t < 0.4 s, however slow the
  // machine) one 0.6 s wait still fits into 1 s; after the second (t ≥ 0.6 s) another would
  // end at ≥ 1.2 s, so the call fails instead of retrying the other 98 times.
  EXPECT_EQ(emu().received_calls("AppGetOrCreate").size(), 2u);
}

TEST_F(ClientTest, MaxThrottleWaitFromEnvironmentZeroDisablesThrottledRetries) {
  env_.set("MODAL_MAX_THROTTLE_WAIT", "0");
  emu().inject_fault("AppGetOrCreate",
                     {.count = 100, .code = 8, .message = "slow down", .retry_after_secs = 0.01});
  auto c = Client(fast_retry_options());
  EXPECT_THROW(c.apps().from_name("t", {.create_if_missing = true}), Error);
  EXPECT_EQ(emu().received_calls("AppGetOrCreate").size(), 1u);
}

TEST_F(ClientTest, BadCredentialsAreAnAuthError) {
  auto opts = client_options();
  opts.token_secret = "as-wrong";
  auto c = Client(opts);
  try {
    c.apps().from_name("x");
    FAIL() << "expected AuthError";
  } catch (AuthError const& e) {
    EXPECT_EQ(e.code(), StatusCode::kUnauthenticated);
    EXPECT_EQ(e.rpc_method(), "AuthTokenGet");
  }
  // UNAUTHENTICATED is not retried.
  EXPECT_EQ(emu().received_calls("AuthTokenGet").size(), 1u);
}

TEST_F(ClientTest, MissingCredentialsFailAtFirstCallNotAtConstruction) {
  auto opts = client_options();
  opts.token_id.reset();
  opts.token_secret.reset();
  Client c(opts);  // constructing is fine
  try {
    c.apps().from_name("x");
    FAIL() << "expected AuthError";
  } catch (AuthError const& e) {
    EXPECT_THAT(e.what(), HasSubstr("MODAL_TOKEN_ID"));
  }
  EXPECT_TRUE(emu().received_calls().empty()) << "nothing is sent without credentials";
}

TEST_F(ClientTest, ConfigurationFromEnvironment) {
  env_.set("MODAL_SERVER_URL", emu().server_url());
  env_.set("MODAL_TOKEN_ID", "ak-emulator");
  env_.set("MODAL_TOKEN_SECRET", "as-emulator");
  Client c;
  EXPECT_EQ(c.server_url(), emu().server_url());
  EXPECT_NO_THROW(c.apps().from_name("env-app", {.create_if_missing = true}));
}

TEST_F(ClientTest, InvalidServerUrlIsAConfigError) {
  auto opts = client_options();
  opts.server_url = "tcp://127.0.0.1:1";
  EXPECT_THROW(Client{opts}, ConfigError);
}

TEST_F(ClientTest, AuthTokenIsRefreshedBeforeExpiry) {
  emulator_.reset();
  emulator_ = std::make_unique<emulator::Emulator>(
      emulator::EmulatorOptions{.auth_token_lifetime = std::chrono::seconds(2)});
  auto c = client();
  std::set<std::string> tokens;
  auto const end = std::chrono::steady_clock::now() + std::chrono::milliseconds(3500);
  while (std::chrono::steady_clock::now() < end) {
    c.apps().from_name("refresh-app", {.create_if_missing = true});  // never UNAUTHENTICATED
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (auto const& call : emu().received_calls("AppGetOrCreate")) {
    EXPECT_EQ(call.code, 0);
    tokens.insert(header(call, "x-modal-auth-token"));
  }
  EXPECT_GE(emu().received_calls("AuthTokenGet").size(), 2u);
  EXPECT_GE(tokens.size(), 2u);
}

TEST_F(ClientTest, AppNotFoundIsNotFoundError) {
  auto c = client();
  try {
    c.apps().from_name("no-such-app");
    FAIL() << "expected NotFoundError";
  } catch (NotFoundError const& e) {
    EXPECT_THAT(e.what(), HasSubstr("App 'no-such-app' not found"));
    EXPECT_EQ(e.code(), StatusCode::kNotFound);
  }
}

TEST_F(ClientTest, AppCreateIfMissingThenLookup) {
  auto c = client();
  auto created = c.apps().from_name("my-app", {.create_if_missing = true});
  auto found = c.apps().from_name("my-app");
  EXPECT_EQ(created.app_id, found.app_id);
  EXPECT_EQ(found.name, "my-app");
  EXPECT_THROW(c.apps().from_name(""), InvalidError);
}

TEST_F(ClientTest, EnvironmentsScopeApps) {
  auto c = client();
  c.apps().from_name("scoped", {.create_if_missing = true});
  EXPECT_THROW(c.apps().from_name("scoped", {.environment = "no-such-env"}), NotFoundError);
}

TEST_F(ClientTest, ConcurrentCallsFromSixteenThreads) {
  auto c = client();
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  threads.reserve(16);
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        auto app = c.apps().from_name("app-" + std::to_string(t), {.create_if_missing = true});
        if (!app.app_id.empty()) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 160);
  // One shared auth token fetch for all of them.
  EXPECT_EQ(emu().received_calls("AuthTokenGet").size(), 1u);
}

TEST_F(ClientTest, ObserverSeesEveryAttempt) {
  struct Seen {
    std::string method{};
    StatusCode code{};
    int attempt{};
  };
  std::mutex mu;
  std::vector<Seen> seen;
  auto opts = fast_retry_options();
  opts.call_observer = [&](CallInfo const& info) {
    std::lock_guard lock(mu);
    seen.push_back({std::string(info.method), info.code, info.attempt});
  };
  emu().inject_fault("AppGetOrCreate", {.count = 1, .code = 13, .message = "oops"});
  Client(opts).apps().from_name("observed", {.create_if_missing = true});
  ASSERT_EQ(seen.size(), 3u);  // AuthTokenGet, failed attempt, retry
  EXPECT_EQ(seen[0].method, "modal.client.ModalClient/AuthTokenGet");
  EXPECT_EQ(seen[1].method, "modal.client.ModalClient/AppGetOrCreate");
  EXPECT_EQ(seen[1].code, StatusCode::kInternal);
  EXPECT_EQ(seen[1].attempt, 0);
  EXPECT_EQ(seen[2].code, StatusCode::kOk);
  EXPECT_EQ(seen[2].attempt, 1);
}

TEST_F(ClientTest, ThrowingObserverDoesNotBreakCalls) {
  auto opts = client_options();
  opts.call_observer = [](CallInfo const&) { throw std::runtime_error("observer bug"); };
  EXPECT_NO_THROW(Client(opts).apps().from_name("o", {.create_if_missing = true}));
}

TEST_F(ClientTest, CloseMakesEveryHandleThrowClientClosedError) {
  auto c = client();
  auto copy = c;
  auto secrets = c.secrets();
  c.apps().from_name("before-close", {.create_if_missing = true});
  c.close();
  EXPECT_THROW(copy.apps().from_name("x"), ClientClosedError);
  EXPECT_THROW(secrets.from_name("x"), ClientClosedError);
  EXPECT_NO_THROW(c.close());  // idempotent
}

TEST_F(ClientTest, HandlesOutliveTheClient) {
  std::optional<SecretService> secrets;
  {
    auto c = client();
    secrets = c.secrets();
  }
  EXPECT_THROW(secrets->from_name("missing"), NotFoundError);  // still talks to the server
}

class SecretTest : public EmulatorTest {
 protected:
  emulator::EmulatorOptions emulator_options() override {
    emulator::EmulatorOptions o;
    o.secrets["db-creds"] = {{"DB_USER", "admin"}, {"DB_PASSWORD", "hunter2-is-secret"}};
    return o;
  }
};

TEST_F(SecretTest, FromNameFindsSeededSecret) {
  auto s = client().secrets().from_name("db-creds");
  EXPECT_THAT(s.secret_id(), ::testing::MatchesRegex("st-[0-9A-Za-z]{22}"));
  EXPECT_EQ(s.name(), "db-creds");
}

TEST_F(SecretTest, FromNameRequiredKeys) {
  auto c = client();
  EXPECT_NO_THROW(c.secrets().from_name("db-creds", {.required_keys = {"DB_USER"}}));
  EXPECT_THROW(c.secrets().from_name("db-creds", {.required_keys = {"API_KEY"}}), Error);
  auto calls = emu().received_calls("SecretGetOrCreate");
  ASSERT_FALSE(calls.empty());
}

TEST_F(SecretTest, FromNameMissingIsNotFound) {
  try {
    client().secrets().from_name("nope");
    FAIL();
  } catch (NotFoundError const& e) {
    EXPECT_THAT(e.what(), HasSubstr("Secret 'nope' not found"));
  }
}

TEST_F(SecretTest, FromMapIsLazyAndValidatesKeys) {
  auto c = client();
  EXPECT_THROW(c.secrets().from_map({{"1BAD", "x"}}), InvalidError);
  EXPECT_THROW(c.secrets().from_map({{"BAD-KEY", "x"}}), InvalidError);
  auto s = c.secrets().from_map({{"API_KEY", "sk-test-123456"}});
  EXPECT_EQ(s.secret_id(), "");
  EXPECT_TRUE(emu().received_calls("SecretGetOrCreate").empty()) << "from_map sends nothing";
}

TEST_F(SecretTest, RemoveDeletesAndHonoursAllowMissing) {
  auto c = client();
  c.secrets().remove("db-creds");
  EXPECT_THROW(c.secrets().from_name("db-creds"), NotFoundError);
  EXPECT_THROW(c.secrets().remove("db-creds"), NotFoundError);
  EXPECT_NO_THROW(c.secrets().remove("db-creds", {.allow_missing = true}));
  EXPECT_EQ(emu().received_calls("SecretDelete").size(), 1u);
}

TEST_F(SecretTest, SecretsNeverAppearInLogsAtAnyLevel) {
  LogCapture logs;
  auto opts = client_options();
  opts.log_level = LogLevel::kDebug;
  opts.log_sink = logs.sink();
  emu().inject_fault("AppGetOrCreate", {.count = 1, .code = 14, .message = "blip"});
  {
    Client c(opts);
    c.apps().from_name("logged", {.create_if_missing = true});
    c.secrets().from_name("db-creds");
    c.secrets().from_map({{"API_KEY", "sk-live-very-secret"}});
  }
  auto const text = logs.joined();
  EXPECT_THAT(text, HasSubstr("AppGetOrCreate")) << "debug logging is on";
  EXPECT_THAT(text, Not(HasSubstr("as-emulator")));
  EXPECT_THAT(text, Not(HasSubstr("hunter2-is-secret")));
  EXPECT_THAT(text, Not(HasSubstr("sk-live-very-secret")));
  for (auto const& call : emu().received_calls("AppGetOrCreate")) {
    auto const jwt = header(call, "x-modal-auth-token");
    ASSERT_NE(jwt, "<missing>");
    EXPECT_THAT(text, Not(HasSubstr(jwt)));
  }
}

}  // namespace
}  // namespace modal::testing
