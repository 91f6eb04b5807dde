// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Functions and Cls without a server: option validation and the FunctionOptions proto,
// Retries ranges, ClassParameterSet building, result statuses, blob HTTP transfers
// against a local cpp-httplib server.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <thread>

#include "fakes.h"
#include "internal/blob.h"
#include "internal/cbor.h"
#include "internal/function_invocation.h"
#include "internal/function_state.h"
#include "modal/errors.h"

namespace modal::internal {
namespace {

namespace mc = modal::client;
using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::FakeTarget;
using ::testing::HasSubstr;

template <typename E, typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (E const& e) {
    return e.what();
  }
  ADD_FAILURE() << "no exception of the expected type";
  return {};
}

// ---- Retries -------------------------------------------------------------------------

TEST(Retries, DefaultsAreValid) { EXPECT_NO_THROW(validate_retries(Retries{})); }

TEST(Retries, RangesAreModals) {
  EXPECT_NO_THROW(validate_retries({.max_retries = 10}));
  EXPECT_NO_THROW(validate_retries({.max_retries = 0,
                                    .backoff_coefficient = 10.0,
                                    .initial_delay = milliseconds(0),
                                    .max_delay = seconds(1)}));
  EXPECT_NO_THROW(validate_retries({.initial_delay = seconds(60), .max_delay = seconds(60)}));
  EXPECT_THAT(error_of<InvalidError>([] { validate_retries({.max_retries = 11}); }),
              HasSubstr("max_retries: 11. Must be between 0 and 10"));
  EXPECT_THROW(validate_retries({.max_retries = -1}), InvalidError);
  EXPECT_THAT(error_of<InvalidError>([] { validate_retries({.backoff_coefficient = 0.5}); }),
              HasSubstr("backoff_coefficient: 0.5. Must be between 1.0 and 10.0"));
  EXPECT_THROW(validate_retries({.backoff_coefficient = 10.5}), InvalidError);
  EXPECT_THROW(validate_retries({.initial_delay = milliseconds(-1)}), InvalidError);
  EXPECT_THROW(validate_retries({.initial_delay = milliseconds(60001)}), InvalidError);
  EXPECT_THAT(error_of<InvalidError>([] { validate_retries({.max_delay = milliseconds(999)}); }),
              HasSubstr("max_delay: 999 ms. Must be between 1 s and 60 s"));
  EXPECT_THROW(validate_retries({.max_delay = seconds(61)}), InvalidError);
}

// ---- FunctionOptions -------------------------------------------------------------------

TEST(FunctionOptions, ProtoCarriesEveryOption) {
  FunctionOptions o = options_of(FunctionWithOptionsParams{
      .cpu = 1.5,
      .cpu_limit = 2.0,
      .memory_mib = 512,
      .memory_limit_mib = 1024,
      .gpu = "a100:2",
      .retries = Retries{.max_retries = 3,
                         .backoff_coefficient = 1.5,
                         .initial_delay = milliseconds(500),
                         .max_delay = seconds(10)},
      .max_containers = 5,
      .buffer_containers = 1,
      .scaledown_window = seconds(300),
      .timeout = seconds(60),
      .routing_region = "us-east",
  });
  o = merge_options(o,
                    options_of(FunctionWithConcurrencyParams{.max_inputs = 8, .target_inputs = 4}));
  o = merge_options(
      o, options_of(FunctionWithBatchingParams{.max_batch_size = 16, .wait = milliseconds(250)}));
  auto p = build_function_options_proto(o, {"st-1", "st-2"});
  EXPECT_EQ(p.resources().milli_cpu(), 1500u);
  EXPECT_EQ(p.resources().milli_cpu_max(), 2000u);
  EXPECT_EQ(p.resources().memory_mb(), 512u);
  EXPECT_EQ(p.resources().memory_mb_max(), 1024u);
  EXPECT_EQ(p.resources().gpu_config().gpu_type(), "A100");
  EXPECT_EQ(p.resources().gpu_config().count(), 2u);
  EXPECT_THAT(p.secret_ids(), ::testing::ElementsAre("st-1", "st-2"));
  EXPECT_TRUE(p.replace_secret_ids());
  EXPECT_EQ(p.retry_policy().retries(), 3u);
  EXPECT_FLOAT_EQ(p.retry_policy().backoff_coefficient(), 1.5f);
  EXPECT_EQ(p.retry_policy().initial_delay_ms(), 500u);
  EXPECT_EQ(p.retry_policy().max_delay_ms(), 10000u);
  EXPECT_EQ(p.concurrency_limit(), 5u);
  EXPECT_EQ(p.buffer_containers(), 1u);
  EXPECT_EQ(p.task_idle_timeout_secs(), 300u);
  EXPECT_EQ(p.timeout_secs(), 60u);
  EXPECT_EQ(p.max_concurrent_inputs(), 8u);
  EXPECT_EQ(p.target_concurrent_inputs(), 4u);
  EXPECT_EQ(p.batch_max_size(), 16u);
  EXPECT_EQ(p.batch_linger_ms(), 250u);
  EXPECT_EQ(p.routing_region(), "us-east");
}

TEST(FunctionOptions, UnsetOptionsAreAbsent) {
  auto p = build_function_options_proto(
      options_of(FunctionWithOptionsParams{.timeout = seconds(5)}), {});
  EXPECT_FALSE(p.has_resources());
  EXPECT_FALSE(p.has_retry_policy());
  EXPECT_FALSE(p.has_concurrency_limit());
  EXPECT_FALSE(p.replace_secret_ids());
  EXPECT_FALSE(p.replace_volume_mounts());
  EXPECT_EQ(p.timeout_secs(), 5u);
}

TEST(FunctionOptions, LaterOptionsWinFieldByField) {
  auto a = options_of(FunctionWithOptionsParams{.cpu = 1.0, .memory_mib = 256});
  auto b = options_of(FunctionWithOptionsParams{.cpu = 2.0});
  auto m = merge_options(a, b);
  EXPECT_EQ(*m.cpu, 2.0);
  EXPECT_EQ(*m.memory_mib, 256);
  EXPECT_FALSE(FunctionOptions{}.any());
  EXPECT_TRUE(m.any());
}

TEST(FunctionOptions, InvalidOptionsAreRefused) {
  auto bad = [](FunctionWithOptionsParams p) {
    return error_of<InvalidError>([&] { validate_options(options_of(p)); });
  };
  EXPECT_THAT(bad({.cpu_limit = 2.0}), HasSubstr("cpu_limit needs a cpu request"));
  EXPECT_THAT(bad({.cpu = 0.0}), HasSubstr("must be a positive number"));
  EXPECT_THAT(bad({.cpu = 2.0, .cpu_limit = 1.0}), HasSubstr("cannot be higher than cpu_limit"));
  EXPECT_THAT(bad({.memory_limit_mib = 10}), HasSubstr("memory_limit_mib needs a memory request"));
  EXPECT_THAT(bad({.memory_mib = -1}), HasSubstr("must be a positive number"));
  EXPECT_THAT(bad({.memory_mib = 20, .memory_limit_mib = 10}), HasSubstr("cannot be higher"));
  EXPECT_THAT(bad({.gpu = ":2"}), HasSubstr("GPU"));
  EXPECT_THAT(bad({.env = {{"1BAD", "x"}}}), HasSubstr("invalid environment variable name '1BAD'"));
  EXPECT_THAT(bad({.retries = Retries{.max_retries = 20}}), HasSubstr("max_retries"));
  EXPECT_THAT(bad({.max_containers = -1}), HasSubstr("max_containers must be at least 0"));
  EXPECT_THAT(bad({.scaledown_window = milliseconds(500)}), HasSubstr("at least 1 second"));
  EXPECT_THAT(bad({.scaledown_window = milliseconds(1500)}), HasSubstr("whole number of seconds"));
  EXPECT_THAT(bad({.timeout = milliseconds(2500)}), HasSubstr("timeout must be a whole number"));
  EXPECT_THAT(error_of<InvalidError>([] {
                validate_options(options_of(FunctionWithConcurrencyParams{.max_inputs = 0}));
              }),
              HasSubstr("max_inputs must be at least 1"));
  EXPECT_THAT(error_of<InvalidError>([] {
                validate_options(
                    options_of(FunctionWithConcurrencyParams{.max_inputs = 2, .target_inputs = 3}));
              }),
              HasSubstr("cannot be higher than max_inputs"));
  EXPECT_THAT(error_of<InvalidError>([] {
                validate_options(options_of(FunctionWithBatchingParams{.max_batch_size = 0}));
              }),
              HasSubstr("max_batch_size must be at least 1"));
}

// ---- ClassParameterSet -----------------------------------------------------------------

google::protobuf::RepeatedPtrField<mc::ClassParameterSpec> schema() {
  google::protobuf::RepeatedPtrField<mc::ClassParameterSpec> s;
  auto* name = s.Add();
  name->set_name("name");
  name->set_type(mc::PARAM_TYPE_STRING);
  auto* count = s.Add();
  count->set_name("count");
  count->set_type(mc::PARAM_TYPE_INT);
  count->set_has_default(true);
  count->set_int_default(7);
  auto* blob = s.Add();
  blob->set_name("blob");
  blob->set_type(mc::PARAM_TYPE_BYTES);
  blob->set_has_default(true);
  blob->set_bytes_default(std::string("\x00\x01", 2));
  auto* flag = s.Add();
  flag->set_name("flag");
  flag->set_type(mc::PARAM_TYPE_BOOL);
  flag->set_has_default(true);
  flag->set_bool_default(true);
  return s;
}

mc::ClassParameterSet decode_set(std::string const& bytes) {
  mc::ClassParameterSet set;
  EXPECT_TRUE(set.ParseFromString(bytes));
  return set;
}

TEST(ClassParameters, SortedByNameWithDefaults) {
  auto set = decode_set(encode_parameter_set(schema(), {{"name", "x"}}));
  ASSERT_EQ(set.parameters_size(), 4);
  EXPECT_EQ(set.parameters(0).name(), "blob");
  EXPECT_EQ(set.parameters(0).type(), mc::PARAM_TYPE_BYTES);
  EXPECT_EQ(set.parameters(0).bytes_value(), std::string("\x00\x01", 2));
  EXPECT_EQ(set.parameters(1).name(), "count");
  EXPECT_EQ(set.parameters(1).int_value(), 7);
  EXPECT_EQ(set.parameters(2).name(), "flag");
  EXPECT_TRUE(set.parameters(2).bool_value());
  EXPECT_EQ(set.parameters(3).name(), "name");
  EXPECT_EQ(set.parameters(3).type(), mc::PARAM_TYPE_STRING);
  EXPECT_EQ(set.parameters(3).string_value(), "x");
}

TEST(ClassParameters, GivenValuesOverrideDefaults) {
  auto set = decode_set(encode_parameter_set(
      schema(), {{"name", "y"}, {"count", -3}, {"flag", false}, {"blob", Value::bytes("zz")}}));
  EXPECT_EQ(set.parameters(0).bytes_value(), "zz");
  EXPECT_EQ(set.parameters(1).int_value(), -3);
  EXPECT_TRUE(set.parameters(2).has_bool_value());
  EXPECT_FALSE(set.parameters(2).bool_value());
  EXPECT_EQ(set.parameters(3).string_value(), "y");
}

TEST(ClassParameters, EmptySchemaEmptySet) { EXPECT_EQ(encode_parameter_set({}, {}), ""); }

TEST(ClassParameters, ErrorsAreInvalidError) {
  EXPECT_THAT(error_of<InvalidError>([] { encode_parameter_set(schema(), {}); }),
              HasSubstr("missing class parameter 'name' (str, no default)"));
  EXPECT_THAT(error_of<InvalidError>([] {
                encode_parameter_set(schema(), {{"name", 1}});
              }),
              HasSubstr("'name' must be a str, got int"));
  EXPECT_THAT(error_of<InvalidError>([] {
                encode_parameter_set(schema(), {{"name", "a"}, {"count", "1"}});
              }),
              HasSubstr("'count' must be a int, got str"));
  EXPECT_THAT(error_of<InvalidError>([] {
                encode_parameter_set(schema(), {{"name", "a"}, {"flag", 1}});
              }),
              HasSubstr("'flag' must be a bool"));
  EXPECT_THAT(error_of<InvalidError>([] {
                encode_parameter_set(schema(), {{"name", "a"}, {"blob", "s"}});
              }),
              HasSubstr("'blob' must be a bytes, got str"));
  EXPECT_THAT(error_of<InvalidError>([] {
                encode_parameter_set(schema(), {{"name", "a"}, {"nme", "b"}});
              }),
              HasSubstr("unknown class parameter 'nme'"));
  EXPECT_THAT(error_of<InvalidError>([] {
                encode_parameter_set({}, {{"x", 1}});
              }),
              HasSubstr("the class takes none"));
  EXPECT_THROW(encode_parameter_set(
                   schema(), {{"name", "a"}, {"count", Value::big_int("99999999999999999999999")}}),
               InvalidError);
  google::protobuf::RepeatedPtrField<mc::ClassParameterSpec> pickled;
  auto* p = pickled.Add();
  p->set_name("p");
  p->set_type(mc::PARAM_TYPE_PICKLE);
  EXPECT_THAT(error_of<InvalidError>([&] {
                encode_parameter_set(pickled, {{"p", 1}});
              }),
              HasSubstr("cannot send"));
}

// ---- Results ---------------------------------------------------------------------------

mc::GenericResult result(mc::GenericResult::GenericStatus status, std::string exception = {}) {
  mc::GenericResult r;
  r.set_status(status);
  r.set_exception(std::move(exception));
  return r;
}

BlobFetcher no_fetch() {
  return [](std::string const& id) -> std::string {
    ADD_FAILURE() << "unexpected fetch of " << id;
    return {};
  };
}

TEST(Results, SuccessDecodesCbor) {
  auto r = result(mc::GenericResult::GENERIC_STATUS_SUCCESS);
  r.set_data(cbor_encode(Value::list({1, "two", Value::bytes("3")})));
  auto v = result_value(r, mc::DATA_FORMAT_CBOR, no_fetch());
  ASSERT_TRUE(v.is_list());
  EXPECT_EQ(v.at(0).as_int(), 1);
  EXPECT_EQ(v.at(1).as_string(), "two");
  EXPECT_EQ(v.at(2).as_bytes(), "3");
}

TEST(Results, SuccessFromABlob) {
  auto r = result(mc::GenericResult::GENERIC_STATUS_SUCCESS);
  r.set_data_blob_id("bl-1");
  std::string asked;
  auto v = result_value(r, mc::DATA_FORMAT_CBOR, [&](std::string const& id) {
    asked = id;
    return cbor_encode(Value("big"));
  });
  EXPECT_EQ(asked, "bl-1");
  EXPECT_EQ(v.as_string(), "big");
}

TEST(Results, StatusesMapToErrors) {
  EXPECT_THAT(error_of<FunctionTimeoutError>([] {
                result_value(result(mc::GenericResult::GENERIC_STATUS_TIMEOUT, "took too long"),
                             mc::DATA_FORMAT_CBOR, no_fetch());
              }),
              HasSubstr("took too long"));
  EXPECT_THAT(error_of<InternalFailure>([] {
                result_value(result(mc::GenericResult::GENERIC_STATUS_INTERNAL_FAILURE, "lost"),
                             mc::DATA_FORMAT_CBOR, no_fetch());
              }),
              HasSubstr("lost"));
  for (auto s :
       {mc::GenericResult::GENERIC_STATUS_FAILURE, mc::GenericResult::GENERIC_STATUS_TERMINATED,
        mc::GenericResult::GENERIC_STATUS_INIT_FAILURE}) {
    EXPECT_THAT(error_of<RemoteError>([&] {
                  result_value(result(s, "ValueError('boom')"), mc::DATA_FORMAT_CBOR, no_fetch());
                }),
                HasSubstr("ValueError('boom')"));
  }
  // A failure is not decoded, even with a blob: its data is Python's pickled exception.
  auto failed = result(mc::GenericResult::GENERIC_STATUS_FAILURE, "E");
  failed.set_data_blob_id("bl-x");
  EXPECT_THROW(result_value(failed, mc::DATA_FORMAT_CBOR, no_fetch()), RemoteError);
  EXPECT_THAT(error_of<RemoteError>([] {
                result_value(result(mc::GenericResult::GENERIC_STATUS_UNSPECIFIED),
                             mc::DATA_FORMAT_CBOR, no_fetch());
              }),
              HasSubstr("GENERIC_STATUS_UNSPECIFIED"));
}

TEST(Results, OnlyCborIsDecoded) {
  auto r = result(mc::GenericResult::GENERIC_STATUS_SUCCESS);
  r.set_data("\x80\x02K\x01.");
  EXPECT_THAT(error_of<InvalidError>([&] { result_value(r, mc::DATA_FORMAT_PICKLE, no_fetch()); }),
              HasSubstr("PICKLE output format is not supported"));
  EXPECT_THROW(result_value(r, mc::DATA_FORMAT_ASGI, no_fetch()), InvalidError);
  r.set_data("\xff\xff");  // not CBOR
  EXPECT_THROW(result_value(r, mc::DATA_FORMAT_CBOR, no_fetch()), InvalidError);
}

TEST(Inputs, UploadThresholds) {
  auto const sync = mc::FUNCTION_CALL_INVOCATION_TYPE_SYNC;
  auto const async = mc::FUNCTION_CALL_INVOCATION_TYPE_ASYNC;
  EXPECT_FALSE(
      should_upload(kMaxObjectSizeBytes, kMaxObjectSizeBytes, kMaxAsyncObjectSizeBytes, sync));
  EXPECT_TRUE(
      should_upload(kMaxObjectSizeBytes + 1, kMaxObjectSizeBytes, kMaxAsyncObjectSizeBytes, sync));
  EXPECT_FALSE(should_upload(9000, kMaxObjectSizeBytes, kMaxAsyncObjectSizeBytes, sync));
  EXPECT_TRUE(should_upload(9000, kMaxObjectSizeBytes, kMaxAsyncObjectSizeBytes, async));
  EXPECT_FALSE(should_upload(8192, kMaxObjectSizeBytes, kMaxAsyncObjectSizeBytes, async));
}

// ---- Blob HTTP -------------------------------------------------------------------------

TEST(BlobDigests, KnownValues) {
  EXPECT_EQ(base64_md5(""), "1B2M2Y8AsgTpgAmY7PhCfg==");
  EXPECT_EQ(base64_md5("hello"), "XUFAKrxLKna5cZ2REBfFkg==");
  EXPECT_EQ(base64_sha256("hello"), "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=");
}

/// A blob server on loopback: PUT /blob stores, GET /blob returns; the first `failures`
/// requests are answered 503.
class BlobServer {
 public:
  explicit BlobServer(int failures) : failures_(failures) {
    server_.Put("/blob", [this](httplib::Request const& req, httplib::Response& res) {
      ++requests_;
      if (failures_-- > 0) {
        res.status = 503;
        return;
      }
      std::lock_guard lock(mu_);
      md5_header_ = req.get_header_value("Content-MD5");
      content_type_ = req.get_header_value("Content-Type");
      body_ = req.body;
      res.status = 200;
    });
    server_.Get("/blob", [this](httplib::Request const&, httplib::Response& res) {
      ++requests_;
      if (failures_-- > 0) {
        res.status = 503;
        return;
      }
      std::lock_guard lock(mu_);
      res.set_content(body_, "application/octet-stream");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~BlobServer() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/blob"; }
  int requests() const { return requests_; }
  std::string md5_header() {
    std::lock_guard lock(mu_);
    return md5_header_;
  }
  std::string content_type() {
    std::lock_guard lock(mu_);
    return content_type_;
  }
  std::string body() {
    std::lock_guard lock(mu_);
    return body_;
  }
  void set_body(std::string b) {
    std::lock_guard lock(mu_);
    body_ = std::move(b);
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> failures_;
  std::atomic<int> requests_{0};
  std::mutex mu_;
  std::string md5_header_, content_type_, body_;
};

std::string big_data() {
  std::string d(3 * 1024 * 1024 + 17, '\0');
  for (std::size_t i = 0; i < d.size(); ++i) d[i] = static_cast<char>((i * 7919) % 251);
  return d;
}

TEST(BlobHttp, PutSendsContentMd5) {
  BlobServer server(0);
  FakeTarget target;
  auto const data = big_data();
  auto const md5 = base64_md5(data);
  http_put(target, server.url(), data, md5);
  EXPECT_EQ(server.requests(), 1);
  EXPECT_EQ(server.md5_header(), md5);
  EXPECT_EQ(server.content_type(), "application/octet-stream");
  EXPECT_EQ(server.body(), data);
}

TEST(BlobHttp, PutRetriesOn503WithUpstreamsBackoff) {
  BlobServer server(2);
  FakeTarget target;
  http_put(target, server.url(), "abc", base64_md5("abc"));
  EXPECT_EQ(server.requests(), 3);
  EXPECT_EQ(server.body(), "abc");
  EXPECT_THAT(target.fake_timer().sleeps(),
              ::testing::ElementsAre(milliseconds(300), milliseconds(600)));
}

TEST(BlobHttp, PutGivesUpAfterThreeAttempts) {
  BlobServer server(100);
  FakeTarget target;
  auto const msg =
      error_of<ConnectionError>([&] { http_put(target, server.url(), "abc", base64_md5("abc")); });
  EXPECT_THAT(msg, HasSubstr("HTTP 503"));
  EXPECT_THAT(msg, HasSubstr("3 attempts"));
  EXPECT_EQ(server.requests(), 3);
}

TEST(BlobHttp, GetReturnsTheBodyAndRetries) {
  BlobServer server(4);
  auto const data = big_data();
  server.set_body(data);
  FakeTarget target;
  EXPECT_EQ(http_get(target, server.url()), data);
  EXPECT_EQ(server.requests(), 5);
  EXPECT_THAT(target.fake_timer().sleeps(),
              ::testing::ElementsAre(milliseconds(100), milliseconds(200), milliseconds(400),
                                     milliseconds(800)));
}

TEST(BlobHttp, GetGivesUpAfterFiveAttempts) {
  BlobServer server(100);
  FakeTarget target;
  EXPECT_THROW(http_get(target, server.url()), ConnectionError);
  EXPECT_EQ(server.requests(), 5);
}

TEST(BlobHttp, ConnectionRefusedIsAConnectionError) {
  FakeTarget target;
  EXPECT_THROW(http_get(target, "http://127.0.0.1:1/blob"), ConnectionError);
}

TEST(BlobHttp, ClosedScopeStopsTheRetries) {
  BlobServer server(100);
  FakeTarget target;
  target.mutable_scope().cancel();
  EXPECT_THROW(http_get(target, server.url()), ClientClosedError);
  EXPECT_EQ(server.requests(), 0);
}

}  // namespace
}  // namespace modal::internal
