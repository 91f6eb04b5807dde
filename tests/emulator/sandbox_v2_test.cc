// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// V2 Sandboxes through raw generated stubs: SandboxCreateV2 and the V2 twins of the
// lifecycle, lookup, tag, tunnel and token RPCs, and the router's SandboxStdioReadV2 /
// SandboxStdinWriteV2 for the entrypoint's stdio.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "emulator_test_util.h"
#include "modal/emulator.h"
#include "modal_proto/api.grpc.pb.h"
#include "modal_proto/task_command_router.grpc.pb.h"

namespace modal::emulator::testing {
namespace {

namespace tcr = modal::task_command_router;
using modal::client::GenericResult;

class SandboxV2Test : public ::testing::Test {
 protected:
  void SetUp() override {
    emu_ = std::make_unique<Emulator>(EmulatorOptions{});
    control_ = std::make_unique<RawClient>(emu_->address());
    router_ = tcr::TaskCommandRouter::NewStub(
        grpc::CreateChannel(emu_->address(), grpc::InsecureChannelCredentials()));
    modal::client::AppGetOrCreateRequest app_req;
    app_req.set_app_name("v2-test");
    app_req.set_object_creation_type(modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING);
    modal::client::AppGetOrCreateResponse app;
    ASSERT_TRUE(stub().AppGetOrCreate(ctx().get(), app_req, &app).ok());
    app_id_ = app.app_id();
    modal::client::ImageGetOrCreateRequest img_req;
    img_req.set_app_id(app_id_);
    img_req.mutable_image()->add_dockerfile_commands("FROM alpine:3.21");
    modal::client::ImageGetOrCreateResponse img;
    auto st = stub().ImageGetOrCreate(ctx().get(), img_req, &img);
    ASSERT_TRUE(st.ok()) << st.error_message();
    image_id_ = img.image_id();
  }

  static std::unique_ptr<grpc::ClientContext> ctx() { return RawClient::context(); }
  modal::client::ModalClient::Stub& stub() { return control_->stub(); }

  modal::client::SandboxCreateV2Request v2_request(std::vector<std::string> const& argv,
                                                   std::string const& name = "") {
    modal::client::SandboxCreateV2Request req;
    req.set_app_id(app_id_);
    auto* def = req.mutable_definition();
    def->set_image_id(image_id_);
    for (auto const& a : argv) def->add_entrypoint_args(a);
    if (!name.empty()) def->set_name(name);
    return req;
  }

