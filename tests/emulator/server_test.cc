// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// The emulator's foundation over real gRPC: credentials, auth tokens, Apps, Environments,
// Secrets, fault injection and the call log.
#include <chrono>
#include <cmath>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <google/protobuf/empty.pb.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "emulator_test_util.h"
#include "modal/emulator.h"
#include "modal_proto/api.grpc.pb.h"

namespace modal::emulator {
namespace {

using ::modal::client::ObjectCreationType;
using ::modal::emulator::testing::Credentials;
using ::modal::emulator::testing::RawClient;
using ::testing::HasSubstr;

bool is_modal_id(std::string const& id, std::string const& prefix) {
  return std::regex_match(id, std::regex(prefix + "-[0-9A-Za-z]{22}"));
}

double now_secs() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

nlohmann::json jwt_payload(std::string const& token) {
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  EXPECT_EQ(parts.size(), 3u) << token;
  if (parts.size() != 3) return {};
  std::string raw;
  EXPECT_TRUE(absl::WebSafeBase64Unescape(parts[1], &raw)) << parts[1];
  return nlohmann::json::parse(raw);
}

class EmulatorTest : public ::testing::Test {
 protected:
  explicit EmulatorTest(EmulatorOptions options = {})
      : emulator_(std::move(options)), client_(emulator_.address()) {}

  grpc::Status app_get_or_create(std::string const& name, ObjectCreationType type,
                                 std::string* app_id, std::string const& env = "",
                                 Credentials const& creds = {}) {
    modal::client::AppGetOrCreateRequest req;
    req.set_app_name(name);
    req.set_environment_name(env);
    req.set_object_creation_type(type);
    modal::client::AppGetOrCreateResponse resp;
    auto ctx = RawClient::context(creds);
    auto st = client_.stub().AppGetOrCreate(ctx.get(), req, &resp);
    if (app_id != nullptr) *app_id = resp.app_id();
    return st;
  }

  grpc::Status env_get_or_create(std::string const& name, ObjectCreationType type,
                                 modal::client::EnvironmentGetOrCreateResponse* resp) {
    modal::client::EnvironmentGetOrCreateRequest req;
    req.set_deployment_name(name);
    req.set_object_creation_type(type);
    auto ctx = RawClient::context();
    return client_.stub().EnvironmentGetOrCreate(ctx.get(), req, resp);
  }

  grpc::Status secret_get_or_create(std::string const& name, ObjectCreationType type,
                                    std::map<std::string, std::string> const& env_dict,
                                    std::vector<std::string> const& required_keys,
                                    std::string* secret_id, std::string const& env = "") {
    modal::client::SecretGetOrCreateRequest req;
    req.set_deployment_name(name);
    req.set_environment_name(env);
    req.set_object_creation_type(type);
    for (auto const& [k, v] : env_dict) (*req.mutable_env_dict())[k] = v;
    for (auto const& k : required_keys) req.add_required_keys(k);
    modal::client::SecretGetOrCreateResponse resp;
    auto ctx = RawClient::context();
    auto st = client_.stub().SecretGetOrCreate(ctx.get(), req, &resp);
    if (secret_id != nullptr) *secret_id = resp.secret_id();
    return st;
  }

  grpc::Status secret_delete(std::string const& id) {
    modal::client::SecretDeleteRequest req;
    req.set_secret_id(id);
    google::protobuf::Empty resp;
    auto ctx = RawClient::context();
    return client_.stub().SecretDelete(ctx.get(), req, &resp);
  }

