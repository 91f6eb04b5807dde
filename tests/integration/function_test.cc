// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Functions, FunctionCalls and Cls against the emulator's fixtures of the App
// "libmodal-test-support" (the App upstream's SDK tests call): every method, every Value
// kind through CBOR, blobs both ways, the input plane, timeouts, cancellation, remote
// exceptions, injected internal failures and many calls at once.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "fixture.h"

namespace modal::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr char kApp[] = "libmodal-test-support";

class FunctionTest : public EmulatorTest {
 protected:
  Function function(std::string const& name) { return client().functions().from_name(kApp, name); }
};

TEST_F(FunctionTest, RemoteWithArgsAndWithKwargs) {
  auto echo = function("echo_string");
  EXPECT_EQ(echo.remote({"hello"}), Value("output: hello"));
  EXPECT_EQ(echo.remote({}, {{"s", "hello"}}), Value("output: hello"));
  EXPECT_FALSE(echo.function_id().empty());
}

TEST_F(FunctionTest, FromNameErrors) {
  try {
    client().functions().from_name(kApp, "not_a_real_function");
    FAIL() << "expected NotFoundError";
  } catch (NotFoundError const& e) {
    EXPECT_THAT(e.what(),
                HasSubstr("Function 'libmodal-test-support/not_a_real_function' not found"));
  }
  try {
    client().functions().from_name(kApp, "EchoCls.echo_string");
    FAIL() << "expected InvalidError";
  } catch (InvalidError const& e) {
    EXPECT_THAT(e.what(), HasSubstr("cls"));
  }
  EXPECT_THROW(client().functions().from_name("no-such-app", "echo_string"), NotFoundError);
}

TEST_F(FunctionTest, EveryValueKindRoundTripsThroughIdentity) {
  auto identity = function("identity_with_repr");
  std::vector<Value> const values = {
      Value(),
      Value(true),
      Value(false),
      Value(0),
      Value(-1),
      Value(std::numeric_limits<std::int64_t>::max()),
      Value(std::numeric_limits<std::int64_t>::min()),
      Value(std::numeric_limits<std::uint64_t>::max()),
      Value::big_int("1180591620717411303424"),   // 2**70
      Value::big_int("-1180591620717411303425"),  // -2**70 - 1
      Value(1.5),
      Value(-0.0),
      Value(std::numeric_limits<double>::infinity()),
      Value("h\xc3\xa9llo \xe2\x82\xac"),
      Value(""),
      Value::bytes(std::string("\x00\xff\x01", 3)),
      Value::list({1, "two", Value::list({3.0})}),
      Value{{"a", 1}, {"b", Value::list({true, Value()})}},
      Value::dict({{1, "one"}, {Value::bytes("k"), 2.5}}),
  };
  for (auto const& v : values) {
    Value const out = identity.remote({v});
    ASSERT_TRUE(out.is_list()) << v;
    ASSERT_EQ(out.items().size(), 2u) << v;
    EXPECT_EQ(out.at(0), v) << v << " came back as " << out.at(0);
    EXPECT_EQ(out.at(1), Value(v.repr())) << v;
  }
  // A tuple travels as a CBOR array: it comes back a list, as in Python with cbor2.
  Value const tuple_out = identity.remote({Value::tuple({1, "x"})});
  EXPECT_EQ(tuple_out.at(0), Value::list({1, "x"}));
  Value const nan_out = identity.remote({Value(std::nan(""))});
  EXPECT_TRUE(std::isnan(nan_out.at(0).as_float()));
  EXPECT_EQ(nan_out.at(1), Value("nan"));
}

TEST_F(FunctionTest, TenMebibytesEachWayThroughBlobs) {
  std::string const big = random_bytes(10 << 20, 7);
  EXPECT_EQ(function("bytelength").remote({Value::bytes(big)}), Value(10 << 20));
  // 10 MiB of text in, 10 MiB + "output: " out: a blob each way.
  std::string const text(10 << 20, 'z');
  Value const out = function("echo_string").remote({text});
  ASSERT_TRUE(out.is_string());
  EXPECT_EQ(out.as_string().size(), text.size() + 8);
  EXPECT_TRUE(out.as_string() == "output: " + text);
  // Spawn's inline limit is smaller (8 KiB): a 100 KiB input goes through a blob too.
  auto call = function("bytelength").spawn({Value::bytes(std::string(100 << 10, 'q'))});
  EXPECT_EQ(call.get(), Value(100 << 10));
}

