// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Function logs through the generated stubs against an in-process emulator: what the
// print_lines fixture and a preloaded program printed, through AppFetchLogs (time ranges,
// filters, limit), AppCountLogs (buckets), AppGetLogs (resume, live entries, timeout,
// stream_break_after, app_done) and FunctionCallGetInfo.
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "emulator_test_util.h"
#include "internal/cbor.h"
#include "modal/emulator.h"
#include "modal/value.h"
#include "modal_proto/api.grpc.pb.h"

namespace modal::emulator {
namespace {

using ::modal::Value;
using ::modal::client::GenericResult;
using ::modal::emulator::testing::RawClient;
using ::modal::internal::cbor_encode_call;
using ::testing::ElementsAre;
using ::testing::Pair;
namespace pb = ::modal::client;

constexpr char kApp[] = "libmodal-test-support";

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

google::protobuf::Timestamp timestamp(std::int64_t ns) {
  google::protobuf::Timestamp t;
  t.set_seconds(ns / 1'000'000'000);
  t.set_nanos(static_cast<int>(ns % 1'000'000'000));
  return t;
}

/// (source, data) of every item of the batches, in order.
std::vector<std::pair<int, std::string>> lines(
    google::protobuf::RepeatedPtrField<pb::TaskLogsBatch> const& batches) {
  std::vector<std::pair<int, std::string>> out;
  for (auto const& b : batches) {
    for (auto const& item : b.items()) out.emplace_back(item.file_descriptor(), item.data());
  }
  return out;
}

Value strings(std::vector<std::string> const& v) {
  std::vector<Value> items(v.begin(), v.end());
  return Value::list(std::move(items));
}

class LogsTest : public ::testing::Test {
 protected:
  explicit LogsTest(EmulatorOptions opts = {}) : emu_(std::move(opts)), raw_(emu_.address()) {}

  pb::FunctionGetResponse get(std::string const& tag, std::string const& app = kApp) {
    pb::FunctionGetRequest req;
    req.set_app_name(app);
    req.set_object_tag(tag);
    req.set_environment_name("main");
    pb::FunctionGetResponse resp;
    auto ctx = RawClient::context();
    auto st = raw_.stub().FunctionGet(ctx.get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp;
  }

  /// Spawns one input of `function_id`; answers the call id.
  std::string spawn(std::string const& function_id, std::string payload) {
    pb::FunctionMapRequest req;
    req.set_function_id(function_id);
    req.set_function_call_type(pb::FUNCTION_CALL_TYPE_UNARY);
    req.set_function_call_invocation_type(pb::FUNCTION_CALL_INVOCATION_TYPE_ASYNC);
    auto* in = req.add_pipelined_inputs()->mutable_input();
    in->set_args(std::move(payload));
    in->set_data_format(pb::DATA_FORMAT_CBOR);
    pb::FunctionMapResponse resp;
    auto ctx = RawClient::context();
    auto st = raw_.stub().FunctionMap(ctx.get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.function_call_id();
  }

  /// Waits for the call's single output.
  pb::FunctionGetOutputsItem wait(std::string const& call_id) {
    pb::FunctionGetOutputsRequest req;
    req.set_function_call_id(call_id);
    req.set_max_values(1);
    req.set_timeout(30);
    req.set_last_entry_id("0-0");
    pb::FunctionGetOutputsResponse resp;
    auto ctx = RawClient::context();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(40));
    auto st = raw_.stub().FunctionGetOutputs(ctx.get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    EXPECT_EQ(resp.outputs_size(), 1);
    return resp.outputs_size() == 1 ? resp.outputs(0) : pb::FunctionGetOutputsItem{};
  }

  /// print_lines(out, err), waited for; answers the call id.
  std::string print(std::vector<std::string> const& out, std::vector<std::string> const& err) {
    auto call = spawn(printer_.function_id(), cbor_encode_call({strings(out), strings(err)}, {}));
    auto item = wait(call);
    EXPECT_EQ(item.result().status(), GenericResult::GENERIC_STATUS_SUCCESS)
        << item.result().exception();
    return call;
  }

  grpc::Status fetch(pb::AppFetchLogsRequest req, pb::AppFetchLogsResponse* resp) {
    if (req.app_id().empty()) req.set_app_id(app_id());
    if (!req.has_since()) *req.mutable_since() = timestamp(start_ns_ - 1'000'000'000);
    if (!req.has_until()) *req.mutable_until() = timestamp(now_ns() + 1'000'000'000);
    auto ctx = RawClient::context();
    return raw_.stub().AppFetchLogs(ctx.get(), req, resp);
  }
  pb::AppFetchLogsResponse fetch(pb::AppFetchLogsRequest req = {}) {
    pb::AppFetchLogsResponse resp;
    auto st = fetch(std::move(req), &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp;
  }

  grpc::Status count(pb::AppCountLogsRequest req, pb::AppCountLogsResponse* resp) {
    if (req.app_id().empty()) req.set_app_id(app_id());
    auto ctx = RawClient::context();
    return raw_.stub().AppCountLogs(ctx.get(), req, resp);
  }

  /// Reads an AppGetLogs stream to its end.
  struct Streamed {
    std::vector<pb::TaskLogsBatch> batches;
    grpc::Status status;
  };
  Streamed stream(pb::AppGetLogsRequest req) {
    if (req.app_id().empty()) req.set_app_id(app_id());
    auto ctx = RawClient::context();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    auto reader = raw_.stub().AppGetLogs(ctx.get(), req);
    Streamed out;
    pb::TaskLogsBatch b;
    while (reader->Read(&b)) out.batches.push_back(b);
    out.status = reader->Finish();
    return out;
  }

  pb::FunctionCallInfo info(std::string const& call_id,
                            grpc::StatusCode want = grpc::StatusCode::OK,
                            std::string const& function_id = "") {
    pb::FunctionCallGetInfoRequest req;
    req.set_function_call_id(call_id);
    req.set_function_id(function_id);
    pb::FunctionCallGetInfoResponse resp;
    auto ctx = RawClient::context();
    auto st = raw_.stub().FunctionCallGetInfo(ctx.get(), req, &resp);
    EXPECT_EQ(st.error_code(), want) << st.error_message();
    return resp.info();
  }

  std::string const& app_id() const { return printer_.handle_metadata().app_id(); }

  Emulator emu_;
  RawClient raw_;
  std::int64_t const start_ns_ = now_ns();
  pb::FunctionGetResponse const printer_ = get("print_lines");
};

TEST_F(LogsTest, FunctionsOfOneAppShareItsAppId) {
  EXPECT_THAT(app_id(), ::testing::StartsWith("ap-"));
  EXPECT_EQ(get("echo_string").handle_metadata().app_id(), app_id());
}

TEST_F(LogsTest, FetchAnswersWhatTheFunctionPrintedWithTimestamps) {
  auto const before = now_ns();
  auto const call = print({"out one", "out two"}, {"err one"});
  auto const after = now_ns();
  auto resp = fetch();
  EXPECT_THAT(lines(resp.batches()), ElementsAre(Pair(pb::FILE_DESCRIPTOR_STDOUT, "out one\n"),
                                                 Pair(pb::FILE_DESCRIPTOR_STDERR, "err one\n"),
                                                 Pair(pb::FILE_DESCRIPTOR_STDOUT, "out two\n")));
  ASSERT_EQ(resp.batches_size(), 1);  // one input
  auto const& b = resp.batches(0);
  EXPECT_EQ(b.function_id(), printer_.function_id());
  EXPECT_THAT(b.input_id(), ::testing::StartsWith("in-"));
  EXPECT_EQ(b.task_id(), "ta-emulator");
  EXPECT_EQ(b.entry_id(), "3-0");
  std::uint64_t prev = 0;
  for (auto const& item : b.items()) {
    EXPECT_EQ(item.function_call_id(), call);
    EXPECT_EQ(item.input_id(), b.input_id());
    EXPECT_GE(item.timestamp_ns(), static_cast<std::uint64_t>(before));
    EXPECT_LE(item.timestamp_ns(), static_cast<std::uint64_t>(after));
    EXPECT_GE(item.timestamp_ns(), prev);
    prev = item.timestamp_ns();
    EXPECT_NEAR(item.timestamp(), static_cast<double>(item.timestamp_ns()) / 1e9, 1e-3);
  }
}

TEST_F(LogsTest, FetchFilters) {
  auto const first = print({"alpha"}, {"beta"});
  auto const mid_ns = now_ns();
  auto const second = print({"gamma"}, {"alphabet"});

  pb::AppFetchLogsRequest req;
  req.set_source(pb::FILE_DESCRIPTOR_STDERR);
  EXPECT_THAT(lines(fetch(req).batches()),
              ElementsAre(Pair(pb::FILE_DESCRIPTOR_STDERR, "beta\n"),
                          Pair(pb::FILE_DESCRIPTOR_STDERR, "alphabet\n")));
  req = {};
  req.set_search_text("alpha");
  EXPECT_THAT(lines(fetch(req).batches()),
              ElementsAre(Pair(pb::FILE_DESCRIPTOR_STDOUT, "alpha\n"),
                          Pair(pb::FILE_DESCRIPTOR_STDERR, "alphabet\n")));
  req = {};
  req.set_function_call_id(second);
  EXPECT_THAT(lines(fetch(req).batches()),
              ElementsAre(Pair(pb::FILE_DESCRIPTOR_STDOUT, "gamma\n"),
                          Pair(pb::FILE_DESCRIPTOR_STDERR, "alphabet\n")));
  req = {};
  req.set_function_id(printer_.function_id());
  EXPECT_EQ(lines(fetch(req).batches()).size(), 4u);
  req.set_function_id(get("echo_string").function_id());
  EXPECT_TRUE(fetch(req).batches().empty());
  req = {};
  *req.mutable_since() = timestamp(mid_ns);
  EXPECT_EQ(lines(fetch(req).batches()).size(), 2u);
  req = {};
  *req.mutable_until() = timestamp(mid_ns);
  EXPECT_THAT(lines(fetch(req).batches()), ElementsAre(Pair(pb::FILE_DESCRIPTOR_STDOUT, "alpha\n"),
                                                       Pair(pb::FILE_DESCRIPTOR_STDERR, "beta\n")));
  req = {};
  req.set_limit(3);  // the newest three, in order
  auto limited = fetch(req);
  EXPECT_THAT(lines(limited.batches()),
              ElementsAre(Pair(pb::FILE_DESCRIPTOR_STDERR, "beta\n"),
                          Pair(pb::FILE_DESCRIPTOR_STDOUT, "gamma\n"),
                          Pair(pb::FILE_DESCRIPTOR_STDERR, "alphabet\n")));
  EXPECT_EQ(limited.batches_size(), 2);  // two inputs
  req = {};
  req.set_sandbox_id("sb-nothing");
  EXPECT_TRUE(fetch(req).batches().empty());
  (void)first;
}

TEST_F(LogsTest, FetchRejectsBadRequests) {
  pb::AppFetchLogsResponse resp;
  pb::AppFetchLogsRequest req;
  req.set_app_id("ap-unknown");
  EXPECT_EQ(fetch(req, &resp).error_code(), grpc::StatusCode::NOT_FOUND);
  req = {};
  req.set_source(static_cast<pb::FileDescriptor>(42));
  EXPECT_EQ(fetch(req, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  req = {};
  *req.mutable_since() = timestamp(now_ns());
  *req.mutable_until() = timestamp(now_ns() - 10'000'000'000);
  EXPECT_EQ(fetch(req, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // An App of AppGetOrCreate has (no) logs too.
  pb::AppGetOrCreateRequest app;
  app.set_app_name("other");
  app.set_environment_name("main");
  app.set_object_creation_type(pb::OBJECT_CREATION_TYPE_CREATE_IF_MISSING);
  pb::AppGetOrCreateResponse created;
  auto ctx = RawClient::context();
  ASSERT_TRUE(raw_.stub().AppGetOrCreate(ctx.get(), app, &created).ok());
  req = {};
  req.set_app_id(created.app_id());
  EXPECT_TRUE(fetch(req, &resp).ok());
  EXPECT_TRUE(resp.batches().empty());
}

TEST_F(LogsTest, CountBucketsBySource) {
  print({"a", "b", "c"}, {"x"});
  pb::AppCountLogsRequest req;
  *req.mutable_since() = timestamp(start_ns_ - 10'000'000'000);
  *req.mutable_until() = timestamp(now_ns() + 1'000'000'000);
  req.set_bucket_secs(2);
  pb::AppCountLogsResponse resp;
  ASSERT_TRUE(count(req, &resp).ok());
  EXPECT_EQ(resp.app_id(), app_id());
  std::uint64_t out = 0, err = 0, sys = 0;
  for (auto const& b : resp.buckets()) {
    EXPECT_EQ(b.bucket_start_at().seconds() % 2, 0);
    EXPECT_EQ(b.bucket_start_at().nanos(), 0);
    EXPECT_GT(b.stdout_logs() + b.stderr_logs() + b.system_logs(), 0u);  // non-empty only
    out += b.stdout_logs();
    err += b.stderr_logs();
    sys += b.system_logs();
  }
  EXPECT_EQ(out, 3u);
  EXPECT_EQ(err, 1u);
  EXPECT_EQ(sys, 0u);

  req.set_source(pb::FILE_DESCRIPTOR_STDERR);
  ASSERT_TRUE(count(req, &resp).ok());
  ASSERT_EQ(resp.buckets_size(), 1);
  EXPECT_EQ(resp.buckets(0).stderr_logs(), 1u);
  EXPECT_EQ(resp.buckets(0).stdout_logs(), 0u);

  req.set_source(pb::FILE_DESCRIPTOR_UNSPECIFIED);
  req.set_search_text("b");
  ASSERT_TRUE(count(req, &resp).ok());
  ASSERT_EQ(resp.buckets_size(), 1);
  EXPECT_EQ(resp.buckets(0).stdout_logs(), 1u);

  req.set_search_text("");
  *req.mutable_until() = timestamp(start_ns_ - 1'000'000'000);
  ASSERT_TRUE(count(req, &resp).ok());
  EXPECT_TRUE(resp.buckets().empty());

  req.set_bucket_secs(0);
  EXPECT_EQ(count(req, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  req.set_bucket_secs(2);
  req.set_app_id("ap-unknown");
  EXPECT_EQ(count(req, &resp).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(LogsTest, StreamResumesFromAnEntryIdAndEndsAtItsTimeout) {
  print({"one"}, {});
  print({"two"}, {"three"});
  pb::AppGetLogsRequest req;
  req.set_timeout(0.5f);
  auto all = stream(req);
  ASSERT_TRUE(all.status.ok()) << all.status.error_message();
  ASSERT_EQ(all.batches.size(), 2u);  // one per input
  EXPECT_EQ(all.batches[0].entry_id(), "1-0");
  EXPECT_EQ(all.batches[1].entry_id(), "3-0");
  EXPECT_FALSE(all.batches[1].app_done());
  EXPECT_EQ(all.batches[1].items(1).data(), "three\n");

  req.set_last_entry_id(all.batches[0].entry_id());
  auto rest = stream(req);
  ASSERT_TRUE(rest.status.ok());
  ASSERT_EQ(rest.batches.size(), 1u);
  ASSERT_EQ(rest.batches[0].items_size(), 2);
  EXPECT_EQ(rest.batches[0].items(0).data(), "two\n");

  req.set_last_entry_id("3-0");
  auto none = stream(req);
  EXPECT_TRUE(none.status.ok());
  EXPECT_TRUE(none.batches.empty());

  req.set_last_entry_id("");
  req.set_file_descriptor(pb::FILE_DESCRIPTOR_STDERR);
  auto err = stream(req);
  ASSERT_EQ(err.batches.size(), 1u);
  ASSERT_EQ(err.batches[0].items_size(), 1);
  EXPECT_EQ(err.batches[0].items(0).data(), "three\n");

  req.set_file_descriptor(pb::FILE_DESCRIPTOR_UNSPECIFIED);
  req.set_last_entry_id("garbage");
  EXPECT_EQ(stream(req).status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  req.set_last_entry_id("");
  req.set_app_id("ap-unknown");
  EXPECT_EQ(stream(req).status.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(LogsTest, StreamDeliversEntriesPrintedWhileItIsOpen) {
  pb::AppGetLogsRequest req;
  req.set_app_id(app_id());
  req.set_timeout(20);
  auto ctx = RawClient::context();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto reader = raw_.stub().AppGetLogs(ctx.get(), req);
  std::string call;
  std::thread printer([&] { call = print({"live"}, {}); });
  pb::TaskLogsBatch b;
  ASSERT_TRUE(reader->Read(&b));
  printer.join();
  ASSERT_EQ(b.items_size(), 1);
  EXPECT_EQ(b.items(0).data(), "live\n");
  EXPECT_EQ(b.items(0).function_call_id(), call);
  ctx->TryCancel();
  while (reader->Read(&b)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(LogsTest, StreamAnswersAppDoneWhenTheEmulatorStops) {
  print({"before"}, {});
  pb::AppGetLogsRequest req;
  req.set_app_id(app_id());
  req.set_timeout(20);
  req.set_last_entry_id("1-0");
  auto ctx = RawClient::context();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto reader = raw_.stub().AppGetLogs(ctx.get(), req);
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // any moment will do
    emu_.shutdown();
  });
  std::vector<pb::TaskLogsBatch> got;
  pb::TaskLogsBatch b;
  while (reader->Read(&b)) got.push_back(b);
  stopper.join();
  ASSERT_FALSE(got.empty());
  EXPECT_TRUE(got.back().app_done());
  EXPECT_EQ(got.back().entry_id(), "1-0");
  EXPECT_TRUE(reader->Finish().ok());
}

class BreakingLogsTest : public LogsTest {
 protected:
  BreakingLogsTest() : LogsTest(EmulatorOptions{.stream_break_after = 1}) {}
};

TEST_F(BreakingLogsTest, StreamBreaksAfterStreamBreakAfterMessages) {
  print({"one"}, {});
  print({"two"}, {});
  pb::AppGetLogsRequest req;
  req.set_timeout(1);
  auto first = stream(req);
  EXPECT_EQ(first.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  ASSERT_EQ(first.batches.size(), 1u);
  req.set_last_entry_id(first.batches[0].entry_id());
  auto second = stream(req);
  ASSERT_EQ(second.batches.size(), 1u);
  EXPECT_EQ(second.batches[0].items(0).data(), "two\n");
}

TEST_F(LogsTest, FunctionCallGetInfoCountsInputsByState) {
  auto const before = static_cast<double>(now_ns()) / 1e9;
  auto const done = print({"x"}, {});
  auto i = info(done);
  EXPECT_EQ(i.function_call_id(), done);
  EXPECT_EQ(i.total_inputs(), 1);
  EXPECT_EQ(i.succeeded_inputs().total(), 1);
  EXPECT_EQ(i.pending_inputs().total(), 0);
  EXPECT_GE(i.created_at(), before - 0.001);
  EXPECT_LE(i.created_at(), static_cast<double>(now_ns()) / 1e9);
  info(done, grpc::StatusCode::OK, printer_.function_id());
  info(done, grpc::StatusCode::NOT_FOUND, get("echo_string").function_id());

  auto const sleeper = spawn(get("sleep").function_id(), cbor_encode_call({Value(60)}, {}));
  EXPECT_EQ(info(sleeper).pending_inputs().total(), 1);
  pb::FunctionCallCancelRequest cancel;
  cancel.set_function_call_id(sleeper);
  google::protobuf::Empty empty;
  auto ctx = RawClient::context();
  ASSERT_TRUE(raw_.stub().FunctionCallCancel(ctx.get(), cancel, &empty).ok());
  wait(sleeper);
  EXPECT_EQ(info(sleeper).cancelled_inputs().total(), 1);

  auto const failing = spawn(printer_.function_id(), cbor_encode_call({Value(1), Value(2)}, {}));
  EXPECT_EQ(wait(failing).result().status(), GenericResult::GENERIC_STATUS_FAILURE);
  EXPECT_EQ(info(failing).failed_inputs().total(), 1);

  info("fc-unknown", grpc::StatusCode::NOT_FOUND);
  info("", grpc::StatusCode::INVALID_ARGUMENT);
}

class PreloadedLogsTest : public LogsTest {
 protected:
  PreloadedLogsTest()
      : LogsTest(EmulatorOptions{
            .environments = {PreloadedEnvironment{
                .name = "main",
                .functions = {PreloadedFunction{
                    .app = "noisy",
                    .name = "warn",
                    .command = {"/bin/sh", "-c",
                                "echo 'warning: first' >&2; echo 'warning: second' >&2; "
                                "printf '\\366'"}}}}}}) {}
};

TEST_F(PreloadedLogsTest, AProgramsStderrIsItsLog) {
  auto fn = get("warn", "noisy");
  auto const call = spawn(fn.function_id(), cbor_encode_call({}, {}));
  auto item = wait(call);
  ASSERT_EQ(item.result().status(), GenericResult::GENERIC_STATUS_SUCCESS)
      << item.result().exception();
  pb::AppFetchLogsRequest req;
  req.set_app_id(fn.handle_metadata().app_id());
  EXPECT_NE(req.app_id(), app_id());
  EXPECT_THAT(lines(fetch(req).batches()),
              ElementsAre(Pair(pb::FILE_DESCRIPTOR_STDERR, "warning: first\n"),
                          Pair(pb::FILE_DESCRIPTOR_STDERR, "warning: second\n")));
}

}  // namespace
}  // namespace modal::emulator
