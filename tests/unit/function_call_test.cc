// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Function calls end to end through a real Client against a small in-process fake of
// Modal's control plane (FunctionGet, FunctionMap, FunctionGetOutputs,
// FunctionRetryInputs, FunctionBindParams, BlobCreate/BlobGet) and a cpp-httplib blob
// store: the requests the SDK sends, InternalFailure retries, blobs, errors, timeouts.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <deque>
#include <mutex>
#include <thread>

#include "internal/blob.h"
#include "internal/cbor.h"
#include "modal/modal.h"
#include "modal_proto/api.grpc.pb.h"

namespace modal {
namespace {

namespace mc = modal::client;
using ::testing::HasSubstr;

/// The fake control plane. Outputs: each FunctionGetOutputs pops the next scripted
/// GenericResult; with none scripted it echoes the first positional argument.
class FakeModal final : public mc::ModalClient::Service {
 public:
  std::mutex mu;
  std::deque<mc::GenericResult> scripted;
  std::vector<mc::FunctionMapRequest> maps;
  std::vector<mc::FunctionGetOutputsRequest> gets;
  std::vector<mc::FunctionRetryInputsRequest> retries;
  std::vector<mc::BlobCreateRequest> blob_creates;
  std::vector<mc::FunctionBindParamsRequest> binds;
  std::map<std::string, std::string> blobs;
  std::map<std::string, mc::FunctionInput> inputs;  // by function call id
  bool hold_outputs = false;
  std::string blob_url;
  std::string self_url;
  int attempt_fails = 0;                   // AttemptAwait answers INTERNAL_FAILURE this many times
  std::vector<std::string> attempt_calls;  // "Start:<token>", "Await:<token>", "Retry:<token>"
  std::vector<std::string> regions, auth_tokens;

  void note(grpc::ServerContext* ctx) {
    auto const& md = ctx->client_metadata();
    auto r = md.find("x-modal-input-plane-region");
    regions.emplace_back(r == md.end() ? "" : std::string(r->second.data(), r->second.size()));
    auto a = md.find("x-modal-auth-token");
    auth_tokens.emplace_back(a == md.end() ? "" : std::string(a->second.data(), a->second.size()));
  }

  grpc::Status AttemptStart(grpc::ServerContext* ctx, mc::AttemptStartRequest const* req,
                            mc::AttemptStartResponse* resp) override {
    std::lock_guard lock(mu);
    note(ctx);
    inputs["ip"] = req->input().input();
    attempt_calls.push_back("Start:" + req->function_id());
    resp->set_attempt_token("at-0");
    return grpc::Status::OK;
  }

  grpc::Status AttemptRetry(grpc::ServerContext* ctx, mc::AttemptRetryRequest const* req,
                            mc::AttemptRetryResponse* resp) override {
    std::lock_guard lock(mu);
    note(ctx);
    attempt_calls.push_back("Retry:" + req->attempt_token());
    resp->set_attempt_token("at-" + std::to_string(attempt_calls.size()));
    return grpc::Status::OK;
  }

  grpc::Status AttemptAwait(grpc::ServerContext* ctx, mc::AttemptAwaitRequest const* req,
                            mc::AttemptAwaitResponse* resp) override {
    std::lock_guard lock(mu);
    note(ctx);
    attempt_calls.push_back("Await:" + req->attempt_token());
    auto* item = resp->mutable_output();
    item->set_data_format(mc::DATA_FORMAT_CBOR);
    if (attempt_fails > 0) {
      --attempt_fails;
      item->mutable_result()->set_status(mc::GenericResult::GENERIC_STATUS_INTERNAL_FAILURE);
      return grpc::Status::OK;
    }
    auto const call = internal::cbor_decode(inputs.at("ip").args());
    item->mutable_result()->set_status(mc::GenericResult::GENERIC_STATUS_SUCCESS);
    item->mutable_result()->set_data(internal::cbor_encode(call.at(0).at(0)));
    return grpc::Status::OK;
  }

  grpc::Status AuthTokenGet(grpc::ServerContext*, mc::AuthTokenGetRequest const*,
                            mc::AuthTokenGetResponse* resp) override {
    // {"exp": 4102444800} (2100-01-01)
    resp->set_token("eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjQxMDI0NDQ4MDB9.c2ln");
    return grpc::Status::OK;
  }