  std::string auth_token(Credentials const& creds = {}) {
    modal::client::AuthTokenGetResponse resp;
    auto ctx = RawClient::context(creds);
    auto st = client_.stub().AuthTokenGet(ctx.get(), {}, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.token();
  }

  Emulator emulator_;
  RawClient client_;
};

// ---------------------------------------------------------------------------------------
// Addresses and lifecycle

TEST_F(EmulatorTest, ReportsEphemeralLoopbackPort) {
  EXPECT_GT(emulator_.port(), 0);
  EXPECT_EQ(emulator_.address(), "127.0.0.1:" + std::to_string(emulator_.port()));
  EXPECT_EQ(emulator_.server_url(), "http://127.0.0.1:" + std::to_string(emulator_.port()));
  EXPECT_EQ(emulator_.options().token_id, "ak-emulator");
}

TEST(EmulatorLifecycleTest, ShutdownIsIdempotentAndStopsServing) {
  Emulator emulator;
  RawClient client(emulator.address());
  std::thread waiter([&] { emulator.wait(); });
  emulator.shutdown();
  waiter.join();  // wait() returned because shutdown() ran
  emulator.shutdown();

  modal::client::AuthTokenGetResponse resp;
  auto ctx = RawClient::context();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  auto st = client.stub().AuthTokenGet(ctx.get(), {}, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE) << st.error_message();
}

TEST(EmulatorLifecycleTest, TwoEmulatorsGetDistinctPorts) {
  Emulator a;
  Emulator b;
  EXPECT_NE(a.port(), b.port());
}

TEST(EmulatorLifecycleTest, BindFailureThrows) {
  Emulator a;
  EmulatorOptions opts;
  opts.port = a.port();  // already taken
  EXPECT_THROW(Emulator{opts}, std::runtime_error);
}

// ---------------------------------------------------------------------------------------
// Credentials

TEST_F(EmulatorTest, MissingCredentialsAreUnauthenticated) {
  Credentials none;
  none.omit = true;
  auto st = app_get_or_create("a", modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING, nullptr,
                              "", none);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(st.error_message(), HasSubstr("x-modal-token-id"));

  modal::client::AuthTokenGetResponse resp;
  auto ctx = RawClient::context(none);
  EXPECT_EQ(client_.stub().AuthTokenGet(ctx.get(), {}, &resp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(resp.token().empty());
}

TEST_F(EmulatorTest, WrongSecretIsUnauthenticated) {
  Credentials bad;
  bad.token_secret = "as-wrong";
  auto st = app_get_or_create("a", modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING, nullptr,
                              "", bad);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(st.error_message(), HasSubstr("Invalid credentials"));
  bad = Credentials{};
  bad.token_id = "ak-wrong";
  EXPECT_EQ(app_get_or_create("a", modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING, nullptr,
                              "", bad)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

class CustomCredentialsTest : public EmulatorTest {
 protected:
  static EmulatorOptions options() {
    EmulatorOptions o;
    o.token_id = "ak-custom";
    o.token_secret = "as-custom";
    return o;
  }
  CustomCredentialsTest() : EmulatorTest(options()) {}
};

TEST_F(CustomCredentialsTest, OnlyConfiguredCredentialsAreAccepted) {
  EXPECT_EQ(app_get_or_create("a", modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING, nullptr)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  Credentials good;
  good.token_id = "ak-custom";
  good.token_secret = "as-custom";
  std::string id;
  auto st =
      app_get_or_create("a", modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING, &id, "", good);
  EXPECT_TRUE(st.ok()) << st.error_message();
  EXPECT_TRUE(is_modal_id(id, "ap")) << id;
}

// ---------------------------------------------------------------------------------------
// Auth tokens

TEST_F(EmulatorTest, AuthTokenGetReturnsJwtWithExpiry) {
  double const before = now_secs();
  std::string const token = auth_token();
  auto payload = jwt_payload(token);
  ASSERT_TRUE(payload.contains("exp"));
  ASSERT_TRUE(payload["exp"].is_number_integer()) << payload.dump();
  double const exp = payload["exp"].get<double>();
  EXPECT_NEAR(exp, before + 3600, 3.0);
  ASSERT_TRUE(payload.contains("iat"));
  EXPECT_NEAR(payload["iat"].get<double>(), before, 3.0);
  EXPECT_EQ(payload["sub"], "ak-emulator");
  // Every call mints a distinct token.
  EXPECT_NE(auth_token(), token);
}

TEST_F(EmulatorTest, IssuedAuthTokenIsAccepted) {
  Credentials creds;
  creds.auth_token = auth_token();
  std::string id;
  auto st =
      app_get_or_create("a", modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING, &id, "", creds);
  EXPECT_TRUE(st.ok()) << st.error_message();
}

TEST_F(EmulatorTest, ForeignAuthTokenIsUnauthenticated) {
  // Well-formed JWT with a future exp, but not issued by this emulator.
  std::string payload;
  absl::WebSafeBase64Escape(R"({"exp":9999999999,"sub":"ak-emulator"})", &payload);
  Credentials creds;
  creds.auth_token = "eyJhbGciOiJIUzI1NiJ9." + payload + ".c2ln";
  auto st = app_get_or_create("a", modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING, nullptr,
                              "", creds);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(st.error_message(), HasSubstr("x-modal-auth-token"));
}

TEST_F(EmulatorTest, AuthTokenFromAnotherEmulatorIsRejected) {
  Emulator other;
  RawClient other_client(other.address());
  modal::client::AuthTokenGetResponse resp;
  auto ctx = RawClient::context();
  ASSERT_TRUE(other_client.stub().AuthTokenGet(ctx.get(), {}, &resp).ok());
  Credentials creds;
  creds.auth_token = resp.token();
  EXPECT_EQ(app_get_or_create("a", modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING, nullptr,
                              "", creds)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

class ShortAuthTokenTest : public EmulatorTest {
 protected:
  static EmulatorOptions options() {
    EmulatorOptions o;
    o.auth_token_lifetime = std::chrono::seconds(1);
    return o;
  }
  ShortAuthTokenTest() : EmulatorTest(options()) {}
};

TEST_F(ShortAuthTokenTest, ExpiredAuthTokenIsUnauthenticated) {
  double const before = now_secs();
  Credentials creds;
  creds.auth_token = auth_token();
  double const exp = jwt_payload(creds.auth_token)["exp"].get<double>();
  EXPECT_GE(exp, before + 1.0 - 1e-9);  // never shorter than the lifetime
  EXPECT_LE(exp, before + 3.0);
  EXPECT_TRUE(app_get_or_create("a", modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING, nullptr,
                                "", creds)
                  .ok());

  std::this_thread::sleep_for(std::chrono::duration<double>(exp - now_secs() + 0.05));
  auto st = app_get_or_create("a", modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING, nullptr,
                              "", creds);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(st.error_message(), HasSubstr("expired"));

  // AuthTokenGet itself still works with the expired token attached: that is how a client
  // refreshes.
  std::string const fresh = auth_token(creds);
  ASSERT_FALSE(fresh.empty());
  creds.auth_token = fresh;
  EXPECT_TRUE(app_get_or_create("a", modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING, nullptr,
                                "", creds)
                  .ok());
}

// ---------------------------------------------------------------------------------------
// Apps

TEST_F(EmulatorTest, AppLookupOfMissingAppIsNotFound) {
  auto st = app_get_or_create("nope", modal::client::OBJECT_CREATION_TYPE_UNSPECIFIED, nullptr);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(st.error_message(), "App 'nope' not found");
}

TEST_F(EmulatorTest, AppCreateIfMissingIsIdempotent) {
  std::string id1, id2, id3;
  ASSERT_TRUE(
      app_get_or_create("my-app", modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING, &id1)
          .ok());
  EXPECT_TRUE(is_modal_id(id1, "ap")) << id1;
  ASSERT_TRUE(
      app_get_or_create("my-app", modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING, &id2)
          .ok());
  EXPECT_EQ(id1, id2);
  ASSERT_TRUE(
      app_get_or_create("my-app", modal::client::OBJECT_CREATION_TYPE_UNSPECIFIED, &id3).ok());
  EXPECT_EQ(id1, id3);
  // "main" and "" are the same environment.
  ASSERT_TRUE(
      app_get_or_create("my-app", modal::client::OBJECT_CREATION_TYPE_UNSPECIFIED, &id3, "main")
          .ok());
  EXPECT_EQ(id1, id3);
}

TEST_F(EmulatorTest, AppCreateFailIfExists) {
  std::string id;
  ASSERT_TRUE(
      app_get_or_create("x", modal::client::OBJECT_CREATION_TYPE_CREATE_FAIL_IF_EXISTS, &id).ok());
  EXPECT_TRUE(is_modal_id(id, "ap"));
  EXPECT_EQ(
      app_get_or_create("x", modal::client::OBJECT_CREATION_TYPE_CREATE_FAIL_IF_EXISTS, nullptr)
          .error_code(),
      grpc::StatusCode::ALREADY_EXISTS);
}

TEST_F(EmulatorTest, EphemeralAppsAreAnonymous) {
  std::string id1, id2;
  ASSERT_TRUE(app_get_or_create("eph", modal::client::OBJECT_CREATION_TYPE_EPHEMERAL, &id1).ok());
  ASSERT_TRUE(app_get_or_create("eph", modal::client::OBJECT_CREATION_TYPE_EPHEMERAL, &id2).ok());
  EXPECT_TRUE(is_modal_id(id1, "ap"));
  EXPECT_NE(id1, id2);
  EXPECT_EQ(app_get_or_create("eph", modal::client::OBJECT_CREATION_TYPE_UNSPECIFIED, nullptr)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(EmulatorTest, AppsAreNamespacedByEnvironment) {
  modal::client::EnvironmentGetOrCreateResponse env;
  ASSERT_TRUE(
      env_get_or_create("dev", modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING, &env).ok());
  std::string in_dev, in_main;
  ASSERT_TRUE(app_get_or_create("shared", modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING,
                                &in_dev, "dev")
                  .ok());
  EXPECT_EQ(
      app_get_or_create("shared", modal::client::OBJECT_CREATION_TYPE_UNSPECIFIED, nullptr, "")
          .error_code(),
      grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(
      app_get_or_create("shared", modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING, &in_main)
          .ok());
  EXPECT_NE(in_dev, in_main);
}

TEST_F(EmulatorTest, AppInUnknownEnvironmentIsNotFound) {
  auto st = app_get_or_create("a", modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING, nullptr,
                              "nosuch");
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(st.error_message(), "Environment 'nosuch' not found");
}

// ---------------------------------------------------------------------------------------
// Environments

TEST_F(EmulatorTest, DefaultEnvironmentIsMain) {
  modal::client::EnvironmentGetOrCreateResponse a, b;
  ASSERT_TRUE(env_get_or_create("", modal::client::OBJECT_CREATION_TYPE_UNSPECIFIED, &a).ok());
  EXPECT_TRUE(is_modal_id(a.environment_id(), "en")) << a.environment_id();
  EXPECT_EQ(a.metadata().name(), "main");
  EXPECT_EQ(a.metadata().settings().image_builder_version(), "2024.10");
  ASSERT_TRUE(env_get_or_create("main", modal::client::OBJECT_CREATION_TYPE_UNSPECIFIED, &b).ok());
  EXPECT_EQ(a.environment_id(), b.environment_id());
}

TEST_F(EmulatorTest, UnknownEnvironmentIsNotFoundUntilCreated) {
  modal::client::EnvironmentGetOrCreateResponse resp;
  auto st = env_get_or_create("staging", modal::client::OBJECT_CREATION_TYPE_UNSPECIFIED, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(st.error_message(), "Environment 'staging' not found");

  modal::client::EnvironmentGetOrCreateResponse created, found;
  ASSERT_TRUE(
      env_get_or_create("staging", modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING, &created)
          .ok());
  EXPECT_EQ(created.metadata().name(), "staging");
  EXPECT_TRUE(is_modal_id(created.environment_id(), "en"));
  ASSERT_TRUE(
      env_get_or_create("staging", modal::client::OBJECT_CREATION_TYPE_UNSPECIFIED, &found).ok());
  EXPECT_EQ(created.environment_id(), found.environment_id());
  EXPECT_EQ(env_get_or_create("staging", modal::client::OBJECT_CREATION_TYPE_CREATE_FAIL_IF_EXISTS,
                              &found)
                .error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
}

class BuilderVersionTest : public EmulatorTest {
 protected:
  static EmulatorOptions options() {
    EmulatorOptions o;
    o.image_builder_version = "2025.06";
    return o;
  }
  BuilderVersionTest() : EmulatorTest(options()) {}
};

TEST_F(BuilderVersionTest, ReportsConfiguredImageBuilderVersion) {
  modal::client::EnvironmentGetOrCreateResponse resp;
  ASSERT_TRUE(env_get_or_create("", modal::client::OBJECT_CREATION_TYPE_UNSPECIFIED, &resp).ok());
  EXPECT_EQ(resp.metadata().settings().image_builder_version(), "2025.06");
}

// ---------------------------------------------------------------------------------------
// Secrets

TEST_F(EmulatorTest, EphemeralSecretsAreAnonymous) {
  std::string id1, id2;
  ASSERT_TRUE(secret_get_or_create("", modal::client::OBJECT_CREATION_TYPE_EPHEMERAL, {{"A", "1"}},
                                   {}, &id1)
                  .ok());
  ASSERT_TRUE(secret_get_or_create("", modal::client::OBJECT_CREATION_TYPE_EPHEMERAL, {{"A", "1"}},
                                   {}, &id2)
                  .ok());
  EXPECT_TRUE(is_modal_id(id1, "st")) << id1;
  EXPECT_NE(id1, id2);
  EXPECT_TRUE(secret_delete(id1).ok());
}

TEST_F(EmulatorTest, SecretLookupOfMissingSecretIsNotFound) {
  auto st = secret_get_or_create("nope", modal::client::OBJECT_CREATION_TYPE_UNSPECIFIED, {}, {},
                                 nullptr);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(st.error_message(), "Secret 'nope' not found");
}

TEST_F(EmulatorTest, NamedSecretCreateLookupRequiredKeysDelete) {
  std::string id, found;
  ASSERT_TRUE(secret_get_or_create("creds", modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING,
                                   {{"a", "1"}, {"b", "2"}}, {}, &id)
                  .ok());
  EXPECT_TRUE(is_modal_id(id, "st"));
  ASSERT_TRUE(secret_get_or_create("creds", modal::client::OBJECT_CREATION_TYPE_UNSPECIFIED, {},
                                   {"a", "b"}, &found)
                  .ok());
  EXPECT_EQ(found, id);

  auto st = secret_get_or_create("creds", modal::client::OBJECT_CREATION_TYPE_UNSPECIFIED, {},
                                 {"a", "c", "missing-key"}, nullptr);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(st.error_message(), "Secret is missing key(s): c, missing-key");

  EXPECT_EQ(secret_get_or_create("creds", modal::client::OBJECT_CREATION_TYPE_CREATE_FAIL_IF_EXISTS,
                                 {{"a", "1"}}, {}, nullptr)
                .error_code(),
            grpc::StatusCode::ALREADY_EXISTS);

  ASSERT_TRUE(secret_delete(id).ok());
  EXPECT_EQ(secret_get_or_create("creds", modal::client::OBJECT_CREATION_TYPE_UNSPECIFIED, {}, {},
                                 nullptr)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  auto again = secret_delete(id);
  EXPECT_EQ(again.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(EmulatorTest, SecretOverwriteReplacesKeys) {
  std::string id1, id2;
  ASSERT_TRUE(secret_get_or_create("s", modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING,
                                   {{"OLD", "1"}}, {}, &id1)
                  .ok());
  // CREATE_IF_MISSING on an existing Secret keeps its contents.
  ASSERT_TRUE(secret_get_or_create("s", modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING,
                                   {{"NEW", "2"}}, {"OLD"}, &id2)
                  .ok());
  EXPECT_EQ(id1, id2);
  ASSERT_TRUE(secret_get_or_create("s",
                                   modal::client::OBJECT_CREATION_TYPE_CREATE_OVERWRITE_IF_EXISTS,
                                   {{"NEW", "2"}}, {}, &id2)
                  .ok());
  EXPECT_TRUE(secret_get_or_create("s", modal::client::OBJECT_CREATION_TYPE_UNSPECIFIED, {},
                                   {"NEW"}, nullptr)
                  .ok());
  EXPECT_EQ(secret_get_or_create("s", modal::client::OBJECT_CREATION_TYPE_UNSPECIFIED, {}, {"OLD"},
                                 nullptr)
                .error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(EmulatorTest, SecretsAreNamespacedByEnvironment) {
  modal::client::EnvironmentGetOrCreateResponse env;
  ASSERT_TRUE(
      env_get_or_create("dev", modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING, &env).ok());
  ASSERT_TRUE(secret_get_or_create("only-dev",
                                   modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING,
                                   {{"K", "V"}}, {}, nullptr, "dev")
                  .ok());
  EXPECT_TRUE(secret_get_or_create("only-dev", modal::client::OBJECT_CREATION_TYPE_UNSPECIFIED, {},
                                   {"K"}, nullptr, "dev")
                  .ok());
  EXPECT_EQ(secret_get_or_create("only-dev", modal::client::OBJECT_CREATION_TYPE_UNSPECIFIED, {},
                                 {}, nullptr, "main")
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  auto st = secret_get_or_create("x", modal::client::OBJECT_CREATION_TYPE_UNSPECIFIED, {}, {},
                                 nullptr, "nosuch");
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(st.error_message(), "Environment 'nosuch' not found");
}

class SeededSecretTest : public EmulatorTest {
 protected:
  static EmulatorOptions options() {
    EmulatorOptions o;
    o.secrets["seeded"] = {{"API_KEY", "k"}, {"REGION", "eu"}};
    return o;
  }
  SeededSecretTest() : EmulatorTest(options()) {}
};

TEST_F(SeededSecretTest, SeededSecretIsFoundInMain) {
  std::string id;
  auto st = secret_get_or_create("seeded", modal::client::OBJECT_CREATION_TYPE_UNSPECIFIED, {},
                                 {"API_KEY", "REGION"}, &id);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_TRUE(is_modal_id(id, "st"));
  EXPECT_EQ(secret_get_or_create("seeded", modal::client::OBJECT_CREATION_TYPE_UNSPECIFIED, {},
                                 {"OTHER"}, nullptr)
                .error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

// ---------------------------------------------------------------------------------------
// Fault injection

TEST_F(EmulatorTest, FaultFailsExactlyCountCalls) {
  Fault fault;
  fault.count = 2;
  fault.code = static_cast<int>(grpc::StatusCode::UNAVAILABLE);
  fault.message = "try later";
  emulator_.inject_fault("AppGetOrCreate", fault);

  // Other RPCs are unaffected.
  EXPECT_FALSE(auth_token().empty());
  for (int i = 0; i < 2; ++i) {
    auto st =
        app_get_or_create("f", modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING, nullptr);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE) << i;
    EXPECT_EQ(st.error_message(), "try later");
    EXPECT_TRUE(st.error_details().empty());
  }
  EXPECT_TRUE(
      app_get_or_create("f", modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING, nullptr).ok());

  auto calls = emulator_.received_calls("AppGetOrCreate");
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].code, 14);
  EXPECT_EQ(calls[1].code, 14);
  EXPECT_EQ(calls[2].code, 0);
}

TEST_F(EmulatorTest, FaultWithRetryAfterCarriesRpcRetryPolicy) {
  Fault fault;
  fault.code = static_cast<int>(grpc::StatusCode::RESOURCE_EXHAUSTED);
  fault.message = "slow down";
  fault.retry_after_secs = 2.5;
  emulator_.inject_fault("SecretGetOrCreate", fault);

  auto st =
      secret_get_or_create("", modal::client::OBJECT_CREATION_TYPE_EPHEMERAL, {}, {}, nullptr);
  ASSERT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(st.error_message(), "slow down");
  modal::client::RPCStatus details;
  ASSERT_TRUE(details.ParseFromString(st.error_details()));
  EXPECT_EQ(details.code(), static_cast<int>(grpc::StatusCode::RESOURCE_EXHAUSTED));
  EXPECT_EQ(details.message(), "slow down");
  ASSERT_EQ(details.details_size(), 1);
  EXPECT_EQ(details.details(0).type_url(), "type.googleapis.com/modal.client.RPCRetryPolicy");
  modal::client::RPCRetryPolicy policy;
  ASSERT_TRUE(details.details(0).UnpackTo(&policy));
  EXPECT_FLOAT_EQ(policy.retry_after_secs(), 2.5f);

  // Consumed: the next call succeeds.
  EXPECT_TRUE(
      secret_get_or_create("", modal::client::OBJECT_CREATION_TYPE_EPHEMERAL, {}, {}, nullptr)
          .ok());
}

TEST_F(EmulatorTest, QueuedFaultsApplyInOrderAndClearFaultsDropsThem) {
  Fault first;
  first.code = static_cast<int>(grpc::StatusCode::INTERNAL);
  first.message = "first";
  Fault second;
  second.code = static_cast<int>(grpc::StatusCode::DEADLINE_EXCEEDED);
  second.message = "second";
  emulator_.inject_fault("AuthTokenGet", first);
  emulator_.inject_fault("AuthTokenGet", second);

  modal::client::AuthTokenGetResponse resp;
  auto ctx = RawClient::context();
  auto st = client_.stub().AuthTokenGet(ctx.get(), {}, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(st.error_message(), "first");

  emulator_.inject_fault("AppGetOrCreate", Fault{});
  emulator_.clear_faults();
  EXPECT_FALSE(auth_token().empty());  // "second" was dropped
  EXPECT_TRUE(
      app_get_or_create("c", modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING, nullptr).ok());
}

TEST_F(EmulatorTest, UnauthenticatedCallsDoNotConsumeFaults) {
  emulator_.inject_fault("AppGetOrCreate", Fault{});
  Credentials bad;
  bad.token_secret = "nope";
  EXPECT_EQ(app_get_or_create("a", modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING, nullptr,
                              "", bad)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(app_get_or_create("a", modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING, nullptr)
                .error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

// ---------------------------------------------------------------------------------------
// Call log

TEST_F(EmulatorTest, ReceivedCallsRecordMetadataMethodAndCode) {
  emulator_.clear_received_calls();
  {
    modal::client::AppGetOrCreateRequest req;
    req.set_app_name("missing");
    modal::client::AppGetOrCreateResponse resp;
    auto ctx = RawClient::context();
    ctx->AddMetadata("x-modal-client-version", "1.0.0");
    ctx->AddMetadata("x-custom", "a");
    ctx->AddMetadata("x-custom", "b");
    ctx->AddMetadata("x-trace-bin", std::string("\x01\x02", 2));
    EXPECT_EQ(client_.stub().AppGetOrCreate(ctx.get(), req, &resp).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  EXPECT_FALSE(auth_token().empty());

  auto all = emulator_.received_calls();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].method, "AppGetOrCreate");
  EXPECT_EQ(all[0].code, static_cast<int>(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(all[1].method, "AuthTokenGet");
  EXPECT_EQ(all[1].code, 0);

  auto const& md = all[0].metadata;
  auto version = md.find("x-modal-client-version");
  ASSERT_NE(version, md.end());
  EXPECT_EQ(version->second, "1.0.0");
  EXPECT_EQ(md.find("x-modal-token-id")->second, "ak-emulator");
  EXPECT_EQ(md.count("x-custom"), 2u);
  EXPECT_EQ(md.count("x-trace-bin"), 0u);

  auto only = emulator_.received_calls("AuthTokenGet");
  ASSERT_EQ(only.size(), 1u);
  EXPECT_EQ(only[0].method, "AuthTokenGet");

  emulator_.clear_received_calls();
  EXPECT_TRUE(emulator_.received_calls().empty());
}

TEST_F(EmulatorTest, UnauthenticatedCallsAreRecorded) {
  emulator_.clear_received_calls();
  Credentials none;
  none.omit = true;
  ASSERT_FALSE(
      app_get_or_create("a", modal::client::OBJECT_CREATION_TYPE_UNSPECIFIED, nullptr, "", none)
          .ok());
  auto calls = emulator_.received_calls("AppGetOrCreate");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].code, static_cast<int>(grpc::StatusCode::UNAUTHENTICATED));
  EXPECT_EQ(calls[0].metadata.count("x-modal-token-id"), 0u);
}

TEST_F(EmulatorTest, UnknownRpcAnswersUnimplemented) {
  // A method no service implements, called through gRPC's untyped unary path.
  grpc::internal::RpcMethod const method("/modal.client.ModalClient/NoSuchRpc",
                                         grpc::internal::RpcMethod::NORMAL_RPC, client_.channel());
  modal::client::AuthTokenGetRequest req;
  modal::client::AuthTokenGetResponse resp;
  auto ctx = RawClient::context();
  auto st =
      grpc::internal::BlockingUnaryCall(client_.channel().get(), method, ctx.get(), req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNIMPLEMENTED);
}

}  // namespace
}  // namespace modal::emulator
