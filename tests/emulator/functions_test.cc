// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Functions, classes, Function calls, the input plane and blobs through the generated
// stubs against an in-process emulator: the libmodal-test-support fixtures, CBOR in and
// out, blobs over HTTP, cancellation, stats, max_containers, injected failures.
#include <httplib.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <google/protobuf/empty.pb.h>
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
using ::modal::internal::cbor_decode;
using ::modal::internal::cbor_encode_call;
using ::testing::HasSubstr;
namespace pb = ::modal::client;

constexpr char kApp[] = "libmodal-test-support";

class FunctionsTest : public ::testing::Test {
 protected:
  Emulator emu_;
  RawClient raw_{emu_.address()};

  pb::FunctionGetResponse get(std::string const& tag, std::string const& app = kApp,
                              grpc::StatusCode want = grpc::StatusCode::OK) {
    pb::FunctionGetRequest req;
    req.set_app_name(app);
    req.set_object_tag(tag);
    req.set_environment_name("main");
    pb::FunctionGetResponse resp;
    auto ctx = RawClient::context();
    auto st = raw_.stub().FunctionGet(ctx.get(), req, &resp);
    EXPECT_EQ(st.error_code(), want) << st.error_message();
    return resp;
  }

  static pb::FunctionPutInputsItem input(std::string payload, std::string method = "") {
    pb::FunctionPutInputsItem item;
    item.mutable_input()->set_args(std::move(payload));
    item.mutable_input()->set_data_format(pb::DATA_FORMAT_CBOR);
    item.mutable_input()->set_method_name(std::move(method));
    return item;
  }