  grpc::Status FunctionGet(grpc::ServerContext*, mc::FunctionGetRequest const* req,
                           mc::FunctionGetResponse* resp) override {
    auto* md = resp->mutable_handle_metadata();
    if (req->object_tag() == "ip") {
      md->add_supported_input_formats(mc::DATA_FORMAT_CBOR);
      md->set_input_plane_url(self_url);
      md->set_input_plane_region("us-west");
    } else if (req->object_tag() == "echo" || req->object_tag() == "web" ||
               req->object_tag() == "EchoCls.*") {
      md->add_supported_input_formats(mc::DATA_FORMAT_PICKLE);
      md->add_supported_input_formats(mc::DATA_FORMAT_CBOR);
    } else if (req->object_tag() != "nocbor") {
      return {grpc::StatusCode::NOT_FOUND, "no such object"};
    }
    resp->set_function_id("fu-" + req->object_tag());
    if (req->object_tag() == "web") md->set_web_url("https://web.example/x");
    if (req->object_tag() == "EchoCls.*") {
      auto* info = md->mutable_class_parameter_info();
      info->set_format(mc::ClassParameterInfo::PARAM_SERIALIZATION_FORMAT_PROTO);
      auto* spec = info->add_schema();
      spec->set_name("name");
      spec->set_type(mc::PARAM_TYPE_STRING);
      spec->set_has_default(true);
      spec->set_string_default("default");
      auto& m = (*md->mutable_method_handle_metadata())["echo_string"];
      m.set_use_method_name("echo_string");
      m.add_supported_input_formats(mc::DATA_FORMAT_CBOR);
    }
    return grpc::Status::OK;
  }

  grpc::Status FunctionBindParams(grpc::ServerContext*, mc::FunctionBindParamsRequest const* req,
                                  mc::FunctionBindParamsResponse* resp) override {
    std::lock_guard lock(mu);
    binds.push_back(*req);
    resp->set_bound_function_id("fu-bound");
    auto& m = (*resp->mutable_handle_metadata()->mutable_method_handle_metadata())["echo_string"];
    m.set_use_method_name("echo_string");
    m.add_supported_input_formats(mc::DATA_FORMAT_CBOR);
    return grpc::Status::OK;
  }

  grpc::Status FunctionMap(grpc::ServerContext*, mc::FunctionMapRequest const* req,
                           mc::FunctionMapResponse* resp) override {
    std::lock_guard lock(mu);
    maps.push_back(*req);
    resp->set_function_call_id("fc-" + std::to_string(maps.size()));
    inputs[resp->function_call_id()] = req->pipelined_inputs(0).input();
    resp->set_function_call_jwt("fcjwt");
    resp->add_pipelined_inputs()->set_input_jwt("injwt-0");
    return grpc::Status::OK;
  }

  grpc::Status FunctionRetryInputs(grpc::ServerContext*, mc::FunctionRetryInputsRequest const* req,
                                   mc::FunctionRetryInputsResponse* resp) override {
    std::lock_guard lock(mu);
    retries.push_back(*req);
    resp->add_input_jwts("injwt-" + std::to_string(retries.size()));
    return grpc::Status::OK;
  }

  grpc::Status FunctionGetOutputs(grpc::ServerContext*, mc::FunctionGetOutputsRequest const* req,
                                  mc::FunctionGetOutputsResponse* resp) override {
    std::lock_guard lock(mu);
    gets.push_back(*req);
    if (hold_outputs) return grpc::Status::OK;
    auto* item = resp->add_outputs();
    item->set_data_format(mc::DATA_FORMAT_CBOR);
    if (!scripted.empty()) {
      *item->mutable_result() = scripted.front();
      scripted.pop_front();
      return grpc::Status::OK;
    }
    auto const& input = inputs.at(req->function_call_id());
    std::string const args =
        input.has_args_blob_id() ? blobs.at(input.args_blob_id()) : input.args();
    auto const call = internal::cbor_decode(args);
    auto* result = item->mutable_result();
    result->set_status(mc::GenericResult::GENERIC_STATUS_SUCCESS);
    std::string const out = internal::cbor_encode(call.at(0).at(0));
    if (out.size() > std::size_t{1024} * 1024) {
      blobs["bl-out"] = out;
      result->set_data_blob_id("bl-out");
    } else {
      result->set_data(out);
    }
    return grpc::Status::OK;
  }

  grpc::Status BlobCreate(grpc::ServerContext*, mc::BlobCreateRequest const* req,
                          mc::BlobCreateResponse* resp) override {
    std::lock_guard lock(mu);
    blob_creates.push_back(*req);
    std::string const id = "bl-" + std::to_string(blob_creates.size());
    resp->set_blob_id(id);
    resp->set_upload_url(blob_url + "/" + id);
    return grpc::Status::OK;
  }

