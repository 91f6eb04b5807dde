// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_TESTS_EMULATOR_ROUTER_TEST_UTIL_H
#define MODAL_TESTS_EMULATOR_ROUTER_TEST_UTIL_H

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "emulator_test_util.h"
#include "modal/emulator.h"
#include "modal_proto/api.grpc.pb.h"
#include "modal_proto/task_command_router.grpc.pb.h"

namespace modal::emulator::testing {

namespace tcr = modal::task_command_router;

/// An emulator with one running sandbox and a raw router stub authorized for its task.
class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    emu_ = std::make_unique<Emulator>(options());
    control_ = std::make_unique<RawClient>(emu_->address());
    router_ = tcr::TaskCommandRouter::NewStub(
        grpc::CreateChannel(emu_->address(), grpc::InsecureChannelCredentials()));
    sandbox_id_ = create_sandbox(definition());
    task_id_ = task_id_of(sandbox_id_);
    auto access = router_access(task_id_);
    ASSERT_TRUE(access.ok()) << access.error_message();
    jwt_ = access_.jwt();
  }
  void TearDown() override { emu_.reset(); }

  virtual EmulatorOptions options() { return {}; }
  /// The sandbox definition (image id filled in by create_sandbox).
  virtual modal::client::Sandbox definition() { return {}; }

  std::string create_sandbox(modal::client::Sandbox def) {
    modal::client::AppGetOrCreateRequest app_req;
    app_req.set_app_name("router-test");
    app_req.set_object_creation_type(modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING);
    modal::client::AppGetOrCreateResponse app;
    EXPECT_TRUE(control_->stub().AppGetOrCreate(RawClient::context().get(), app_req, &app).ok());
    modal::client::ImageGetOrCreateRequest img_req;
    img_req.set_app_id(app.app_id());
    img_req.mutable_image()->add_dockerfile_commands("FROM alpine:3.21");
    modal::client::ImageGetOrCreateResponse img;
    auto st = control_->stub().ImageGetOrCreate(RawClient::context().get(), img_req, &img);
    EXPECT_TRUE(st.ok()) << st.error_message();
    def.set_image_id(img.image_id());
    modal::client::SandboxCreateRequest req;
    req.set_app_id(app.app_id());
    *req.mutable_definition() = std::move(def);
    modal::client::SandboxCreateResponse resp;
    st = control_->stub().SandboxCreate(RawClient::context().get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.sandbox_id();
  }

  std::string task_id_of(std::string const& sandbox_id) {
    modal::client::SandboxGetTaskIdRequest req;
    req.set_sandbox_id(sandbox_id);
    modal::client::SandboxGetTaskIdResponse resp;
    auto st = control_->stub().SandboxGetTaskId(RawClient::context().get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.task_id();
  }

  grpc::Status router_access(std::string const& task_id) {
    modal::client::TaskGetCommandRouterAccessRequest req;
    req.set_task_id(task_id);
    return control_->stub().TaskGetCommandRouterAccess(RawClient::context().get(), req, &access_);
  }

  /// A router context with a 20 s deadline and `jwt` (default: the current one).
  std::unique_ptr<grpc::ClientContext> rctx(
      std::optional<std::string> jwt = std::nullopt,
      std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + timeout);
    ctx->AddMetadata("authorization", "Bearer " + jwt.value_or(jwt_));
    return ctx;
  }

  tcr::TaskExecStartRequest start_request(std::string const& exec_id,
                                          std::vector<std::string> const& argv) {
    tcr::TaskExecStartRequest req;
    req.set_task_id(task_id_);
    req.set_exec_id(exec_id);
    for (auto const& a : argv) req.add_command_args(a);
    req.set_stdout_config(tcr::TASK_EXEC_STDOUT_CONFIG_PIPE);
    req.set_stderr_config(tcr::TASK_EXEC_STDERR_CONFIG_PIPE);
    return req;
  }

  grpc::Status start(tcr::TaskExecStartRequest const& req) {
    tcr::TaskExecStartResponse resp;
    return router_->TaskExecStart(rctx().get(), req, &resp);
  }

  void start_ok(std::string const& exec_id, std::vector<std::string> const& argv) {
    auto st = start(start_request(exec_id, argv));
    ASSERT_TRUE(st.ok()) << st.error_message();
  }

  struct ReadResult {
    std::string data{};
    grpc::Status status{};
    int messages = 0;
    std::size_t largest = 0;
  };
  /// Reads one TaskExecStdioRead stream to its end (or failure).
  ReadResult read(std::string const& exec_id, std::uint64_t offset = 0, bool err = false,
                  std::optional<std::string> jwt = std::nullopt,
                  std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    tcr::TaskExecStdioReadRequest req;
    req.set_task_id(task_id_);
    req.set_exec_id(exec_id);
    req.set_offset(offset);
    req.set_file_descriptor(err ? tcr::TASK_EXEC_STDIO_FILE_DESCRIPTOR_STDERR
                                : tcr::TASK_EXEC_STDIO_FILE_DESCRIPTOR_STDOUT);
    auto ctx = rctx(std::move(jwt), timeout);
    auto reader = router_->TaskExecStdioRead(ctx.get(), req);
    ReadResult out;
    tcr::TaskExecStdioReadResponse msg;
    while (reader->Read(&msg)) {
      out.data += msg.data();
      ++out.messages;
      out.largest = std::max(out.largest, msg.data().size());
    }
    out.status = reader->Finish();
    return out;
  }

  grpc::Status write_stdin(std::string const& exec_id, std::uint64_t offset,
                           std::string const& data, bool eof = false) {
    tcr::TaskExecStdinWriteRequest req;
    req.set_task_id(task_id_);
    req.set_exec_id(exec_id);
    req.set_offset(offset);
    req.set_data(data);
    req.set_eof(eof);
    tcr::TaskExecStdinWriteResponse resp;
    return router_->TaskExecStdinWrite(rctx().get(), req, &resp);
  }

  /// TaskExecWait → exit code (128 + signal for signals); -1000 on RPC failure.
  int wait(std::string const& exec_id) {
    tcr::TaskExecWaitRequest req;
    req.set_task_id(task_id_);
    req.set_exec_id(exec_id);
    tcr::TaskExecWaitResponse resp;
    auto st = router_->TaskExecWait(rctx().get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    if (!st.ok()) return -1000;
    if (resp.exit_status_case() == tcr::TaskExecWaitResponse::kSignal) return 128 + resp.signal();
    return resp.code();
  }

  std::unique_ptr<Emulator> emu_;
  std::unique_ptr<RawClient> control_;
  std::unique_ptr<tcr::TaskCommandRouter::Stub> router_;
  std::string sandbox_id_;
  std::string task_id_;
  modal::client::TaskGetCommandRouterAccessResponse access_;
  std::string jwt_;
};

}  // namespace modal::emulator::testing

#endif  // MODAL_TESTS_EMULATOR_ROUTER_TEST_UTIL_H
