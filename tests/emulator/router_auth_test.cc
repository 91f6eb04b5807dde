// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// The router-plane CallScope hook (bearer JWTs minted per task, faults, call log), exercised
// through a stand-in TaskCommandRouter service on a real gRPC server.
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "modal_proto/task_command_router.grpc.pb.h"
#include "server/call_log.h"
#include "server/call_scope.h"
#include "server/core.h"
#include "server/jwt.h"

namespace modal::emulator {
namespace {

using ::modal::task_command_router::TaskCommandRouter;
using ::modal::task_command_router::TaskExecPollRequest;
using ::modal::task_command_router::TaskExecPollResponse;
using ::testing::HasSubstr;

// Follows the documented handler pattern for router RPCs.
class StandInRouter final : public TaskCommandRouter::Service {
 public:
  explicit StandInRouter(Core& core) : core_(core) {}
  grpc::Status TaskExecPoll(grpc::ServerContext* ctx, TaskExecPollRequest const* req,
                            TaskExecPollResponse* resp) override {
    CallScope scope(core_, ctx, "TaskExecPoll", Plane::kRouter);
    if (!scope.ok()) return scope.status();
    if (auto st = scope.check_task(req->task_id()); !st.ok()) return st;
    resp->set_code(7);
    return grpc::Status::OK;
  }

 private:
  Core& core_;
};

class RouterAuthTest : public ::testing::Test {
 protected:
  RouterAuthTest() : core_(options()), router_(core_) {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&router_);
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> f;
    f.push_back(make_call_log_factory(core_));
    builder.experimental().SetInterceptorCreators(std::move(f));
    server_ = builder.BuildAndStart();
    core_.set_port(port);
    stub_ = TaskCommandRouter::NewStub(
        grpc::CreateChannel(core_.address(), grpc::InsecureChannelCredentials()));
  }
  ~RouterAuthTest() override { server_->Shutdown(std::chrono::system_clock::now()); }

  static EmulatorOptions options() {
    EmulatorOptions o;
    o.router_token_lifetime = std::chrono::seconds(1);
    return o;
  }

  grpc::Status poll(std::string const& task_id, std::string const& authorization) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!authorization.empty()) ctx.AddMetadata("authorization", authorization);
    TaskExecPollRequest req;
    req.set_task_id(task_id);
    TaskExecPollResponse resp;
    auto st = stub_->TaskExecPoll(&ctx, req, &resp);
    if (st.ok()) {
      EXPECT_EQ(resp.code(), 7);
    }
    return st;
  }

  Core core_;
  StandInRouter router_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<TaskCommandRouter::Stub> stub_;
};

TEST_F(RouterAuthTest, BearerTokenForTheTaskIsAccepted) {
  std::string const jwt = core_.issue_router_token("ta-1");
  auto payload = decode_jwt_payload(jwt);
  ASSERT_TRUE(payload.has_value());
  EXPECT_EQ((*payload)["sub"], "ta-1");
  EXPECT_TRUE((*payload)["exp"].is_number_integer());
  auto st = poll("ta-1", "Bearer " + jwt);
  EXPECT_TRUE(st.ok()) << st.error_message();
}

TEST_F(RouterAuthTest, MissingOrForeignTokenIsUnauthenticated) {
  auto st = poll("ta-1", "");
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(st.error_message(), HasSubstr("authorization"));
  EXPECT_EQ(poll("ta-1", "Basic abc").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(poll("ta-1", "Bearer a.b.c").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  // A control-plane auth token is not a router token.
  EXPECT_EQ(poll("ta-1", "Bearer " + core_.issue_auth_token()).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(RouterAuthTest, TokenForAnotherTaskIsDenied) {
  auto st = poll("ta-2", "Bearer " + core_.issue_router_token("ta-1"));
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(RouterAuthTest, ExpiredTokenIsUnauthenticated) {
  std::string const jwt = core_.issue_router_token("ta-1");
  double const exp = decode_jwt_payload(jwt)->at("exp").get<double>();
  ASSERT_TRUE(poll("ta-1", "Bearer " + jwt).ok());
  std::this_thread::sleep_for(std::chrono::duration<double>(exp - unix_now() + 0.05));
  auto st = poll("ta-1", "Bearer " + jwt);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(st.error_message(), HasSubstr("expired"));
}

TEST_F(RouterAuthTest, FaultsApplyToRouterCallsAndAreLogged) {
  Fault f;
  f.code = static_cast<int>(grpc::StatusCode::UNAVAILABLE);
  f.retry_after_secs = 1;
  core_.inject_fault("TaskExecPoll", f);
  std::string const auth = "Bearer " + core_.issue_router_token("ta-1");
  auto st = poll("ta-1", auth);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_FALSE(st.error_details().empty());
  EXPECT_TRUE(poll("ta-1", auth).ok());

  auto calls = core_.received_calls("TaskExecPoll");
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].code, 14);
  EXPECT_EQ(calls[1].code, 0);
  auto it = calls[0].metadata.find("authorization");
  ASSERT_NE(it, calls[0].metadata.end());
  EXPECT_EQ(it->second, auth);
}

}  // namespace
}  // namespace modal::emulator