  grpc::Status BlobGet(grpc::ServerContext*, mc::BlobGetRequest const* req,
                       mc::BlobGetResponse* resp) override {
    resp->set_download_url(blob_url + "/" + req->blob_id());
    return grpc::Status::OK;
  }
};

class FunctionCallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    http_.Put(R"(/(bl-\d+))", [this](httplib::Request const& req, httplib::Response& res) {
      if (req.get_header_value("Content-MD5") != internal::base64_md5(req.body)) {
        res.status = 400;
        return;
      }
      std::lock_guard lock(fake_.mu);
      fake_.blobs[req.matches[1]] = req.body;
    });
    http_.Get(R"(/(bl-[a-z0-9]+))", [this](httplib::Request const& req, httplib::Response& res) {
      std::lock_guard lock(fake_.mu);
      res.set_content(fake_.blobs.at(req.matches[1]), "application/octet-stream");
    });
    int const http_port = http_.bind_to_any_port("127.0.0.1");
    http_thread_ = std::thread([this] { http_.listen_after_bind(); });
    while (!http_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    fake_.blob_url = "http://127.0.0.1:" + std::to_string(http_port);

    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&fake_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(port, 0);
    fake_.self_url = "http://127.0.0.1:" + std::to_string(port);
    client_.emplace(ClientOptions{.token_id = "ak-test",
                                  .token_secret = "as-test",
                                  .server_url = "http://127.0.0.1:" + std::to_string(port),
                                  .config_path = "/dev/null"});
  }
  void TearDown() override {
    client_->close();
    server_->Shutdown();
    http_.stop();
    http_thread_.join();
  }

  Function echo() { return client_->functions().from_name("app", "echo"); }

  static mc::GenericResult failure(mc::GenericResult::GenericStatus status, std::string text) {
    mc::GenericResult r;
    r.set_status(status);
    r.set_exception(std::move(text));
    return r;
  }

