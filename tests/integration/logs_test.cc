// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Function::logs() and FunctionCall::logs() against the emulator: what the
// libmodal-test-support fixture print_lines printed on stdout and stderr, through fetch
// (ranges, sources, search text), tail, stream (live, resumed after breaks, ended by the
// idle timeout or by the call finishing), FunctionCall scoping and validation.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "fixture.h"

namespace modal::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using SysClock = std::chrono::system_clock;

constexpr char kApp[] = "libmodal-test-support";

Value strings(std::vector<std::string> const& v) {
  std::vector<Value> items(v.begin(), v.end());
  return Value::list(std::move(items));
}

/// (source, message) of every entry.
std::vector<std::pair<std::string, std::string>> lines(Range<LogEntry> range) {
  std::vector<std::pair<std::string, std::string>> out;
  for (LogEntry const& e : range) out.emplace_back(e.source, e.message);
  return out;
}

class LogsTest : public EmulatorTest {
 protected:
  void SetUp() override {
    EmulatorTest::SetUp();
    client_.emplace(client());
    printer_.emplace(client_->functions().from_name(kApp, "print_lines"));
  }
  void TearDown() override {
    printer_.reset();
    client_.reset();
    EmulatorTest::TearDown();
  }

  /// print_lines(out, err) to its end; answers its call.
  FunctionCall print(std::vector<std::string> const& out, std::vector<std::string> const& err) {
    FunctionCall call = printer_->spawn({strings(out), strings(err)});
    EXPECT_EQ(call.get(), Value(static_cast<std::int64_t>(out.size() + err.size())));
    return call;
  }

  std::optional<Client> client_;
  std::optional<Function> printer_;
  SysClock::time_point const start_ = SysClock::now() - 1s;
};

TEST_F(LogsTest, FetchSeesExactlyWhatTheFunctionPrinted) {
  auto const before = SysClock::now();
  FunctionCall call = print({"out one", "out two"}, {"err one"});
  auto const after = SysClock::now();
  emu().clear_received_calls();
  std::vector<LogEntry> entries;
  for (LogEntry const& e : printer_->logs().fetch(start_)) entries.push_back(e);
  // Counted once (a few seconds: no refinement), fetched in one interval.
  EXPECT_EQ(emu().received_calls("AppCountLogs").size(), 1u);
  EXPECT_EQ(emu().received_calls("AppFetchLogs").size(), 1u);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].source, "stdout");
  EXPECT_EQ(entries[0].message, "out one\n");
  EXPECT_EQ(entries[1].source, "stderr");
  EXPECT_EQ(entries[1].message, "err one\n");
  EXPECT_EQ(entries[2].source, "stdout");
  EXPECT_EQ(entries[2].message, "out two\n");
  for (auto const& e : entries) {
    EXPECT_GE(e.timestamp, before);
    EXPECT_LE(e.timestamp, after);
    EXPECT_EQ(e.object_id, printer_->function_id());
    ASSERT_EQ(e.context_ids.size(), 3u);  // call, input, task
    EXPECT_EQ(e.context_ids[0], call.id());
    EXPECT_THAT(e.context_ids[1], ::testing::StartsWith("in-"));
  }
  EXPECT_LE(entries[0].timestamp, entries[1].timestamp);
  EXPECT_LE(entries[1].timestamp, entries[2].timestamp);
}

TEST_F(LogsTest, FetchFiltersBySourceSearchTextAndTimeRange) {
  print({"alpha"}, {"beta"});
  auto const mid = SysClock::now();
  print({"gamma"}, {"alphabet"});
  auto logs = printer_->logs();
  EXPECT_THAT(lines(logs.fetch(start_, {.source = "stderr"})),
              ElementsAre(Pair("stderr", "beta\n"), Pair("stderr", "alphabet\n")));
  EXPECT_THAT(lines(logs.fetch(start_, {.source = "stdout"})),
              ElementsAre(Pair("stdout", "alpha\n"), Pair("stdout", "gamma\n")));
  EXPECT_TRUE(lines(logs.fetch(start_, {.source = "system"})).empty());
  EXPECT_THAT(lines(logs.fetch(start_, {.search_text = "alpha"})),
              ElementsAre(Pair("stdout", "alpha\n"), Pair("stderr", "alphabet\n")));
  EXPECT_THAT(lines(logs.fetch(start_, {.until = mid})),
              ElementsAre(Pair("stdout", "alpha\n"), Pair("stderr", "beta\n")));
  EXPECT_THAT(lines(logs.fetch(mid)),
              ElementsAre(Pair("stdout", "gamma\n"), Pair("stderr", "alphabet\n")));
  // Another Function of the App printed nothing.
  auto echo = client_->functions().from_name(kApp, "echo_string");
  EXPECT_EQ(echo.remote({"x"}), Value("output: x"));
  EXPECT_TRUE(lines(echo.logs().fetch(start_)).empty());
}