TEST_F(FunctionTest, SpawnThenGetFromAnotherClient) {
  auto call = function("echo_string").spawn({}, {{"s", "later"}});
  EXPECT_THAT(call.id(), ::testing::StartsWith("fc-"));
  EXPECT_EQ(call.get(), Value("output: later"));
  EXPECT_EQ(call.get(), Value("output: later"));  // outputs are kept: a second get
  Client other = client();
  auto again = other.function_calls().from_id(call.id());
  EXPECT_EQ(again.get(), Value("output: later"));
  EXPECT_THROW(other.function_calls().from_id(""), InvalidError);
  EXPECT_THROW(other.function_calls().from_id("fc-doesnotexist0000000000"), NotFoundError);
}

TEST_F(FunctionTest, GetTimeouts) {
  auto sleep = function("sleep");
  auto slow = sleep.spawn({}, {{"t", 5}});
  auto const start = std::chrono::steady_clock::now();
  EXPECT_THROW(slow.get({.timeout = 500ms}), FunctionTimeoutError);
  auto const waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, 450ms);
  EXPECT_LT(waited, 4s);
  slow.cancel();

  auto quick = sleep.spawn({0.3});
  EXPECT_THROW(quick.get({.timeout = 0ms}), FunctionTimeoutError);  // not done yet
  EXPECT_EQ(quick.get(), Value());
  EXPECT_EQ(quick.get({.timeout = 0ms}), Value());  // done: zero checks once
  EXPECT_THROW(quick.get({.timeout = -1ms}), InvalidError);
}

TEST_F(FunctionTest, CancelStopsTheWork) {
  auto sleep = function("sleep");
  auto call = sleep.spawn({30});
  std::this_thread::sleep_for(200ms);
  auto const start = std::chrono::steady_clock::now();
  call.cancel({.terminate_containers = true});
  EXPECT_THROW(call.get({.timeout = 10s}), Error);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  // Nothing is left running: the runner is free.
  for (int i = 0; i < 50 && sleep.get_current_stats().num_total_runners > 0; ++i) {
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(sleep.get_current_stats().backlog, 0);
}

TEST_F(FunctionTest, RemoteExceptionsCarryTheirText) {
  auto echo = function("echo_string");
  try {
    echo.remote();
    FAIL() << "expected RemoteError";
  } catch (RemoteError const& e) {
    EXPECT_THAT(e.what(), HasSubstr("TypeError"));
    EXPECT_THAT(e.what(), HasSubstr("s"));
  }
  EXPECT_THROW(echo.remote({1, 2}), RemoteError);
  EXPECT_THROW(echo.spawn({}, {{"nope", 1}}).get(), RemoteError);
}

TEST_F(FunctionTest, InjectedInternalFailuresAreRetried) {
  auto echo = function("echo_string");
  emu().fail_function_outputs(kApp, "echo_string", 3);
  EXPECT_EQ(echo.remote({"retried"}), Value("output: retried"));
  // Beyond the 8 retries: InternalFailure reaches the caller.
  emu().fail_function_outputs(kApp, "echo_string", 20);
  EXPECT_THROW(echo.remote({"x"}), InternalFailure);
}

TEST_F(FunctionTest, InputPlane) {
  auto f = function("input_plane");
  EXPECT_EQ(f.remote({"hello"}), Value("output: hello"));
  EXPECT_EQ(f.spawn({"spawned"}).get(), Value("output: spawned"));
  emu().fail_function_outputs(kApp, "input_plane", 2);
  EXPECT_EQ(f.remote({"retried"}), Value("output: retried"));
  EXPECT_EQ(function("bytelength").remote({Value::bytes(std::string(3 << 20, 'b'))}),
            Value(3 << 20));
  auto cls = client().cls().from_name(kApp, "EchoClsInputPlane");
  EXPECT_EQ(cls.instance().method("echo_string").remote({}, {{"s", "ip"}}), Value("output: ip"));
}

TEST_F(FunctionTest, WebEndpointsHaveAUrlAndRefuseCalls) {
  auto web = function("web_endpoint_echo");
  EXPECT_THAT(web.web_url(), ::testing::StartsWith("http"));
  EXPECT_THROW(web.remote({"x"}), InvalidError);
  EXPECT_THROW(web.spawn({"x"}), InvalidError);
  EXPECT_TRUE(function("echo_string").web_url().empty());
}

TEST_F(FunctionTest, StatsAndAutoscalerBoundRunners) {
  auto sleep = function("sleep");
  EXPECT_EQ(sleep.get_current_stats().backlog, 0);
  auto settings = sleep.update_autoscaler({.max_containers = 1});
  EXPECT_EQ(settings.max_containers, 1u);
  std::vector<FunctionCall> calls;
  calls.reserve(3);
  for (int i = 0; i < 3; ++i) calls.push_back(sleep.spawn({1.5}));
  std::this_thread::sleep_for(200ms);
  auto const stats = sleep.get_current_stats();
  EXPECT_LE(stats.num_total_runners, 1);
  EXPECT_GE(stats.backlog, 1);
  for (auto const& c : calls) EXPECT_EQ(c.get(), Value());
  EXPECT_EQ(sleep.get_current_stats().backlog, 0);
}

TEST_F(FunctionTest, ManyThreadsOnOneHandle) {
  auto echo = function("echo_string");
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  threads.reserve(16);
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        auto const s = std::to_string(t) + "-" + std::to_string(i);
        if (echo.remote({s}) == Value("output: " + s)) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 160);
}

