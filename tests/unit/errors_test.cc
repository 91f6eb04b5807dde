// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <typeinfo>

#include "internal/status.h"
#include "modal/errors.h"

namespace modal::internal {
namespace {

using ::testing::HasSubstr;

template <typename E>
void expect_maps_to(grpc::StatusCode code) {
  try {
    throw_rpc_error(grpc::Status(code, "server says no"), "SomeRpc");
    FAIL() << "throw_rpc_error returned";
  } catch (E const& e) {
    EXPECT_EQ(typeid(e), typeid(E)) << "code " << code << " mapped to a subclass";
    EXPECT_EQ(static_cast<int>(e.code()), static_cast<int>(code));
    EXPECT_EQ(e.rpc_method(), "SomeRpc");
    EXPECT_EQ(e.server_message(), "server says no");
    EXPECT_THAT(e.what(), HasSubstr("SomeRpc"));
    EXPECT_THAT(e.what(), HasSubstr("server says no"));
    EXPECT_THAT(e.what(), HasSubstr(std::string(to_string(e.code()))));
  } catch (std::exception const& e) {
    FAIL() << "code " << code << " mapped to " << typeid(e).name();
  }
}

TEST(ErrorsTest, StatusCodesMapToTypedErrors) {
  expect_maps_to<NotFoundError>(grpc::StatusCode::NOT_FOUND);
  expect_maps_to<AlreadyExistsError>(grpc::StatusCode::ALREADY_EXISTS);
  expect_maps_to<InvalidError>(grpc::StatusCode::INVALID_ARGUMENT);
  expect_maps_to<ConflictError>(grpc::StatusCode::FAILED_PRECONDITION);
  expect_maps_to<AuthError>(grpc::StatusCode::UNAUTHENTICATED);
  expect_maps_to<AuthError>(grpc::StatusCode::PERMISSION_DENIED);
  expect_maps_to<ConnectionError>(grpc::StatusCode::UNAVAILABLE);
  expect_maps_to<TimeoutError>(grpc::StatusCode::DEADLINE_EXCEEDED);
  expect_maps_to<InternalFailure>(grpc::StatusCode::INTERNAL);
  expect_maps_to<Error>(grpc::StatusCode::RESOURCE_EXHAUSTED);
  expect_maps_to<Error>(grpc::StatusCode::UNIMPLEMENTED);
}

TEST(ErrorsTest, SummaryReplacesGenericTextButKeepsServerMessage) {
  try {
    throw_rpc_error(grpc::Status(grpc::StatusCode::NOT_FOUND, "no such app"), "AppGetOrCreate",
                    "App 'x' not found");
  } catch (NotFoundError const& e) {
    EXPECT_EQ(std::string(e.what()), "App 'x' not found (no such app)");
    EXPECT_EQ(e.server_message(), "no such app");
    EXPECT_EQ(e.rpc_method(), "AppGetOrCreate");
  }
}

TEST(ErrorsTest, HierarchyAllowsCatchingByBase) {
  EXPECT_THROW(throw SandboxTimeoutError("t"), TimeoutError);
  EXPECT_THROW(throw ExecTimeoutError("t"), TimeoutError);
  EXPECT_THROW(throw NotFoundError("t"), Error);
  EXPECT_THROW(throw ConfigError("t"), std::runtime_error);
  EXPECT_EQ(ClientClosedError("x").code(), StatusCode::kCancelled);
  EXPECT_EQ(to_string(StatusCode::kResourceExhausted), "RESOURCE_EXHAUSTED");
}

TEST(ErrorsTest, ServerRetryAfterIsReadFromStatusDetails) {
  EXPECT_FALSE(server_retry_after(grpc::Status(grpc::StatusCode::UNAVAILABLE, "x")));
  EXPECT_FALSE(server_retry_after(grpc::Status(grpc::StatusCode::UNAVAILABLE, "x", "garbage\x01")));
}

}  // namespace
}  // namespace modal::internal
