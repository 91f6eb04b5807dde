// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// The emulator's task command router, through raw generated stubs: access, exec start
// (idempotent), offset-addressed output with resume and back-pressure, exactly-once stdin,
// wait/poll, PTY, timeouts, JWT checks and the exec fault knobs.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "router_test_util.h"

namespace modal::emulator::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using Clock = std::chrono::steady_clock;

nlohmann::json jwt_payload(std::string const& jwt) {
  std::vector<std::string> parts = absl::StrSplit(jwt, '.');
  EXPECT_EQ(parts.size(), 3u);
  std::string json;
  EXPECT_TRUE(absl::WebSafeBase64Unescape(parts.at(1), &json));
  return nlohmann::json::parse(json);
}

class RouterExecTest : public RouterTest {};

TEST_F(RouterExecTest, AccessNamesTheEmulatorPortOverHttpsWithATaskJwt) {
  EXPECT_EQ(access_.url(), "https://" + emu_->address());
  auto const payload = jwt_payload(access_.jwt());
  EXPECT_EQ(payload.at("sub"), task_id_);
  double const now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_NEAR(payload.at("exp").get<double>(), now + 3600, 60);
  EXPECT_EQ(router_access("ta-doesnotexist").error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(RouterExecTest, RunsACommandAndReportsItsOutputAndExitCode) {
  start_ok("e1", {"sh", "-c", "echo out; echo err >&2; exit 42"});
  EXPECT_EQ(wait("e1"), 42);
  auto out = read("e1");
  EXPECT_TRUE(out.status.ok()) << out.status.error_message();
  EXPECT_EQ(out.data, "out\n");
  auto err = read("e1", 0, /*err=*/true);
  EXPECT_TRUE(err.status.ok());
  EXPECT_EQ(err.data, "err\n");
}

TEST_F(RouterExecTest, ASignalIsReportedAsSignal) {
  start_ok("e1", {"sh", "-c", "kill -9 $$"});
  tcr::TaskExecWaitRequest req;
  req.set_task_id(task_id_);
  req.set_exec_id("e1");
  tcr::TaskExecWaitResponse resp;
  ASSERT_TRUE(router_->TaskExecWait(rctx().get(), req, &resp).ok());
  ASSERT_EQ(resp.exit_status_case(), tcr::TaskExecWaitResponse::kSignal);
  EXPECT_EQ(resp.signal(), 9);
}

TEST_F(RouterExecTest, StartIsIdempotentPerExecId) {
  auto req = start_request("once", {"sh", "-c", "echo x >> started"});
  ASSERT_TRUE(start(req).ok());
  ASSERT_TRUE(start(req).ok());  // a retry of the same exec
  EXPECT_EQ(wait("once"), 0);
  start_ok("count", {"cat", "started"});
  EXPECT_EQ(wait("count"), 0);
  EXPECT_EQ(read("count").data, "x\n");
}

TEST_F(RouterExecTest, OutputCanBeReadFromAnyOffsetNotYetAcknowledged) {
  start_ok("e1", {"sh", "-c", "printf 0123456789"});
  EXPECT_EQ(wait("e1"), 0);
  EXPECT_EQ(read("e1", 4).data, "456789");
  EXPECT_EQ(read("e1", 6).data, "6789");
  EXPECT_EQ(read("e1", 10).data, "");
  // Bytes before an offset already read at are acknowledged and may be gone.
  auto gone = read("e1", 0);
  EXPECT_EQ(gone.status.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_EQ(read("e1", 11).status.error_code(), grpc::StatusCode::OUT_OF_RANGE);
}

TEST_F(RouterExecTest, MessagesAreLargeForThroughput) {
  start_ok("big", {"head", "-c", "16777216", "/dev/zero"});
  auto out = read("big");
  ASSERT_TRUE(out.status.ok()) << out.status.error_message();
  EXPECT_EQ(out.data.size(), 16u << 20);
  EXPECT_GE(out.largest, 1u << 20);
  EXPECT_LE(out.largest, 4u << 20);
  EXPECT_EQ(wait("big"), 0);
}

TEST_F(RouterExecTest, BreakStdioEveryEndsStreamsAfterThatManyBytes) {
  emu_->break_stdio_every(1000);
  start_ok("e1", {"head", "-c", "2500", "/dev/zero"});
  EXPECT_EQ(wait("e1"), 0);
  auto first = read("e1", 0);
  EXPECT_EQ(first.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(first.data.size(), 1000u);
  auto second = read("e1", 1000);
  EXPECT_EQ(second.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(second.data.size(), 1000u);
  auto last = read("e1", 2000);
  EXPECT_TRUE(last.status.ok());
  EXPECT_EQ(last.data.size(), 500u);
  emu_->break_stdio_every(0);
}

TEST_F(RouterExecTest, UnreadOutputSpillsToDiskSoAClientCanWaitBeforeReading) {
  // What Modal's Go and JS SDKs do (their filesystem reads above all): TaskExecWait first,
  // then TaskExecStdioRead. 64 MiB exceeds the in-memory bound (40 MiB); the rest goes to
  // the state directory instead of pausing the process, so the wait returns.
  start_ok("e1", {"head", "-c", "67108864", "/dev/urandom"});
  EXPECT_EQ(wait("e1"), 0);
  auto out = read("e1");
  ASSERT_TRUE(out.status.ok()) << out.status.error_message();
  EXPECT_EQ(out.data.size(), 64u << 20);
  start_ok("zeros", {"head", "-c", "67108864", "/dev/zero"});
  EXPECT_EQ(wait("zeros"), 0);
  auto zeros = read("zeros");
  ASSERT_TRUE(zeros.status.ok());
  EXPECT_EQ(zeros.data, std::string(64u << 20, '\0'));
}

TEST_F(RouterExecTest, StdinOffsetsAreAppliedExactlyOnce) {
  start_ok("cat", {"cat"});
  ASSERT_TRUE(write_stdin("cat", 0, "abc").ok());
  ASSERT_TRUE(write_stdin("cat", 0, "abc").ok());    // retried: skipped
  ASSERT_TRUE(write_stdin("cat", 1, "bcdef").ok());  // overlapping: only "def" is new
  EXPECT_EQ(write_stdin("cat", 10, "x").error_code(), grpc::StatusCode::OUT_OF_RANGE);  // gap
  tcr::TaskExecStdinStatusRequest sreq;
  sreq.set_task_id(task_id_);
  sreq.set_exec_id("cat");
  tcr::TaskExecStdinStatusResponse status;
  ASSERT_TRUE(router_->TaskExecStdinStatus(rctx().get(), sreq, &status).ok());
  EXPECT_EQ(status.num_bytes_written(), 6u);
  EXPECT_FALSE(status.closed());
  ASSERT_TRUE(write_stdin("cat", 6, "", /*eof=*/true).ok());
  ASSERT_TRUE(router_->TaskExecStdinStatus(rctx().get(), sreq, &status).ok());
  EXPECT_TRUE(status.closed());
  EXPECT_EQ(wait("cat"), 0);
  EXPECT_EQ(read("cat").data, "abcdef");
}

/// One TaskExecStdinWriteStream: `start` at `offset`, then `payloads` (nullopt = `end`).
grpc::Status write_stream(tcr::TaskCommandRouter::Stub& stub, grpc::ClientContext* ctx,
                          std::string const& task_id, std::string const& exec_id,
                          std::uint64_t offset,
                          std::vector<std::optional<std::string>> const& payloads,
                          bool start = true) {
  tcr::TaskExecStdinWriteStreamResponse resp;
  auto writer = stub.TaskExecStdinWriteStream(ctx, &resp);
  tcr::TaskExecStdinWriteStreamRequest msg;
  if (start) {
    msg.mutable_start()->set_task_id(task_id);
    msg.mutable_start()->set_exec_id(exec_id);
    msg.mutable_start()->set_offset(offset);
    writer->Write(msg);
  }
  for (auto const& p : payloads) {
    msg.Clear();
    if (p) {
      msg.set_data(*p);
    } else {
      msg.mutable_end();
    }
    if (!writer->Write(msg)) break;
  }
  writer->WritesDone();
  return writer->Finish();
}

TEST_F(RouterExecTest, StdinWriteStreamsResumeAtTheAcceptedOffsetAndOnlyEndCloses) {
  start_ok("cat", {"cat"});
  ASSERT_TRUE(write_stream(*router_, rctx().get(), task_id_, "cat", 0, {"abc", "def"}).ok());
  tcr::TaskExecStdinStatusRequest sreq;
  sreq.set_task_id(task_id_);
  sreq.set_exec_id("cat");
  tcr::TaskExecStdinStatusResponse status;
  ASSERT_TRUE(router_->TaskExecStdinStatus(rctx().get(), sreq, &status).ok());
  EXPECT_EQ(status.num_bytes_written(), 6u);
  EXPECT_FALSE(status.closed());  // no `end`: stdin stays open for a resume
  // A resume from an earlier offset skips what was accepted; a gap is refused.
  ASSERT_TRUE(write_stream(*router_, rctx().get(), task_id_, "cat", 3, {"defgh"}).ok());
  EXPECT_EQ(write_stream(*router_, rctx().get(), task_id_, "cat", 99, {"x"}).error_code(),
            grpc::StatusCode::OUT_OF_RANGE);
  ASSERT_TRUE(write_stream(*router_, rctx().get(), task_id_, "cat", 8, {"!", std::nullopt}).ok());
  ASSERT_TRUE(router_->TaskExecStdinStatus(rctx().get(), sreq, &status).ok());
  EXPECT_EQ(status.num_bytes_written(), 9u);
  EXPECT_TRUE(status.closed());
  EXPECT_EQ(wait("cat"), 0);
  EXPECT_EQ(read("cat").data, "abcdefgh!");
  // A stray EOF after the exec ended (what the SDKs send when a watch stops) is fine.
  EXPECT_TRUE(write_stdin("cat", 0, "", /*eof=*/true).ok());
}

TEST_F(RouterExecTest, StdinWriteStreamsRejectMalformedStreams) {
  start_ok("cat", {"cat"});
  EXPECT_EQ(
      write_stream(*router_, rctx().get(), task_id_, "cat", 0, {"x"}, /*start=*/false).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(write_stream(*router_, rctx().get(), task_id_, "nope", 0, {"x"}).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(write_stream(*router_, rctx("not-a-jwt").get(), task_id_, "cat", 0, {"x"}).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // Data after `end` would be lost: refused.
  EXPECT_EQ(
      write_stream(*router_, rctx().get(), task_id_, "cat", 0, {std::nullopt, "late"}).error_code(),
      grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(wait("cat"), 0);
}

TEST_F(RouterExecTest, BreakStdinStreamsEveryCutsStreamsMidMessage) {
  start_ok("cat", {"cat"});
  emu_->break_stdin_streams_every(5);
  auto st = write_stream(*router_, rctx().get(), task_id_, "cat", 0, {"abc", "defgh"});
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(st.error_message(), HasSubstr("after 5 bytes"));
  emu_->break_stdin_streams_every(0);
  ASSERT_TRUE(write_stream(*router_, rctx().get(), task_id_, "cat", 5, {"fgh", std::nullopt}).ok());
  EXPECT_EQ(wait("cat"), 0);
  EXPECT_EQ(read("cat").data, "abcdefgh");
}

TEST_F(RouterExecTest, PtyExecRunsOnATerminal) {
  auto req = start_request("tty", {"sh", "-c", "test -t 0 && test -t 1 && echo tty-$TERM"});
  req.mutable_pty_info()->set_enabled(true);
  req.mutable_pty_info()->set_env_term("xterm-256color");
  ASSERT_TRUE(start(req).ok());
  EXPECT_EQ(wait("tty"), 0);
  EXPECT_THAT(read("tty").data, HasSubstr("tty-xterm-256color"));
  start_ok("notty", {"test", "-t", "1"});
  EXPECT_EQ(wait("notty"), 1);
}

TEST_F(RouterExecTest, TimeoutKillsTheProcessGroup) {
  auto req = start_request("slow", {"sh", "-c", "sleep 30 & sleep 30"});
  req.set_timeout_secs(1);
  auto const t0 = Clock::now();
  ASSERT_TRUE(start(req).ok());
  EXPECT_EQ(wait("slow"), 137);
  auto const elapsed = Clock::now() - t0;
  EXPECT_GE(elapsed, std::chrono::milliseconds(950));  // not before its timeout
  // The stream ends too: the background sleep (same process group) is gone.
  EXPECT_TRUE(read("slow").status.ok());
}

TEST_F(RouterExecTest, EnvSecretsAndWorkdir) {
  modal::client::SecretGetOrCreateRequest sreq;
  sreq.set_object_creation_type(modal::client::OBJECT_CREATION_TYPE_EPHEMERAL);
  (*sreq.mutable_env_dict())["FROM_SECRET"] = "s3cr3t";
  (*sreq.mutable_env_dict())["BOTH"] = "secret";
  modal::client::SecretGetOrCreateResponse secret;
  ASSERT_TRUE(control_->stub().SecretGetOrCreate(RawClient::context().get(), sreq, &secret).ok());
  auto req = start_request("env", {"sh", "-c", "echo $FROM_SECRET $BOTH $PLAIN; pwd"});
  req.add_secret_ids(secret.secret_id());
  (*req.mutable_env())["BOTH"] = "env";
  (*req.mutable_env())["PLAIN"] = "plain";
  req.set_workdir("/");
  ASSERT_TRUE(start(req).ok());
  EXPECT_EQ(wait("env"), 0);
  EXPECT_EQ(read("env").data, "s3cr3t env plain\n/\n");

  auto bad = start_request("bad", {"true"});
  bad.add_secret_ids("st-missing");
  EXPECT_EQ(start(bad).error_code(), grpc::StatusCode::NOT_FOUND);
}

// npm modal 0.11.x sends the environment as secret_sources only (proto/README.md): applied in
// order, later entries winning, after the older secret_ids and env fields.
TEST_F(RouterExecTest, SecretSourcesApplyInOrderAfterTheOlderFields) {
  modal::client::SecretGetOrCreateRequest sreq;
  sreq.set_object_creation_type(modal::client::OBJECT_CREATION_TYPE_EPHEMERAL);
  (*sreq.mutable_env_dict())["FROM_SECRET"] = "s3cr3t";
  (*sreq.mutable_env_dict())["ORDER"] = "secret";
  modal::client::SecretGetOrCreateResponse secret;
  ASSERT_TRUE(control_->stub().SecretGetOrCreate(RawClient::context().get(), sreq, &secret).ok());
  auto req = start_request("src", {"sh", "-c", "echo $FROM_SECRET $ORDER $OLD $PLAIN"});
  (*req.mutable_env())["OLD"] = "old";
  (*req.mutable_env())["ORDER"] = "old";
  auto* plain = req.add_secret_sources()->mutable_env()->mutable_contents();
  (*plain)["PLAIN"] = "plain";
  (*plain)["ORDER"] = "plain";
  req.add_secret_sources()->set_secret_id(secret.secret_id());  // last: its ORDER wins
  ASSERT_TRUE(start(req).ok());
  EXPECT_EQ(wait("src"), 0);
  EXPECT_EQ(read("src").data, "s3cr3t secret old plain\n");

  auto missing = start_request("missing", {"true"});
  missing.add_secret_sources()->set_secret_id("st-missing");
  EXPECT_EQ(start(missing).error_code(), grpc::StatusCode::NOT_FOUND);
  auto empty = start_request("empty", {"true"});
  empty.add_secret_sources();
  auto status = start(empty);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("secret_sources[0]"));
}

TEST_F(RouterExecTest, AMissingCommandFailsLikeAShell) {
  start_ok("nope", {"definitely-not-a-command-xyz"});
  EXPECT_EQ(wait("nope"), 127);
  EXPECT_THAT(read("nope", 0, true).data, HasSubstr("definitely-not-a-command-xyz"));
}

TEST_F(RouterExecTest, UnknownExecsAndTasks) {
  EXPECT_EQ(read("missing").status.error_code(), grpc::StatusCode::NOT_FOUND);
  auto req = start_request("x", {"true"});
  req.set_task_id("ta-other");
  EXPECT_EQ(start(req).error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(RouterExecTest, RouterCallsNeedTheJwt) {
  EXPECT_EQ(start(start_request("x", {"true"})).error_code(), grpc::StatusCode::OK);
  auto ctx = std::make_unique<grpc::ClientContext>();
  tcr::TaskExecStartResponse resp;
  EXPECT_EQ(router_->TaskExecStart(ctx.get(), start_request("y", {"true"}), &resp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(router_->TaskExecStart(rctx("not-a-jwt").get(), start_request("y", {"true"}), &resp)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(RouterExecTest, ExpiredTokensAreRejectedAlsoMidStream) {
  start_ok("e1", {"sh", "-c", "printf start; sleep 30"});
  tcr::TaskExecStdioReadRequest req;
  req.set_task_id(task_id_);
  req.set_exec_id("e1");
  auto ctx = rctx();
  auto reader = router_->TaskExecStdioRead(ctx.get(), req);
  tcr::TaskExecStdioReadResponse msg;
  ASSERT_TRUE(reader->Read(&msg));
  EXPECT_EQ(msg.data(), "start");
  emu_->expire_router_tokens();
  EXPECT_FALSE(reader->Read(&msg));
  auto st = reader->Finish();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  // New calls with the old JWT fail; a fresh one works.
  EXPECT_EQ(start(start_request("e2", {"true"})).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  ASSERT_TRUE(router_access(task_id_).ok());
  jwt_ = access_.jwt();
  EXPECT_TRUE(start(start_request("e2", {"true"})).ok());
  EXPECT_EQ(read("e1", 5, false, std::nullopt, std::chrono::milliseconds(300)).status.error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED)
      << "still running (sleep 30): the fresh JWT reads on, until the call's deadline";
}

TEST_F(RouterExecTest, InjectedFaultsFailRouterCalls) {
  Fault f;
  f.count = 2;
  f.code = 14;
  emu_->inject_fault("TaskExecStart", f);
  EXPECT_EQ(start(start_request("x", {"true"})).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(start(start_request("x", {"true"})).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(start(start_request("x", {"true"})).ok());
}

class RouterReadyTest : public RouterTest {
 protected:
  modal::client::Sandbox definition() override {
    modal::client::Sandbox def;
    auto* probe = def.mutable_readiness_probe();
    probe->mutable_exec_command()->add_argv("test");
    probe->mutable_exec_command()->add_argv("-f");
    probe->mutable_exec_command()->add_argv("ready");
    probe->set_interval_ms(20);
    return def;
  }
  grpc::Status wait_ready(float timeout, tcr::SandboxWaitUntilReadyTcrResponse* resp) {
    tcr::SandboxWaitUntilReadyTcrRequest req;
    req.set_task_id(task_id_);
    req.set_timeout(timeout);
    return router_->SandboxWaitUntilReady(rctx().get(), req, resp);
  }
};

TEST_F(RouterReadyTest, WaitsForTheProbe) {
  tcr::SandboxWaitUntilReadyTcrResponse resp;
  auto const t0 = Clock::now();
  EXPECT_EQ(wait_ready(0.3f, &resp).error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_GE(Clock::now() - t0, std::chrono::milliseconds(250));
  start_ok("touch", {"touch", "ready"});
  EXPECT_EQ(wait("touch"), 0);
  ASSERT_TRUE(wait_ready(10, &resp).ok());
  double const now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_NEAR(resp.ready_at(), now, 10);
  EXPECT_EQ(wait_ready(0, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(RouterReadyTest, AReadySandboxAnswersAtOnceEveryTime) {
  start_ok("touch", {"touch", "ready"});
  EXPECT_EQ(wait("touch"), 0);
  tcr::SandboxWaitUntilReadyTcrResponse first, second;
  ASSERT_TRUE(wait_ready(10, &first).ok());
  ASSERT_TRUE(wait_ready(10, &second).ok());
  EXPECT_EQ(second.ready_at(), first.ready_at());  // when it became ready, not when asked
}

TEST_F(RouterReadyTest, ATerminatedSandboxIsAFailedPrecondition) {
  start_ok("touch", {"touch", "ready"});
  EXPECT_EQ(wait("touch"), 0);
  tcr::SandboxWaitUntilReadyTcrResponse resp;
  ASSERT_TRUE(wait_ready(10, &resp).ok());
  modal::client::SandboxTerminateRequest term;
  term.set_sandbox_id(sandbox_id_);
  modal::client::SandboxTerminateResponse term_resp;
  ASSERT_TRUE(control_->stub().SandboxTerminate(RawClient::context().get(), term, &term_resp).ok());
  auto const st = wait_ready(10, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(st.error_message(), HasSubstr("Sandbox " + sandbox_id_ + " has already terminated"));
}

TEST_F(RouterReadyTest, FinishingBeforeReadyIsAFailedPrecondition) {
  // Terminated while a wait is in progress (the probe never passes).
  std::thread terminator([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    modal::client::SandboxTerminateRequest term;
    term.set_sandbox_id(sandbox_id_);
    modal::client::SandboxTerminateResponse term_resp;
    EXPECT_TRUE(
        control_->stub().SandboxTerminate(RawClient::context().get(), term, &term_resp).ok());
  });
  tcr::SandboxWaitUntilReadyTcrResponse resp;
  auto const st = wait_ready(30, &resp);
  terminator.join();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(st.error_message(), HasSubstr("Sandbox " + sandbox_id_));
}

TEST_F(RouterExecTest, WaitingOnASandboxWithoutAProbeIsAFailedPrecondition) {
  // Modal's guide: wait_until_ready on a Sandbox configured without a readiness probe
  // raises an error (it does not return at once, nor wait for the timeout).
  tcr::SandboxWaitUntilReadyTcrRequest req;
  req.set_task_id(task_id_);
  req.set_timeout(3600);
  tcr::SandboxWaitUntilReadyTcrResponse resp;
  auto const st = router_->SandboxWaitUntilReady(rctx().get(), req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(st.error_message(), HasSubstr("Sandbox " + sandbox_id_ + " has no readiness probe"));
  // A request that is itself invalid is still INVALID_ARGUMENT.
  req.set_timeout(0);
  EXPECT_EQ(router_->SandboxWaitUntilReady(rctx().get(), req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace modal::emulator::testing