TEST_F(FunctionTest, AThousandSpawnsThenGets) {
  auto echo = function("echo_string");
  std::vector<FunctionCall> calls;
  calls.reserve(1000);
  for (int i = 0; i < 1000; ++i) calls.push_back(echo.spawn({std::to_string(i)}));
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(calls[static_cast<std::size_t>(i)].get(), Value("output: " + std::to_string(i)));
  }
}

TEST_F(FunctionTest, ClsMethodsParametersAndOptions) {
  auto cls = client().cls().from_name(kApp, "EchoCls");
  auto instance = cls.instance();
  EXPECT_THROW(instance.method("nonexistent"), NotFoundError);
  EXPECT_EQ(instance.method("echo_string").remote({}, {{"s", "hello"}}), Value("output: hello"));

  auto parametrized = client().cls().from_name(kApp, "EchoClsParametrized");
  EXPECT_EQ(parametrized.instance({{"name", "hello-init"}}).method("echo_parameter").remote(),
            Value("output: hello-init"));
  EXPECT_EQ(parametrized.instance().method("echo_parameter").remote(), Value("output: test"));
  EXPECT_THROW(parametrized.instance({{"name", 1}}), InvalidError);
  EXPECT_THROW(parametrized.instance({{"nope", "x"}}), InvalidError);

  auto secret = client().secrets().from_map({{"SECRET_MESSAGE", "hello, Secret"}});
  auto without = parametrized.instance().method("echo_env_var");
  auto with = parametrized.with_options({.secrets = {secret}})
                  .with_concurrency({.max_inputs = 1})
                  .instance()
                  .method("echo_env_var");
  EXPECT_THAT(without.remote({"SECRET_MESSAGE"}).as_string(), HasSubstr("not set"));
  EXPECT_THAT(with.remote({"SECRET_MESSAGE"}).as_string(), HasSubstr("hello, Secret"));
  auto with_env = parametrized.with_options({.env = {{"SECRET_MESSAGE", "from env"}}})
                      .instance({{"name", "e"}})
                      .method("echo_env_var");
  EXPECT_THAT(with_env.remote({"SECRET_MESSAGE"}).as_string(), HasSubstr("from env"));

  EXPECT_THROW(client().cls().from_name(kApp, "NotRealClassName"), NotFoundError);
  EXPECT_THROW(parametrized.with_options({.retries = Retries{.max_retries = -1}}), InvalidError);
}

}  // namespace
}  // namespace modal::testing