  pb::FunctionMapResponse map(std::string const& function_id, pb::FunctionPutInputsItem item,
                              bool async = false) {
    pb::FunctionMapRequest req;
    req.set_function_id(function_id);
    req.set_function_call_type(pb::FUNCTION_CALL_TYPE_UNARY);
    req.set_function_call_invocation_type(async ? pb::FUNCTION_CALL_INVOCATION_TYPE_ASYNC
                                                : pb::FUNCTION_CALL_INVOCATION_TYPE_SYNC);
    *req.add_pipelined_inputs() = std::move(item);
    pb::FunctionMapResponse resp;
    auto ctx = RawClient::context();
    auto st = raw_.stub().FunctionMap(ctx.get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp;
  }

  pb::FunctionGetOutputsResponse outputs(std::string const& call_id, float timeout,
                                         bool clear = false,
                                         std::vector<std::string> const& jwts = {}) {
    pb::FunctionGetOutputsRequest req;
    req.set_function_call_id(call_id);
    req.set_max_values(1);
    req.set_timeout(timeout);
    req.set_last_entry_id("0-0");
    req.set_clear_on_success(clear);
    for (auto const& j : jwts) req.add_input_jwts(j);
    pb::FunctionGetOutputsResponse resp;
    auto ctx = RawClient::context();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(70));
    auto st = raw_.stub().FunctionGetOutputs(ctx.get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp;
  }

  /// Calls and waits for the single output.
  pb::FunctionGetOutputsItem call(std::string const& function_id, std::string payload,
                                  std::string method = "") {
    auto m = map(function_id, input(std::move(payload), std::move(method)));
    auto out = outputs(m.function_call_id(), 30, true, {m.pipelined_inputs(0).input_jwt()});
    EXPECT_EQ(out.outputs_size(), 1);
    return out.outputs_size() == 1 ? out.outputs(0) : pb::FunctionGetOutputsItem{};
  }

  Value result_of(pb::FunctionGetOutputsItem const& item) {
    EXPECT_EQ(item.result().status(), GenericResult::GENERIC_STATUS_SUCCESS)
        << item.result().exception();
    EXPECT_EQ(item.data_format(), pb::DATA_FORMAT_CBOR);
    return cbor_decode(item.result().data());
  }

  pb::FunctionStats stats(std::string const& function_id) {
    pb::FunctionGetCurrentStatsRequest req;
    req.set_function_id(function_id);
    pb::FunctionStats resp;
    auto ctx = RawClient::context();
    EXPECT_TRUE(raw_.stub().FunctionGetCurrentStats(ctx.get(), req, &resp).ok());
    return resp;
  }
};

TEST_F(FunctionsTest, FunctionGetMetadata) {
  auto echo = get("echo_string");
  EXPECT_THAT(echo.function_id(), ::testing::StartsWith("fu-"));
  auto const& md = echo.handle_metadata();
  EXPECT_EQ(md.function_name(), "echo_string");
  EXPECT_EQ(md.function_type(), pb::Function::FUNCTION_TYPE_FUNCTION);
  EXPECT_THAT(md.supported_input_formats(), ::testing::Contains(pb::DATA_FORMAT_CBOR));
  EXPECT_THAT(md.supported_output_formats(), ::testing::Contains(pb::DATA_FORMAT_CBOR));
  EXPECT_EQ(md.max_object_size_bytes(), 2u << 20);
  EXPECT_FALSE(md.has_input_plane_url());
  EXPECT_EQ(md.web_url(), "");

  auto ip = get("input_plane").handle_metadata();
  EXPECT_EQ(ip.input_plane_url(), emu_.server_url());
  EXPECT_EQ(ip.input_plane_region(), "us-west");

  auto web = get("web_endpoint_echo").handle_metadata();
  EXPECT_THAT(web.web_url(), ::testing::StartsWith("http://127.0.0.1:"));

  auto cls = get("EchoClsParametrized.*").handle_metadata();
  EXPECT_EQ(cls.class_parameter_info().format(),
            pb::ClassParameterInfo::PARAM_SERIALIZATION_FORMAT_PROTO);
  ASSERT_EQ(cls.class_parameter_info().schema_size(), 1);
  EXPECT_EQ(cls.class_parameter_info().schema(0).name(), "name");
  EXPECT_EQ(cls.class_parameter_info().schema(0).string_default(), "test");
  ASSERT_EQ(cls.method_handle_metadata().count("echo_parameter"), 1u);
  EXPECT_EQ(cls.method_handle_metadata().at("echo_parameter").use_method_name(), "echo_parameter");
  EXPECT_TRUE(cls.method_handle_metadata().at("echo_env_var").is_method());

  auto ipc = get("EchoClsInputPlane.*").handle_metadata();
  EXPECT_EQ(ipc.method_handle_metadata().at("echo_string").input_plane_url(), emu_.server_url());

  auto old = get("identity_with_repr", "test-support-1-1").handle_metadata();
  EXPECT_THAT(old.supported_input_formats(),
              ::testing::Not(::testing::Contains(pb::DATA_FORMAT_CBOR)));

  get("not_a_real_function", kApp, grpc::StatusCode::NOT_FOUND);
  get("echo_string", "no-such-app", grpc::StatusCode::NOT_FOUND);
}

TEST_F(FunctionsTest, FixturesAnswerAsUpstreamsTestApp) {
  std::string const echo = get("echo_string").function_id();
  EXPECT_EQ(result_of(call(echo, cbor_encode_call({}, {{"s", Value("hello")}}))),
            Value("output: hello"));
  EXPECT_EQ(result_of(call(echo, cbor_encode_call({Value("hello")}, {}))), Value("output: hello"));

  Value const arg = Value::map({{"s", Value("hello")}});
  Value const pair =
      result_of(call(get("identity_with_repr").function_id(), cbor_encode_call({arg}, {})));
  ASSERT_EQ(pair.size(), 2u);
  EXPECT_EQ(pair.at(0), arg);
  EXPECT_EQ(pair.at(1), Value("{'s': 'hello'}"));

  EXPECT_EQ(result_of(call(get("bytelength").function_id(),
                           cbor_encode_call({Value::bytes(std::string(1000, 'x'))}, {}))),
            Value(1000));
  EXPECT_EQ(result_of(call(get("sleep").function_id(), cbor_encode_call({Value(0.05)}, {}))),
            Value());

  // Python's binding errors are remote failures carrying the exception.
  auto bad = call(echo, cbor_encode_call({}, {}));
  EXPECT_EQ(bad.result().status(), GenericResult::GENERIC_STATUS_FAILURE);
  EXPECT_THAT(bad.result().exception(),
              HasSubstr("echo_string() missing 1 required positional argument: 's'"));
  auto bad_type = call(echo, cbor_encode_call({Value(1)}, {}));
  EXPECT_THAT(bad_type.result().exception(), HasSubstr("TypeError"));

  std::string const cls = get("EchoCls.*").function_id();
  EXPECT_EQ(result_of(call(cls, cbor_encode_call({}, {{"s", Value("hi")}}), "echo_string")),
            Value("output: hi"));
}

TEST_F(FunctionsTest, BoundClassParametersAndSecrets) {
  std::string const cls = get("EchoClsParametrized.*").function_id();
  // Defaults without binding.
  EXPECT_EQ(result_of(call(cls, cbor_encode_call({}, {}), "echo_parameter")),
            Value("output: test"));

  pb::SecretGetOrCreateRequest sreq;
  sreq.set_object_creation_type(pb::OBJECT_CREATION_TYPE_EPHEMERAL);
  (*sreq.mutable_env_dict())["SECRET_MESSAGE"] = "hello, Secret";
  pb::SecretGetOrCreateResponse sresp;
  auto sctx = RawClient::context();
  ASSERT_TRUE(raw_.stub().SecretGetOrCreate(sctx.get(), sreq, &sresp).ok());

  pb::ClassParameterSet params;
  auto* p = params.add_parameters();
  p->set_name("name");
  p->set_type(pb::PARAM_TYPE_STRING);
  p->set_string_value("hello-init");
  pb::FunctionBindParamsRequest breq;
  breq.set_function_id(cls);
  breq.set_serialized_params(params.SerializeAsString());
  breq.mutable_function_options()->add_secret_ids(sresp.secret_id());
  pb::FunctionBindParamsResponse bresp;
  auto bctx = RawClient::context();
  auto st = raw_.stub().FunctionBindParams(bctx.get(), breq, &bresp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_NE(bresp.bound_function_id(), cls);
  EXPECT_EQ(bresp.handle_metadata().method_handle_metadata_size(), 2);

  std::string const bound = bresp.bound_function_id();
  EXPECT_EQ(result_of(call(bound, cbor_encode_call({}, {}), "echo_parameter")),
            Value("output: hello-init"));
  EXPECT_EQ(result_of(call(bound, cbor_encode_call({Value("SECRET_MESSAGE")}, {}), "echo_env_var")),
            Value("output: SECRET_MESSAGE='hello, Secret'"));
  EXPECT_EQ(result_of(call(cls, cbor_encode_call({Value("SECRET_MESSAGE")}, {}), "echo_env_var")),
            Value("output: SECRET_MESSAGE='[not set]'"));

  // A parameter of the wrong type is refused.
  p->set_type(pb::PARAM_TYPE_INT);
  p->set_int_value(3);
  breq.set_serialized_params(params.SerializeAsString());
  auto bctx2 = RawClient::context();
  EXPECT_EQ(raw_.stub().FunctionBindParams(bctx2.get(), breq, &bresp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(FunctionsTest, SpawnThenGetKeepsTheOutputAndFromIdFindsTheCall) {
  std::string const echo = get("echo_string").function_id();
  auto m = map(echo, input(cbor_encode_call({Value("x")}, {})), true);
  auto first = outputs(m.function_call_id(), 10);
  ASSERT_EQ(first.outputs_size(), 1);
  auto again = outputs(m.function_call_id(), 0);
  ASSERT_EQ(again.outputs_size(), 1);  // clear_on_success=false keeps it
  EXPECT_EQ(cbor_decode(again.outputs(0).result().data()), Value("output: x"));
  EXPECT_EQ(again.num_unfinished_inputs(), 0);

  pb::FunctionCallFromIdRequest req;
  req.set_function_call_id(m.function_call_id());
  pb::FunctionCallFromIdResponse resp;
  auto ctx = RawClient::context();
  ASSERT_TRUE(raw_.stub().FunctionCallFromId(ctx.get(), req, &resp).ok());
  EXPECT_EQ(resp.num_inputs(), 1);
  EXPECT_EQ(resp.metadata().function_id(), echo);

  req.set_function_call_id("fc-nope");
  auto ctx2 = RawClient::context();
  EXPECT_EQ(raw_.stub().FunctionCallFromId(ctx2.get(), req, &resp).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(FunctionsTest, GetOutputsTimesOutThenCancelStopsTheSleep) {
  std::string const sleep = get("sleep").function_id();
  auto m = map(sleep, input(cbor_encode_call({}, {{"t", Value(30)}})), true);
  auto const t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(outputs(m.function_call_id(), 0.3f).outputs_size(), 0);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(250));
  EXPECT_EQ(stats(sleep).num_total_tasks(), 1u);

  pb::FunctionCallCancelRequest req;
  req.set_function_call_id(m.function_call_id());
  req.set_terminate_containers(true);
  google::protobuf::Empty empty;
  auto ctx = RawClient::context();
  ASSERT_TRUE(raw_.stub().FunctionCallCancel(ctx.get(), req, &empty).ok());
  auto const t1 = std::chrono::steady_clock::now();
  auto out = outputs(m.function_call_id(), 10);
  ASSERT_EQ(out.outputs_size(), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - t1, std::chrono::seconds(2));
  EXPECT_EQ(out.outputs(0).result().status(), GenericResult::GENERIC_STATUS_TERMINATED);
  EXPECT_EQ(stats(sleep).num_total_tasks(), 0u);
}

TEST_F(FunctionsTest, MaxContainersBoundsRunnersAndStatsCountTheBacklog) {
  std::string const sleep = get("sleep").function_id();
  pb::FunctionUpdateSchedulingParamsRequest req;
  req.set_function_id(sleep);
  req.mutable_settings()->set_max_containers(2);
  req.mutable_settings()->set_min_containers(1);
  pb::FunctionUpdateSchedulingParamsResponse resp;
  auto ctx = RawClient::context();
  ASSERT_TRUE(raw_.stub().FunctionUpdateSchedulingParams(ctx.get(), req, &resp).ok());
  EXPECT_EQ(resp.current_settings().max_containers(), 2u);
  EXPECT_EQ(resp.current_settings().min_containers(), 1u);

  std::vector<std::string> calls;
  calls.reserve(5);
  for (int i = 0; i < 5; ++i) {
    // Long enough that none ends before the counts are read, however slow the machine.
    calls.push_back(map(sleep, input(cbor_encode_call({Value(1.5)}, {})), true).function_call_id());
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto s = stats(sleep);
  EXPECT_EQ(s.num_total_tasks(), 2u);
  EXPECT_EQ(s.backlog(), 3u);
  for (auto const& c : calls) {
    auto out = outputs(c, 10);
    ASSERT_EQ(out.outputs_size(), 1);
    EXPECT_EQ(out.outputs(0).result().status(), GenericResult::GENERIC_STATUS_SUCCESS);
  }
  s = stats(sleep);
  EXPECT_EQ(s.num_total_tasks(), 0u);
  EXPECT_EQ(s.backlog(), 0u);
}

TEST_F(FunctionsTest, ManySpawnsRunBoundedAndTheRestStartWhenSlotsFree) {
  std::string const sleep = get("sleep").function_id();
  auto cancel = [&](std::string const& call_id) {
    pb::FunctionCallCancelRequest req;
    req.set_function_call_id(call_id);
    google::protobuf::Empty empty;
    auto ctx = RawClient::context();
    ASSERT_TRUE(raw_.stub().FunctionCallCancel(ctx.get(), req, &empty).ok());
  };
  std::vector<std::string> calls;
  calls.reserve(300);
  for (int i = 0; i < 300; ++i) {
    // Runs far longer than the test, however slow the machine (sanitizers): nothing ends
    // on its own, so the counts below are exact.
    calls.push_back(map(sleep, input(cbor_encode_call({Value(600)}, {})), true).function_call_id());
  }
  auto s = stats(sleep);
  EXPECT_EQ(s.num_total_tasks(), 256u);
  EXPECT_EQ(s.backlog(), 44u);
  // Freeing 100 runners starts the 44 waiting inputs.
  for (int i = 0; i < 100; ++i) cancel(calls[static_cast<std::size_t>(i)]);
  // (A cancelled run counts until its thread has stopped: wait for both counts.)
  for (int i = 0; i < 200; ++i) {
    s = stats(sleep);
    if (s.backlog() == 0 && s.num_total_tasks() == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(s.backlog(), 0u);
  EXPECT_EQ(s.num_total_tasks(), 200u);
  for (std::size_t i = 100; i < calls.size(); ++i) cancel(calls[i]);
  for (auto const& c : calls) {
    auto out = outputs(c, 20);
    ASSERT_EQ(out.outputs_size(), 1);
    EXPECT_EQ(out.outputs(0).result().status(), GenericResult::GENERIC_STATUS_TERMINATED);
  }
  for (int i = 0; i < 100 && stats(sleep).num_total_tasks() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(stats(sleep).num_total_tasks(), 0u);
}

TEST_F(FunctionsTest, InjectedInternalFailureThenRetrySucceeds) {
  std::string const echo = get("echo_string").function_id();
  emu_.fail_function_outputs(kApp, "echo_string", 1);
  auto payload = cbor_encode_call({Value("again")}, {});
  auto m = map(echo, input(payload));
  std::string const jwt = m.pipelined_inputs(0).input_jwt();
  auto out = outputs(m.function_call_id(), 10, true, {jwt});
  ASSERT_EQ(out.outputs_size(), 1);
  EXPECT_EQ(out.outputs(0).result().status(), GenericResult::GENERIC_STATUS_INTERNAL_FAILURE);

  pb::FunctionRetryInputsRequest req;
  req.set_function_call_jwt(m.function_call_jwt());
  auto* item = req.add_inputs();
  item->set_input_jwt(jwt);
  *item->mutable_input() = input(payload).input();
  item->set_retry_count(1);
  pb::FunctionRetryInputsResponse resp;
  auto ctx = RawClient::context();
  auto st = raw_.stub().FunctionRetryInputs(ctx.get(), req, &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(resp.input_jwts_size(), 1);
  EXPECT_NE(resp.input_jwts(0), jwt);
  auto retried = outputs(m.function_call_id(), 10, true, {resp.input_jwts(0)});
  ASSERT_EQ(retried.outputs_size(), 1);
  EXPECT_EQ(cbor_decode(retried.outputs(0).result().data()), Value("output: again"));
  EXPECT_EQ(retried.outputs(0).retry_count(), 1u);
  EXPECT_THROW(emu_.fail_function_outputs(kApp, "nope", 1), std::invalid_argument);
}

TEST_F(FunctionsTest, InputPlaneAttempts) {
  std::string const ip = get("input_plane").function_id();
  emu_.fail_function_outputs(kApp, "input_plane", 1);
  auto payload = cbor_encode_call({Value("hello")}, {});
  pb::AttemptStartRequest sreq;
  sreq.set_function_id(ip);
  *sreq.mutable_input() = input(payload);
  pb::AttemptStartResponse sresp;
  auto c1 = RawClient::context();
  ASSERT_TRUE(raw_.stub().AttemptStart(c1.get(), sreq, &sresp).ok());

  pb::AttemptAwaitRequest areq;
  areq.set_attempt_token(sresp.attempt_token());
  areq.set_timeout_secs(10);
  pb::AttemptAwaitResponse aresp;
  auto c2 = RawClient::context();
  ASSERT_TRUE(raw_.stub().AttemptAwait(c2.get(), areq, &aresp).ok());
  ASSERT_TRUE(aresp.has_output());
  EXPECT_EQ(aresp.output().result().status(), GenericResult::GENERIC_STATUS_INTERNAL_FAILURE);

  pb::AttemptRetryRequest rreq;
  rreq.set_function_id(ip);
  *rreq.mutable_input() = input(payload);
  rreq.set_attempt_token(sresp.attempt_token());
  pb::AttemptRetryResponse rresp;
  auto c3 = RawClient::context();
  ASSERT_TRUE(raw_.stub().AttemptRetry(c3.get(), rreq, &rresp).ok());
  areq.set_attempt_token(rresp.attempt_token());
  auto c4 = RawClient::context();
  ASSERT_TRUE(raw_.stub().AttemptAwait(c4.get(), areq, &aresp).ok());
  ASSERT_TRUE(aresp.has_output());
  EXPECT_EQ(cbor_decode(aresp.output().result().data()), Value("output: hello"));
}

TEST_F(FunctionsTest, BlobsOverHttpWithContentMd5) {
  std::string const body(3'000'000, 'b');
  // The base64 MD5 of the body, as the emulator computes it: check a mismatch first.
  pb::BlobCreateRequest creq;
  creq.set_content_length(static_cast<std::int64_t>(body.size()));
  pb::BlobCreateResponse cresp;
  auto c1 = RawClient::context();
  ASSERT_TRUE(raw_.stub().BlobCreate(c1.get(), creq, &cresp).ok());
  ASSERT_THAT(cresp.upload_url(), ::testing::StartsWith("http://127.0.0.1:"));
  std::string const url = cresp.upload_url();
  auto const slash = url.find('/', 7);
  httplib::Client http(url.substr(0, slash));
  auto bad = http.Put(url.substr(slash), {{"Content-MD5", "AAAAAAAAAAAAAAAAAAAAAA=="}}, body,
                      "application/octet-stream");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  pb::BlobGetRequest greq;
  greq.set_blob_id(cresp.blob_id());
  pb::BlobGetResponse gresp;
  auto c2 = RawClient::context();
  EXPECT_EQ(raw_.stub().BlobGet(c2.get(), greq, &gresp).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);  // nothing stored

  auto good = http.Put(url.substr(slash), body, "application/octet-stream");
  ASSERT_TRUE(good);
  EXPECT_EQ(good->status, 200);
  auto c3 = RawClient::context();
  ASSERT_TRUE(raw_.stub().BlobGet(c3.get(), greq, &gresp).ok());
  auto const dslash = gresp.download_url().find('/', 7);
  auto got = http.Get(gresp.download_url().substr(dslash));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(got->body, body);

  // A large input by blob: bytelength sees all of it.
  auto bytes_payload = cbor_encode_call({Value::bytes(body)}, {});
  pb::BlobCreateRequest creq2;
  creq2.set_content_length(static_cast<std::int64_t>(bytes_payload.size()));
  auto c4 = RawClient::context();
  ASSERT_TRUE(raw_.stub().BlobCreate(c4.get(), creq2, &cresp).ok());
  auto up = http.Put(cresp.upload_url().substr(dslash), bytes_payload, "application/octet-stream");
  ASSERT_TRUE(up);
  ASSERT_EQ(up->status, 200);
  pb::FunctionPutInputsItem item;
  item.mutable_input()->set_args_blob_id(cresp.blob_id());
  item.mutable_input()->set_data_format(pb::DATA_FORMAT_CBOR);
  auto m = map(get("bytelength").function_id(), item);
  auto out = outputs(m.function_call_id(), 10, true);
  ASSERT_EQ(out.outputs_size(), 1);
  EXPECT_EQ(result_of(out.outputs(0)), Value(3'000'000));

  // A large output comes back by blob.
  auto big = call(get("identity_with_repr").function_id(),
                  cbor_encode_call({Value::bytes(std::string(1'500'000, 'z'))}, {}));
  ASSERT_EQ(big.result().status(), GenericResult::GENERIC_STATUS_SUCCESS);
  ASSERT_FALSE(big.result().data_blob_id().empty());
  greq.set_blob_id(big.result().data_blob_id());
  auto c5 = RawClient::context();
  ASSERT_TRUE(raw_.stub().BlobGet(c5.get(), greq, &gresp).ok());
  auto dl = http.Get(gresp.download_url().substr(dslash));
  ASSERT_TRUE(dl);
  Value const pair = cbor_decode(dl->body);
  EXPECT_EQ(pair.at(0).size(), 1'500'000u);
}

TEST_F(FunctionsTest, WebEndpointServesItsUrl) {
  std::string const url = get("web_endpoint_echo").handle_metadata().web_url();
  auto const slash = url.find('/', 7);
  httplib::Client http(url.substr(0, slash));
  auto res = http.Get(url.substr(slash) + "?s=hey");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "\"output: hey\"");
}

}  // namespace
}  // namespace modal::emulator

namespace modal::emulator {
namespace {

// Functions of the preload file: local programs in Sandboxes, CBOR on stdin and stdout.
TEST(UserFunctionsTest, PreloadedProgramsAnswerAndFail) {
  EmulatorOptions options;
  PreloadedEnvironment env{.name = "main"};
  env.secrets["greeting"] = {{"GREETING", "hello"}};
  // `cat` answers its input: the CBOR [args, kwargs] array itself.
  env.functions.push_back(PreloadedFunction{.app = "my-app", .name = "echo", .command = {"cat"}});
  // A CBOR text string of 5 bytes (0x65) from the Secret's variable.
  env.functions.push_back(PreloadedFunction{
      .app = "my-app",
      .name = "greet",
      .command = {"/bin/sh", "-c", R"(cat >/dev/null; printf '\145%s' "$GREETING")"},
      .secrets = {"greeting"}});
  env.functions.push_back(PreloadedFunction{
      .app = "my-app",
      .name = "fail",
      .command = {"/bin/sh", "-c", "cat >/dev/null; echo 'ValueError: boom' >&2; exit 3"}});
  env.functions.push_back(
      PreloadedFunction{.app = "my-app", .name = "hang", .command = {"/bin/sh", "-c", "sleep 30"}});
  options.environments.push_back(env);
  Emulator emu(options);
  RawClient raw(emu.address());
  auto get = [&](std::string const& name) {
    pb::FunctionGetRequest req;
    req.set_app_name("my-app");
    req.set_object_tag(name);
    pb::FunctionGetResponse resp;
    auto ctx = RawClient::context();
    EXPECT_TRUE(raw.stub().FunctionGet(ctx.get(), req, &resp).ok());
    return resp.function_id();
  };
  auto run = [&](std::string const& name, std::string payload, bool cancel = false) {
    pb::FunctionMapRequest req;
    req.set_function_id(get(name));
    req.set_function_call_type(pb::FUNCTION_CALL_TYPE_UNARY);
    auto* in = req.add_pipelined_inputs()->mutable_input();
    in->set_args(std::move(payload));
    in->set_data_format(pb::DATA_FORMAT_CBOR);
    pb::FunctionMapResponse m;
    auto c1 = RawClient::context();
    EXPECT_TRUE(raw.stub().FunctionMap(c1.get(), req, &m).ok());
    if (cancel) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      pb::FunctionCallCancelRequest creq;
      creq.set_function_call_id(m.function_call_id());
      google::protobuf::Empty empty;
      auto c3 = RawClient::context();
      EXPECT_TRUE(raw.stub().FunctionCallCancel(c3.get(), creq, &empty).ok());
    }
    pb::FunctionGetOutputsRequest oreq;
    oreq.set_function_call_id(m.function_call_id());
    oreq.set_timeout(20);
    oreq.set_last_entry_id("0-0");
    pb::FunctionGetOutputsResponse out;
    auto c2 = RawClient::context();
    c2->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    EXPECT_TRUE(raw.stub().FunctionGetOutputs(c2.get(), oreq, &out).ok());
    EXPECT_EQ(out.outputs_size(), 1);
    return out.outputs_size() == 1 ? out.outputs(0) : pb::FunctionGetOutputsItem{};
  };
  std::string const payload = cbor_encode_call({Value("x"), Value(2)}, {{"k", Value(true)}});
  auto echo = run("echo", payload);
  ASSERT_EQ(echo.result().status(), GenericResult::GENERIC_STATUS_SUCCESS)
      << echo.result().exception();
  EXPECT_EQ(echo.result().data(), payload);
  EXPECT_EQ(echo.data_format(), pb::DATA_FORMAT_CBOR);

  auto greet = run("greet", payload);
  ASSERT_EQ(greet.result().status(), GenericResult::GENERIC_STATUS_SUCCESS)
      << greet.result().exception();
  EXPECT_EQ(cbor_decode(greet.result().data()), Value("hello"));

  auto fail = run("fail", payload);
  EXPECT_EQ(fail.result().status(), GenericResult::GENERIC_STATUS_FAILURE);
  EXPECT_EQ(fail.result().exception(), "ValueError: boom");

  auto const t0 = std::chrono::steady_clock::now();
  auto hang = run("hang", payload, true);
  EXPECT_EQ(hang.result().status(), GenericResult::GENERIC_STATUS_TERMINATED);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
}

}  // namespace
}  // namespace modal::emulator