TEST_F(LogsTest, FetchValidatesBeforeSendingAnything) {
  auto logs = printer_->logs();
  try {
    logs.fetch(start_, {.source = "nonsense"});
    FAIL() << "no error";
  } catch (InvalidError const& e) {
    EXPECT_THAT(e.what(), HasSubstr("source must be one of"));
  }
  try {
    logs.fetch(SysClock::now() - std::chrono::hours(36 * 24));
    FAIL() << "no error";
  } catch (InvalidError const& e) {
    EXPECT_THAT(e.what(), HasSubstr("must not exceed 35 days"));
  }
  EXPECT_THROW(logs.tail({.entries = -1}), InvalidError);
  EXPECT_THROW(logs.tail({.entries = 20'001}), InvalidError);
  EXPECT_THROW(logs.tail({.source = "out"}), InvalidError);
  for (auto const& call : emu().received_calls()) {
    EXPECT_THAT(call.method, ::testing::Not(HasSubstr("Logs"))) << call.method;
  }
}

TEST_F(LogsTest, TailAnswersTheMostRecentEntries) {
  print({"1", "2", "3"}, {"e1"});
  print({"4"}, {"e2"});
  auto logs = printer_->logs();
  EXPECT_THAT(lines(logs.tail({.entries = 3})),
              ElementsAre(Pair("stdout", "3\n"), Pair("stdout", "4\n"), Pair("stderr", "e2\n")));
  EXPECT_THAT(lines(logs.tail({.entries = 2, .source = "stderr"})),
              ElementsAre(Pair("stderr", "e1\n"), Pair("stderr", "e2\n")));
  EXPECT_EQ(lines(logs.tail()).size(), 6u);  // fewer than 100: everything
}

TEST_F(LogsTest, StreamSeesEntriesAsTheyArePrintedAndEndsWhenIdle) {
  print({"earlier"}, {});
  auto range = printer_->logs().stream({.timeout = 10s});
  auto it = range.begin();
  ASSERT_NE(it, range.end());
  EXPECT_EQ(it->message, "earlier\n");  // the emulator starts with the oldest entries
  std::thread printer([&] { print({"live"}, {"live err"}); });
  ++it;
  ASSERT_NE(it, range.end());
  EXPECT_EQ(it->message, "live\n");
  ++it;
  ASSERT_NE(it, range.end());
  EXPECT_EQ(it->message, "live err\n");
  EXPECT_EQ(it->source, "stderr");
  printer.join();

  // Nothing more: the idle timeout ends it.
  auto quiet = printer_->logs().stream({.timeout = 2s});
  std::vector<std::string> seen;
  for (LogEntry const& e : quiet) seen.push_back(e.message);
  EXPECT_THAT(seen, ElementsAre("earlier\n", "live\n", "live err\n"));
  EXPECT_TRUE(lines(printer_->logs().stream({.timeout = 0ms})).empty());
}

TEST_F(LogsTest, StreamEndsWhenTheAppStops) {
  print({"one"}, {});
  auto range = printer_->logs().stream();  // no timeout
  auto it = range.begin();
  ASSERT_NE(it, range.end());
  EXPECT_EQ(it->message, "one\n");
  emu().shutdown();  // the emulator's Apps stop with it: app_done
  ++it;
  EXPECT_EQ(it, range.end());
}

class BreakingLogsTest : public LogsTest {
 protected:
  emulator::EmulatorOptions emulator_options() override {
    return emulator::EmulatorOptions{.stream_break_after = 1};
  }
};

TEST_F(BreakingLogsTest, StreamResumesFromTheLastEntryIdAfterBreaks) {
  print({"a"}, {});
  print({"b"}, {});
  print({"c"}, {});
  std::vector<std::string> seen;
  for (LogEntry const& e : printer_->logs().stream({.timeout = 3s})) seen.push_back(e.message);
  EXPECT_THAT(seen, ElementsAre("a\n", "b\n", "c\n"));  // each once, in order
  EXPECT_GE(emu().received_calls("AppGetLogs").size(), 3u);
}

TEST_F(LogsTest, FunctionCallLogsAreScopedToTheCall) {
  FunctionCall first = print({"first out"}, {"first err"});
  FunctionCall second = print({"second out"}, {"second err"});
  EXPECT_THAT(lines(second.logs().fetch()),
              ElementsAre(Pair("stdout", "second out\n"), Pair("stderr", "second err\n")));
  EXPECT_THAT(lines(first.logs().fetch({.source = "stderr"})),
              ElementsAre(Pair("stderr", "first err\n")));
  EXPECT_THAT(lines(first.logs().tail({.entries = 1})), ElementsAre(Pair("stderr", "first err\n")));
  for (LogEntry const& e : second.logs().fetch()) {
    EXPECT_EQ(e.object_id, second.id());
    ASSERT_EQ(e.context_ids.size(), 2u);  // input, task
  }
  // By id, from another Client.
  FunctionCall found = client().function_calls().from_id(first.id());
  EXPECT_THAT(lines(found.logs().fetch({.search_text = "out"})),
              ElementsAre(Pair("stdout", "first out\n")));
  // An explicit range before the call holds none of its lines.
  EXPECT_TRUE(lines(first.logs().fetch({.since = start_, .until = start_ + 1ms})).empty());
}

TEST_F(LogsTest, FunctionCallStreamEndsWhenTheCallFinished) {
  FunctionCall call = printer_->spawn({strings({"x", "y"}), strings({"z"})});
  std::vector<std::string> seen;
  for (LogEntry const& e : call.logs().stream()) seen.push_back(e.message);  // no timeout
  EXPECT_THAT(seen, ElementsAre("x\n", "z\n", "y\n"));
  EXPECT_EQ(call.get(), Value(std::int64_t{3}));
}

TEST_F(LogsTest, FunctionCallStreamToleratesAnUnansweredStatusCheckButNotARefusal) {
  // RESOURCE_EXHAUSTED: the check is skipped (tried again a second later), the stream goes on.
  emu().inject_fault("FunctionCallGetInfo", {.count = 3, .code = 8});
  FunctionCall call = printer_->spawn({strings({"a"}), strings({})});
  std::vector<std::string> seen;
  for (LogEntry const& e : call.logs().stream()) seen.push_back(e.message);
  EXPECT_THAT(seen, ElementsAre("a\n"));
  EXPECT_GT(emu().received_calls("FunctionCallGetInfo").size(), 3u);

  // PERMISSION_DENIED ends it with the error.
  emu().inject_fault("FunctionCallGetInfo", {.count = 1, .code = 7});
  auto range = call.logs().stream();
  EXPECT_THROW(range.begin(), AuthError);
}

TEST_F(LogsTest, FunctionCallFetchOfAnUnknownCallIsNotFound) {
  // FunctionCallGetInfo is asked 5 times, 1 s apart, before giving up.
  FunctionCall call = print({"x"}, {});
  emu().inject_fault("FunctionCallGetInfo", {.count = 5, .code = 5 /* NOT_FOUND */});
  try {
    call.logs().fetch();
    FAIL() << "no error";
  } catch (NotFoundError const& e) {
    EXPECT_THAT(e.what(), HasSubstr("Function call '" + call.id() + "' not found"));
  }
  EXPECT_EQ(emu().received_calls("FunctionCallGetInfo").size(), 5u);
  // Found at the fifth attempt: the fetch works.
  emu().inject_fault("FunctionCallGetInfo", {.count = 4, .code = 5});
  EXPECT_THAT(lines(call.logs().fetch()), ElementsAre(Pair("stdout", "x\n")));
}

}  // namespace
}  // namespace modal::testing