  modal::client::SandboxCreateV2Response create_v2(
      modal::client::SandboxCreateV2Request const& req) {
    modal::client::SandboxCreateV2Response resp;
    auto st = stub().SandboxCreateV2(ctx().get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp;
  }

  std::string create_v1(std::vector<std::string> const& argv) {
    modal::client::SandboxCreateRequest req;
    req.set_app_id(app_id_);
    req.mutable_definition()->set_image_id(image_id_);
    for (auto const& a : argv) req.mutable_definition()->add_entrypoint_args(a);
    modal::client::SandboxCreateResponse resp;
    auto st = stub().SandboxCreate(ctx().get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.sandbox_id();
  }

  /// SandboxWaitV2 with `timeout` seconds: the result if finished.
  std::optional<GenericResult> wait_v2(std::string const& id, float timeout) {
    modal::client::SandboxWaitRequest req;
    req.set_sandbox_id(id);
    req.set_timeout(timeout);
    modal::client::SandboxWaitResponse resp;
    auto c = ctx();
    c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(70));
    auto st = stub().SandboxWaitV2(c.get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    if (!resp.has_result()) return std::nullopt;
    return resp.result();
  }

  std::unique_ptr<grpc::ClientContext> rctx(std::string const& jwt) {
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    c->AddMetadata("authorization", "Bearer " + jwt);
    return c;
  }

  struct Stdio {
    std::string data{};
    std::vector<std::uint64_t> starts{};
    grpc::Status status{};
  };
  /// One SandboxStdioReadV2 stream from `offset` to its end.
  Stdio read_stdio(modal::client::SandboxCreateV2Response const& sb, bool err = false,
                   std::uint64_t offset = 0) {
    tcr::SandboxStdioReadV2Request req;
    req.set_task_id(sb.task_id());
    req.set_offset(offset);
    req.set_file_descriptor(err ? tcr::SANDBOX_STDIO_FILE_DESCRIPTOR_STDERR
                                : tcr::SANDBOX_STDIO_FILE_DESCRIPTOR_STDOUT);
    auto c = rctx(sb.command_router_access().jwt());
    auto reader = router_->SandboxStdioReadV2(c.get(), req);
    Stdio out;
    tcr::SandboxStdioReadV2Response msg;
    while (reader->Read(&msg)) {
      EXPECT_FALSE(msg.data().empty()) << "an empty message (clients reject them)";
      out.starts.push_back(msg.starting_offset());
      out.data += msg.data();
    }
    out.status = reader->Finish();
    return out;
  }

  grpc::Status write_stdin(modal::client::SandboxCreateV2Response const& sb, std::uint64_t offset,
                           std::string const& data, bool eof = false) {
    tcr::SandboxStdinWriteV2Request req;
    req.set_task_id(sb.task_id());
    req.set_offset(offset);
    req.set_data(data);
    req.set_eof(eof);
    tcr::SandboxStdinWriteV2Response resp;
    auto c = rctx(sb.command_router_access().jwt());
    return router_->SandboxStdinWriteV2(c.get(), req, &resp);
  }

  std::unique_ptr<Emulator> emu_;
  std::unique_ptr<RawClient> control_;
  std::unique_ptr<tcr::TaskCommandRouter::Stub> router_;
  std::string app_id_;
  std::string image_id_;
};

TEST_F(SandboxV2Test, CreateAnswersAV2IdTheTaskAndWorkingRouterAccess) {
  auto sb = create_v2(v2_request({"sleep", "100"}));
  // Upstream's V2 ids: sb- and a ULID (Crockford base32), which clients tell from V1's.
  EXPECT_TRUE(std::regex_match(sb.sandbox_id(), std::regex("sb-[0-7][0-9A-HJKMNP-TV-Z]{25}")))
      << sb.sandbox_id();
  EXPECT_FALSE(sb.task_id().empty());
  EXPECT_EQ(sb.metadata().app_id(), app_id_);
  ASSERT_FALSE(sb.command_router_access().jwt().empty());
  EXPECT_EQ(sb.command_router_access().url(), "https://" + emu_->address());

  // The reply's JWT is accepted by the router at once: an exec without any other call.
  tcr::TaskExecStartRequest start;
  start.set_task_id(sb.task_id());
  start.set_exec_id("first");
  for (char const* a : {"echo", "hi"}) start.add_command_args(a);
  start.set_stdout_config(tcr::TASK_EXEC_STDOUT_CONFIG_PIPE);
  tcr::TaskExecStartResponse started;
  auto st = router_->TaskExecStart(rctx(sb.command_router_access().jwt()).get(), start, &started);
  ASSERT_TRUE(st.ok()) << st.error_message();
  tcr::TaskExecStdioReadRequest read;
  read.set_task_id(sb.task_id());
  read.set_exec_id("first");
  read.set_file_descriptor(tcr::TASK_EXEC_STDIO_FILE_DESCRIPTOR_STDOUT);
  auto c = rctx(sb.command_router_access().jwt());
  auto reader = router_->TaskExecStdioRead(c.get(), read);
  std::string out;
  tcr::TaskExecStdioReadResponse msg;
  while (reader->Read(&msg)) out += msg.data();
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_EQ(out, "hi\n");

  // SandboxGetTaskIdV2 answers the same task.
  modal::client::SandboxGetTaskIdRequest tid;
  tid.set_sandbox_id(sb.sandbox_id());
  modal::client::SandboxGetTaskIdResponse tid_resp;
  ASSERT_TRUE(stub().SandboxGetTaskIdV2(ctx().get(), tid, &tid_resp).ok());
  EXPECT_EQ(tid_resp.task_id(), sb.task_id());
}

TEST_F(SandboxV2Test, EachApiSeesOnlyItsOwnSandboxesButListV2SeesBoth) {
  auto v2 = create_v2(v2_request({"sleep", "100"})).sandbox_id();
  auto v1 = create_v1({"sleep", "100"});

  modal::client::SandboxWaitRequest w;
  w.set_timeout(0);
  modal::client::SandboxWaitResponse wr;
  w.set_sandbox_id(v2);
  EXPECT_EQ(stub().SandboxWait(ctx().get(), w, &wr).error_code(), grpc::StatusCode::NOT_FOUND);
  w.set_sandbox_id(v1);
  EXPECT_EQ(stub().SandboxWaitV2(ctx().get(), w, &wr).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(stub().SandboxWait(ctx().get(), w, &wr).ok());
  modal::client::SandboxGetTaskIdRequest t;
  t.set_sandbox_id(v2);
  modal::client::SandboxGetTaskIdResponse tr;
  EXPECT_EQ(stub().SandboxGetTaskId(ctx().get(), t, &tr).error_code(), grpc::StatusCode::NOT_FOUND);

  auto ids = [&](bool list_v2) {
    modal::client::SandboxListRequest req;
    req.set_app_id(app_id_);
    modal::client::SandboxListResponse resp;
    auto st = list_v2 ? stub().SandboxListV2(ctx().get(), req, &resp)
                      : stub().SandboxList(ctx().get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    std::vector<std::string> out;
    for (auto const& info : resp.sandboxes()) out.push_back(info.id());
    return out;
  };
  EXPECT_EQ(ids(false), std::vector<std::string>{v1});
  EXPECT_EQ(ids(true), (std::vector<std::string>{v1, v2}));  // newest first
}

TEST_F(SandboxV2Test, WaitPollAndTerminate) {
  auto sb = create_v2(v2_request({"sleep", "100"}));
  EXPECT_FALSE(wait_v2(sb.sandbox_id(), 0).has_value());
  modal::client::SandboxTerminateRequest term;
  term.set_sandbox_id(sb.sandbox_id());
  modal::client::SandboxTerminateResponse term_resp;
  ASSERT_TRUE(stub().SandboxTerminateV2(ctx().get(), term, &term_resp).ok());
  auto result = wait_v2(sb.sandbox_id(), 10);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status(), GenericResult::GENERIC_STATUS_TERMINATED);
  // Terminating again reports the existing result.
  ASSERT_TRUE(stub().SandboxTerminateV2(ctx().get(), term, &term_resp).ok());
  EXPECT_EQ(term_resp.existing_result().status(), GenericResult::GENERIC_STATUS_TERMINATED);

  auto exits = create_v2(v2_request({"sh", "-c", "exit 3"}));
  result = wait_v2(exits.sandbox_id(), 30);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status(), GenericResult::GENERIC_STATUS_FAILURE);
  EXPECT_EQ(result->exitcode(), 3);
}

TEST_F(SandboxV2Test, FromNameFindsRunningOnesAndWithIncludeTerminatedTheLatestFinished) {
  auto lookup = [&](bool include_terminated, std::string* id) {
    modal::client::SandboxGetFromNameRequest req;
    req.set_app_name("v2-test");
    req.set_sandbox_name("worker");
    req.set_include_terminated(include_terminated);
    modal::client::SandboxGetFromNameResponse resp;
    auto st = stub().SandboxGetFromNameV2(ctx().get(), req, &resp);
    *id = resp.sandbox_id();
    return st.error_code();
  };
  std::string id;
  EXPECT_EQ(lookup(true, &id), grpc::StatusCode::NOT_FOUND);
  auto first = create_v2(v2_request({"true"}, "worker")).sandbox_id();
  ASSERT_TRUE(wait_v2(first, 30).has_value());
  EXPECT_EQ(lookup(false, &id), grpc::StatusCode::NOT_FOUND);  // not running
  ASSERT_EQ(lookup(true, &id), grpc::StatusCode::OK);
  EXPECT_EQ(id, first);
  auto second = create_v2(v2_request({"true"}, "worker")).sandbox_id();
  ASSERT_TRUE(wait_v2(second, 30).has_value());
  ASSERT_EQ(lookup(true, &id), grpc::StatusCode::OK);
  EXPECT_EQ(id, second);  // the latest
  auto running = create_v2(v2_request({"sleep", "100"}, "worker")).sandbox_id();
  ASSERT_EQ(lookup(false, &id), grpc::StatusCode::OK);
  EXPECT_EQ(id, running);
  // A running name is taken for V2 and V1 alike.
  modal::client::SandboxCreateV2Response dup;
  EXPECT_EQ(stub().SandboxCreateV2(ctx().get(), v2_request({"true"}, "worker"), &dup).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  // V1's lookup does not see V2 Sandboxes.
  modal::client::SandboxGetFromNameRequest v1req;
  v1req.set_app_name("v2-test");
  v1req.set_sandbox_name("worker");
  modal::client::SandboxGetFromNameResponse v1resp;
  EXPECT_EQ(stub().SandboxGetFromName(ctx().get(), v1req, &v1resp).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(SandboxV2Test, TagsTunnelsAndConnectTokens) {
  auto req = v2_request({"sleep", "100"});
  req.mutable_definition()->mutable_open_ports()->add_ports()->set_port(8080);
  auto* tag = req.add_tags();
  tag->set_tag_name("team");
  tag->set_tag_value("a");
  auto sb = create_v2(req);
  ASSERT_EQ(sb.tunnels_size(), 1);  // in the reply: no SandboxGetTunnelsV2 needed
  EXPECT_EQ(sb.tunnels(0).container_port(), 8080u);

  modal::client::SandboxTagsGetRequest get;
  get.set_sandbox_id(sb.sandbox_id());
  modal::client::SandboxTagsGetResponse tags;
  ASSERT_TRUE(stub().SandboxTagsGetV2(ctx().get(), get, &tags).ok());
  ASSERT_EQ(tags.tags_size(), 1);
  EXPECT_EQ(tags.tags(0).tag_value(), "a");
  modal::client::SandboxTagsSetRequest set;
  set.set_sandbox_id(sb.sandbox_id());
  auto* t = set.add_tags();
  t->set_tag_name("team");
  t->set_tag_value("b");
  google::protobuf::Empty empty;
  ASSERT_TRUE(stub().SandboxTagsSetV2(ctx().get(), set, &empty).ok());
  tags.Clear();
  ASSERT_TRUE(stub().SandboxTagsGetV2(ctx().get(), get, &tags).ok());
  EXPECT_EQ(tags.tags(0).tag_value(), "b");
  EXPECT_EQ(stub().SandboxTagsGet(ctx().get(), get, &tags).error_code(),
            grpc::StatusCode::NOT_FOUND);

  modal::client::SandboxGetTunnelsRequest tun;
  tun.set_sandbox_id(sb.sandbox_id());
  tun.set_timeout(5);
  modal::client::SandboxGetTunnelsResponse tunnels;
  ASSERT_TRUE(stub().SandboxGetTunnelsV2(ctx().get(), tun, &tunnels).ok());
  EXPECT_EQ(tunnels.result().status(), GenericResult::GENERIC_STATUS_SUCCESS);
  ASSERT_EQ(tunnels.tunnels_size(), 1);
  EXPECT_EQ(tunnels.tunnels(0).container_port(), 8080u);

  modal::client::SandboxCreateConnectTokenRequest tok;
  tok.set_sandbox_id(sb.sandbox_id());
  modal::client::SandboxCreateConnectTokenResponse token;
  ASSERT_TRUE(stub().SandboxCreateConnectTokenV2(ctx().get(), tok, &token).ok());
  EXPECT_FALSE(token.token().empty());
  EXPECT_EQ(token.url(), "http://127.0.0.1:8080");
}

TEST_F(SandboxV2Test, EnvironmentIsDefinitionThenEphemeralSecretsThenSecretSources) {
  modal::client::SecretGetOrCreateRequest sreq;
  sreq.set_object_creation_type(modal::client::OBJECT_CREATION_TYPE_EPHEMERAL);
  (*sreq.mutable_env_dict())["FROM_SECRET"] = "s3cr3t";
  (*sreq.mutable_env_dict())["ORDER"] = "secret";
  modal::client::SecretGetOrCreateResponse secret;
  ASSERT_TRUE(stub().SecretGetOrCreate(ctx().get(), sreq, &secret).ok());
  auto req = v2_request({"sh", "-c", "echo $FROM_SECRET $ORDER $EPH $PLAIN"});
  (*req.mutable_ephemeral_secrets()->mutable_contents())["EPH"] = "eph";
  (*req.mutable_ephemeral_secrets()->mutable_contents())["ORDER"] = "eph";
  auto* plain = req.add_secret_sources()->mutable_env()->mutable_contents();
  (*plain)["PLAIN"] = "plain";
  req.add_secret_sources()->set_secret_id(secret.secret_id());  // last: its ORDER wins
  auto sb = create_v2(req);
  ASSERT_TRUE(wait_v2(sb.sandbox_id(), 30).has_value());
  EXPECT_EQ(read_stdio(sb).data, "s3cr3t secret eph plain\n");

  auto missing = v2_request({"true"});
  missing.add_secret_sources()->set_secret_id("st-missing");
  modal::client::SandboxCreateV2Response resp;
  EXPECT_EQ(stub().SandboxCreateV2(ctx().get(), missing, &resp).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(SandboxV2Test, GpusAreRefused) {
  auto req = v2_request({"true"});
  req.mutable_definition()->mutable_resources()->mutable_gpu_config()->set_count(1);
  req.mutable_definition()->mutable_resources()->mutable_gpu_config()->set_gpu_type("A10G");
  modal::client::SandboxCreateV2Response resp;
  EXPECT_EQ(stub().SandboxCreateV2(ctx().get(), req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(SandboxV2Test, StdioReadsByOffsetAndEndsWithTheStream) {
  auto sb = create_v2(v2_request({"sh", "-c", "printf hello; printf oops >&2"}));
  ASSERT_TRUE(wait_v2(sb.sandbox_id(), 30).has_value());
  auto all = read_stdio(sb);
  ASSERT_TRUE(all.status.ok()) << all.status.error_message();
  EXPECT_EQ(all.data, "hello");
  ASSERT_FALSE(all.starts.empty());
  EXPECT_EQ(all.starts.front(), 0u);
  auto rest = read_stdio(sb, false, 2);  // a resumed read
  EXPECT_EQ(rest.data, "llo");
  ASSERT_FALSE(rest.starts.empty());
  EXPECT_EQ(rest.starts.front(), 2u);
  EXPECT_EQ(read_stdio(sb, true).data, "oops");
  EXPECT_EQ(read_stdio(sb, false, 99).status.error_code(), grpc::StatusCode::OUT_OF_RANGE);
}

TEST_F(SandboxV2Test, StdinIsOffsetAddressedAndRetriesAreAppliedOnce) {
  auto sb = create_v2(v2_request({"cat"}));
  ASSERT_TRUE(write_stdin(sb, 0, "abc").ok());
  ASSERT_TRUE(write_stdin(sb, 2, "cdef").ok());  // a retry overlapping what arrived
  EXPECT_EQ(write_stdin(sb, 10, "gap").error_code(), grpc::StatusCode::OUT_OF_RANGE);
  ASSERT_TRUE(write_stdin(sb, 6, "", true).ok());
  auto result = wait_v2(sb.sandbox_id(), 30);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->exitcode(), 0);
  EXPECT_EQ(read_stdio(sb).data, "abcdef");
  // Exited on its own: a late write is a pipe without a reader, accepted and dropped.
  EXPECT_TRUE(write_stdin(sb, 6, "late", true).ok());

  auto killed = create_v2(v2_request({"sleep", "100"}));
  modal::client::SandboxTerminateRequest term;
  term.set_sandbox_id(killed.sandbox_id());
  modal::client::SandboxTerminateResponse term_resp;
  ASSERT_TRUE(stub().SandboxTerminateV2(ctx().get(), term, &term_resp).ok());
  EXPECT_EQ(write_stdin(killed, 0, "x").error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(SandboxV2Test, MemorySnapshotsThroughTheRouterAreRefusedWithTheReason) {
  auto snapshot = [&](modal::client::SandboxCreateV2Response const& sb) {
    tcr::TaskSnapshotMemoryRequest req;
    req.set_task_id(sb.task_id());
    req.set_idempotency_key("k1");
    tcr::TaskSnapshotMemoryResponse resp;
    return router_->TaskSnapshotMemory(rctx(sb.command_router_access().jwt()).get(), req, &resp);
  };
  auto plain = snapshot(create_v2(v2_request({"sleep", "100"})));
  EXPECT_EQ(plain.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(plain.error_message().find("not created with memory snapshots enabled"),
            std::string::npos);
  auto req = v2_request({"sleep", "100"});
  req.mutable_definition()->set_enable_snapshot(true);
  auto enabled = snapshot(create_v2(req));
  EXPECT_EQ(enabled.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(enabled.error_message().find("memory snapshots are not supported"), std::string::npos);

  modal::client::SandboxRestoreV2Request restore;
  restore.set_snapshot_id("sn-unknown");
  modal::client::SandboxRestoreV2Response restored;
  EXPECT_EQ(stub().SandboxRestoreV2(ctx().get(), restore, &restored).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

// npm modal 0.11 creates a V2 Sandbox's sidecars through the control plane: the same
// sidecar as the router's TaskContainerCreate, from the definition's fields.
TEST_F(SandboxV2Test, SandboxContainerCreateV2StartsASidecar) {
  auto sb = create_v2(v2_request({"sleep", "100"}));
  modal::client::SandboxContainerCreateV2Request req;
  req.set_sandbox_id(sb.sandbox_id());
  req.set_container_name("side");
  req.mutable_definition()->set_image_id(image_id_);
  for (char const* a : {"sleep", "100"}) req.mutable_definition()->add_entrypoint_args(a);
  (*req.mutable_ephemeral_secrets()->mutable_contents())["A"] = "from-ephemeral";
  (*req.add_secret_sources()->mutable_env()->mutable_contents())["B"] = "from-source";
  modal::client::SandboxContainerCreateV2Response created;
  auto st = stub().SandboxContainerCreateV2(ctx().get(), req, &created);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(created.container_name(), "side");
  ASSERT_FALSE(created.container_id().empty());

  // The router knows it, and an exec in it sees its environment.
  tcr::TaskContainerGetRequest get;
  get.set_task_id(sb.task_id());
  get.set_container_name("side");
  tcr::TaskContainerGetResponse got;
  ASSERT_TRUE(
      router_->TaskContainerGet(rctx(sb.command_router_access().jwt()).get(), get, &got).ok());
  EXPECT_EQ(got.container().container_id(), created.container_id());
  tcr::TaskExecStartRequest start;
  start.set_task_id(sb.task_id());
  start.set_exec_id("in-side");
  start.set_container_id(created.container_id());
  for (char const* a : {"sh", "-c", "echo $A $B"}) start.add_command_args(a);
  start.set_stdout_config(tcr::TASK_EXEC_STDOUT_CONFIG_PIPE);
  tcr::TaskExecStartResponse started;
  st = router_->TaskExecStart(rctx(sb.command_router_access().jwt()).get(), start, &started);
  ASSERT_TRUE(st.ok()) << st.error_message();
  tcr::TaskExecStdioReadRequest read;
  read.set_task_id(sb.task_id());
  read.set_exec_id("in-side");
  read.set_file_descriptor(tcr::TASK_EXEC_STDIO_FILE_DESCRIPTOR_STDOUT);
  auto c = rctx(sb.command_router_access().jwt());
  auto reader = router_->TaskExecStdioRead(c.get(), read);
  std::string out;
  tcr::TaskExecStdioReadResponse msg;
  while (reader->Read(&msg)) out += msg.data();
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_EQ(out, "from-ephemeral from-source\n");

  // The same name again is ALREADY_EXISTS; a V1 Sandbox's id is not this backend's.
  EXPECT_EQ(stub().SandboxContainerCreateV2(ctx().get(), req, &created).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  req.set_sandbox_id(create_v1({"sleep", "100"}));
  EXPECT_EQ(stub().SandboxContainerCreateV2(ctx().get(), req, &created).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace modal::emulator::testing