  FakeModal fake_;
  httplib::Server http_;
  std::thread http_thread_;
  std::unique_ptr<grpc::Server> server_;
  std::optional<Client> client_;
};

TEST_F(FunctionCallTest, RemoteSendsCborAndReturnsTheResult) {
  EXPECT_EQ(echo().remote({"hello"}).as_string(), "hello");
  std::lock_guard lock(fake_.mu);
  ASSERT_EQ(fake_.maps.size(), 1u);
  auto const& map = fake_.maps[0];
  EXPECT_EQ(map.function_id(), "fu-echo");
  EXPECT_EQ(map.function_call_type(), mc::FUNCTION_CALL_TYPE_UNARY);
  EXPECT_EQ(map.function_call_invocation_type(), mc::FUNCTION_CALL_INVOCATION_TYPE_SYNC);
  auto const& input = map.pipelined_inputs(0).input();
  EXPECT_EQ(input.data_format(), mc::DATA_FORMAT_CBOR);
  EXPECT_TRUE(input.has_method_name());
  EXPECT_EQ(input.args(), internal::cbor_encode_call({"hello"}, {}));
  ASSERT_EQ(fake_.gets.size(), 1u);
  EXPECT_TRUE(fake_.gets[0].clear_on_success());
  EXPECT_EQ(fake_.gets[0].last_entry_id(), "0-0");
  EXPECT_EQ(fake_.gets[0].max_values(), 1);
  EXPECT_FLOAT_EQ(fake_.gets[0].timeout(), 55.0f);
  EXPECT_THAT(fake_.gets[0].input_jwts(), ::testing::ElementsAre("injwt-0"));
}

TEST_F(FunctionCallTest, KwargsTravelInTheSecondElement) {
  EXPECT_EQ(echo().remote({"a"}, {{"k", 1}}).as_string(), "a");
  std::lock_guard lock(fake_.mu);
  auto const call = internal::cbor_decode(fake_.maps[0].pipelined_inputs(0).input().args());
  EXPECT_EQ(call.at(1)["k"].as_int(), 1);
}

TEST_F(FunctionCallTest, InternalFailuresAreRetried) {
  {
    std::lock_guard lock(fake_.mu);
    fake_.scripted.push_back(failure(mc::GenericResult::GENERIC_STATUS_INTERNAL_FAILURE, "x"));
    fake_.scripted.push_back(failure(mc::GenericResult::GENERIC_STATUS_INTERNAL_FAILURE, "y"));
  }
  EXPECT_EQ(echo().remote({"ok"}).as_string(), "ok");
  std::lock_guard lock(fake_.mu);
  ASSERT_EQ(fake_.retries.size(), 2u);
  EXPECT_EQ(fake_.retries[0].function_call_jwt(), "fcjwt");
  EXPECT_EQ(fake_.retries[0].inputs(0).input_jwt(), "injwt-0");
  EXPECT_EQ(fake_.retries[0].inputs(0).retry_count(), 0u);
  EXPECT_EQ(fake_.retries[1].inputs(0).input_jwt(), "injwt-1");
  EXPECT_EQ(fake_.retries[1].inputs(0).retry_count(), 1u);
  EXPECT_THAT(fake_.gets.back().input_jwts(), ::testing::ElementsAre("injwt-2"));
}

TEST_F(FunctionCallTest, PersistentInternalFailureGivesUpAfterNineRetries) {
  {
    std::lock_guard lock(fake_.mu);
    for (int i = 0; i < 20; ++i) {
      fake_.scripted.push_back(failure(mc::GenericResult::GENERIC_STATUS_INTERNAL_FAILURE, "gone"));
    }
  }
  EXPECT_THROW(echo().remote({"x"}), InternalFailure);
  std::lock_guard lock(fake_.mu);
  EXPECT_EQ(fake_.retries.size(), 9u);
}

TEST_F(FunctionCallTest, RemoteExceptionsCarryTheirText) {
  {
    std::lock_guard lock(fake_.mu);
    fake_.scripted.push_back(
        failure(mc::GenericResult::GENERIC_STATUS_FAILURE, "ValueError: bad input"));
    fake_.scripted.push_back(failure(mc::GenericResult::GENERIC_STATUS_TIMEOUT, "too slow"));
  }
  try {
    echo().remote({"x"});
    ADD_FAILURE() << "no RemoteError";
  } catch (RemoteError const& e) {
    EXPECT_THAT(e.what(), HasSubstr("ValueError: bad input"));
  }
  EXPECT_THROW(echo().remote({"x"}), FunctionTimeoutError);
}

TEST_F(FunctionCallTest, LookupErrors) {
  try {
    client_->functions().from_name("app", "missing");
    ADD_FAILURE() << "no NotFoundError";
  } catch (NotFoundError const& e) {
    EXPECT_THAT(e.what(), HasSubstr("Function 'app/missing' not found"));
  }
  try {
    client_->functions().from_name("app", "EchoCls.echo_string");
    ADD_FAILURE() << "no InvalidError";
  } catch (InvalidError const& e) {
    EXPECT_THAT(e.what(), HasSubstr("cls().from_name(\"app\", \"EchoCls\")"));
    EXPECT_THAT(e.what(), HasSubstr("method(\"echo_string\")"));
  }
  auto const nocbor = client_->functions().from_name("app", "nocbor");
  try {
    nocbor.remote({"x"});
    ADD_FAILURE() << "no InvalidError";
  } catch (InvalidError const& e) {
    EXPECT_THAT(e.what(), HasSubstr("Redeploy with Modal Python SDK >= 1.2"));
  }
  auto const web = client_->functions().from_name("app", "web");
  EXPECT_EQ(web.web_url(), "https://web.example/x");
  EXPECT_EQ(echo().web_url(), "");
  EXPECT_THROW(web.remote(), InvalidError);
  EXPECT_THROW(web.spawn(), InvalidError);
  std::lock_guard lock(fake_.mu);
  EXPECT_TRUE(fake_.maps.empty());
}

TEST_F(FunctionCallTest, LargeInputsAndOutputsGoThroughBlobs) {
  std::string big(std::size_t{3} * 1024 * 1024, 'z');
  EXPECT_EQ(echo().remote({big}).as_string(), big);
  std::lock_guard lock(fake_.mu);
  ASSERT_EQ(fake_.blob_creates.size(), 1u);
  auto const payload = internal::cbor_encode_call({big}, {});
  EXPECT_EQ(fake_.blob_creates[0].content_md5(), internal::base64_md5(payload));
  EXPECT_EQ(fake_.blob_creates[0].content_sha256_base64(), internal::base64_sha256(payload));
  EXPECT_EQ(fake_.blob_creates[0].content_length(), static_cast<std::int64_t>(payload.size()));
  auto const& input = fake_.maps[0].pipelined_inputs(0).input();
  EXPECT_EQ(input.args_blob_id(), "bl-1");
  EXPECT_EQ(fake_.blobs.at("bl-1"), payload);
}

TEST_F(FunctionCallTest, SpawnUsesTheAsyncThreshold) {
  auto const call = echo().spawn({std::string(9000, 'a')});
  EXPECT_EQ(call.id(), "fc-1");
  EXPECT_EQ(call.function_id(), "fu-echo");
  {
    std::lock_guard lock(fake_.mu);
    EXPECT_EQ(fake_.maps[0].function_call_invocation_type(),
              mc::FUNCTION_CALL_INVOCATION_TYPE_ASYNC);
    EXPECT_TRUE(fake_.maps[0].pipelined_inputs(0).input().has_args_blob_id());
  }
  EXPECT_EQ(call.get().as_string(), std::string(9000, 'a'));
  std::lock_guard lock(fake_.mu);
  EXPECT_FALSE(fake_.gets.back().clear_on_success());
  EXPECT_EQ(fake_.gets.back().input_jwts_size(), 0);
  EXPECT_EQ(fake_.gets.back().function_call_id(), "fc-1");
}

TEST_F(FunctionCallTest, GetWithTimeouts) {
  auto const call = echo().spawn({"x"});
  {
    std::lock_guard lock(fake_.mu);
    fake_.hold_outputs = true;
  }
  try {
    call.get({.timeout = std::chrono::milliseconds(0)});
    ADD_FAILURE() << "no FunctionTimeoutError";
  } catch (FunctionTimeoutError const& e) {
    EXPECT_THAT(e.what(), HasSubstr("Timeout exceeded: 0.0s"));
  }
  {
    std::lock_guard lock(fake_.mu);
    ASSERT_EQ(fake_.gets.size(), 1u);
    EXPECT_FLOAT_EQ(fake_.gets[0].timeout(), 0.0f);
  }
  EXPECT_THROW(call.get({.timeout = std::chrono::milliseconds(-1)}), InvalidError);
  {
    std::lock_guard lock(fake_.mu);
    fake_.hold_outputs = false;
  }
  EXPECT_EQ(call.get({.timeout = std::chrono::milliseconds(0)}).as_string(), "x");
}

TEST_F(FunctionCallTest, ClsInstanceBindsSortedParametersAndOptions) {
  auto const cls = client_->cls().from_name("app", "EchoCls");
  EXPECT_THROW(cls.instance({{"nmae", "x"}}), InvalidError);
  EXPECT_THROW(cls.instance({{"name", 5}}), InvalidError);
  auto const instance = cls.with_options({.timeout = std::chrono::seconds(30)})
                            .with_concurrency({.max_inputs = 2})
                            .instance({{"name", "bob"}});
  auto const m = instance.method("echo_string");
  EXPECT_EQ(m.function_id(), "fu-bound");
  EXPECT_EQ(m.remote({"hi"}).as_string(), "hi");
  EXPECT_THROW(instance.method("nope"), NotFoundError);
  std::lock_guard lock(fake_.mu);
  ASSERT_EQ(fake_.binds.size(), 1u);
  EXPECT_EQ(fake_.binds[0].function_id(), "fu-EchoCls.*");
  mc::ClassParameterSet set;
  ASSERT_TRUE(set.ParseFromString(fake_.binds[0].serialized_params()));
  ASSERT_EQ(set.parameters_size(), 1);
  EXPECT_EQ(set.parameters(0).string_value(), "bob");
  EXPECT_EQ(fake_.binds[0].function_options().timeout_secs(), 30u);
  EXPECT_EQ(fake_.binds[0].function_options().max_concurrent_inputs(), 2u);
  EXPECT_EQ(fake_.maps.back().pipelined_inputs(0).input().method_name(), "echo_string");
  EXPECT_EQ(fake_.maps.back().function_id(), "fu-bound");
}

TEST_F(FunctionCallTest, InputPlaneCallsWithRetries) {
  {
    std::lock_guard lock(fake_.mu);
    fake_.attempt_fails = 1;
  }
  auto const fn = client_->functions().from_name("app", "ip");
  EXPECT_EQ(fn.remote({"via the input plane"}).as_string(), "via the input plane");
  std::lock_guard lock(fake_.mu);
  EXPECT_TRUE(fake_.maps.empty());
  EXPECT_THAT(fake_.attempt_calls,
              ::testing::ElementsAre("Start:fu-ip", "Await:at-0", "Retry:at-0", "Await:at-3"));
  for (auto const& r : fake_.regions) EXPECT_EQ(r, "us-west");
  for (auto const& a : fake_.auth_tokens) EXPECT_FALSE(a.empty());
}

TEST_F(FunctionCallTest, ManyThreadsOnOneHandle) {
  auto const fn = echo();
  std::vector<std::thread> threads;
  threads.reserve(8);
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        auto const s = std::to_string(t) + "-" + std::to_string(i);
        if (fn.spawn({s}).get().as_string() == s) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 80);
}

}  // namespace
}  // namespace modal
