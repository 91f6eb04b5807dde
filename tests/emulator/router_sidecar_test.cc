// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Sidecar containers through the task command router's raw generated stubs:
// TaskContainerCreate / Get / List / Terminate / Wait, and TaskExecStart.container_id. A
// sidecar has its own image root and exit status, shares the main container's network
// namespace, and ends with its Sandbox.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "router_test_util.h"

namespace modal::emulator::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

class RouterSidecarTest : public RouterTest {
 protected:
  // The main container has a network namespace of its own (only loopback), so that
  // sharing it is observable.
  modal::client::Sandbox definition() override {
    modal::client::Sandbox def;
    def.set_block_network(true);
    return def;
  }

  void SetUp() override {
    RouterTest::SetUp();
    if (HasFatalFailure()) return;
    image_id_ = build_image({"FROM alpine:3.21", "RUN echo sidecar-root > /sidecar-marker"});
    ASSERT_FALSE(image_id_.empty());
  }

  /// An image built from `commands`, waited for (ImageJoinStreaming); "" on failure.
  std::string build_image(std::vector<std::string> const& commands) {
    modal::client::AppGetOrCreateRequest app_req;
    app_req.set_app_name("router-test");
    app_req.set_object_creation_type(modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING);
    modal::client::AppGetOrCreateResponse app;
    EXPECT_TRUE(control_->stub().AppGetOrCreate(RawClient::context().get(), app_req, &app).ok());
    modal::client::ImageGetOrCreateRequest req;
    req.set_app_id(app.app_id());
    for (auto const& c : commands) req.mutable_image()->add_dockerfile_commands(c);
    modal::client::ImageGetOrCreateResponse img;
    auto st = control_->stub().ImageGetOrCreate(RawClient::context().get(), req, &img);
    EXPECT_TRUE(st.ok()) << st.error_message();
    if (!st.ok()) return "";
    auto const deadline = Clock::now() + std::chrono::seconds(120);
    std::string last_entry;
    while (Clock::now() < deadline) {
      modal::client::ImageJoinStreamingRequest join;
      join.set_image_id(img.image_id());
      join.set_timeout(10);
      join.set_last_entry_id(last_entry);
      auto ctx = RawClient::context();
      ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
      auto reader = control_->stub().ImageJoinStreaming(ctx.get(), join);
      modal::client::ImageJoinStreamingResponse msg;
      while (reader->Read(&msg)) {
        if (!msg.entry_id().empty()) last_entry = msg.entry_id();
        if (msg.result().status() != modal::client::GenericResult::GENERIC_STATUS_UNSPECIFIED) {
          EXPECT_EQ(msg.result().status(), modal::client::GenericResult::GENERIC_STATUS_SUCCESS)
              << msg.result().exception();
          reader->Finish();
          return msg.result().status() == modal::client::GenericResult::GENERIC_STATUS_SUCCESS
                     ? img.image_id()
                     : "";
        }
      }
      reader->Finish();
    }
    ADD_FAILURE() << "the image did not build in time";
    return "";
  }

  tcr::TaskContainerCreateRequest create_request(std::string const& name,
                                                 std::vector<std::string> const& args = {}) {
    tcr::TaskContainerCreateRequest req;
    req.set_task_id(task_id_);
    req.set_container_name(name);
    req.set_image_id(image_id_);
    for (auto const& a : args) req.add_args(a);
    return req;
  }

  grpc::Status create(tcr::TaskContainerCreateRequest const& req,
                      tcr::TaskContainerCreateResponse* resp = nullptr) {
    tcr::TaskContainerCreateResponse ignored;
    return router_->TaskContainerCreate(rctx().get(), req, resp ? resp : &ignored);
  }

  /// Creates a sidecar; its container id.
  std::string create_ok(std::string const& name, std::vector<std::string> const& args = {}) {
    tcr::TaskContainerCreateResponse resp;
    auto st = create(create_request(name, args), &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    EXPECT_EQ(resp.container_name(), name);
    EXPECT_THAT(resp.container_id(), ::testing::StartsWith("ctr-"));
    return resp.container_id();
  }

  /// Runs `script` with sh in the container (`container_id` "" = main): (stdout, exit code).
  std::pair<std::string, int> sh(std::string const& container_id, std::string const& script) {
    std::string const exec_id = "x" + std::to_string(++execs_);
    auto req = start_request(exec_id, {"sh", "-c", script});
    req.set_container_id(container_id);
    auto st = start(req);
    EXPECT_TRUE(st.ok()) << st.error_message();
    if (!st.ok()) return {"", -1000};
    int const code = wait(exec_id);
    return {read(exec_id).data, code};
  }

  grpc::Status container_wait(std::string const& id, float timeout,
                              tcr::TaskContainerWaitResponse* resp) {
    tcr::TaskContainerWaitRequest req;
    req.set_task_id(task_id_);
    req.set_container_id(id);
    req.set_timeout(timeout);
    return router_->TaskContainerWait(rctx().get(), req, resp);
  }

  /// Waits (10 s polls, up to 60 s) for the container's result.
  modal::client::GenericResult wait_result(std::string const& id) {
    auto const deadline = Clock::now() + std::chrono::seconds(60);
    while (Clock::now() < deadline) {
      tcr::TaskContainerWaitResponse resp;
      auto st = container_wait(id, 10, &resp);
      EXPECT_TRUE(st.ok()) << st.error_message();
      if (!st.ok()) break;
      if (resp.has_result()) return resp.result();
    }
    ADD_FAILURE() << "container " << id << " did not finish";
    return {};
  }

  grpc::Status terminate(std::string const& id) {
    tcr::TaskContainerTerminateRequest req;
    req.set_task_id(task_id_);
    req.set_container_id(id);
    tcr::TaskContainerTerminateResponse resp;
    return router_->TaskContainerTerminate(rctx().get(), req, &resp);
  }

  grpc::Status get(std::string const& name, bool include_terminated,
                   tcr::TaskContainerGetResponse* resp) {
    tcr::TaskContainerGetRequest req;
    req.set_task_id(task_id_);
    req.set_container_name(name);
    req.set_include_terminated(include_terminated);
    return router_->TaskContainerGet(rctx().get(), req, resp);
  }

  /// (name, id) of every listed container.
  std::vector<std::pair<std::string, std::string>> list(bool include_terminated) {
    tcr::TaskContainerListRequest req;
    req.set_task_id(task_id_);
    req.set_include_terminated(include_terminated);
    tcr::TaskContainerListResponse resp;
    auto st = router_->TaskContainerList(rctx().get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    std::vector<std::pair<std::string, std::string>> out;
    for (auto const& c : resp.containers()) out.emplace_back(c.container_name(), c.container_id());
    return out;
  }

  std::string image_id_;
  int execs_ = 0;
};

TEST_F(RouterSidecarTest, ASidecarHasItsOwnRootAndSharesTheMainContainersNetwork) {
  std::string const id = create_ok("web", {"sleep", "301"});
  // Its own image: the marker of its RUN step is there, not in the main container's root.
  EXPECT_EQ(sh(id, "cat /sidecar-marker"), std::make_pair(std::string("sidecar-root\n"), 0));
  EXPECT_EQ(sh("", "test -e /sidecar-marker; echo $?").first, "1\n");
  // Writes stay in the container that made them.
  EXPECT_EQ(sh(id, "echo from-sidecar > /tmp/note && cat /tmp/note").first, "from-sidecar\n");
  EXPECT_EQ(sh("", "test -e /tmp/note; echo $?").first, "1\n");
  // Its own process tree (PID namespace): its init is its own command.
  EXPECT_EQ(sh(id, "tr '\\0' ' ' < /proc/1/cmdline").first, "sleep 301 ");
  EXPECT_NE(sh("", "tr '\\0' ' ' < /proc/1/cmdline").first, "sleep 301 ");

  // One network namespace: the same one, the main container's own (not the host's).
  auto const main_ns = sh("", "readlink /proc/self/ns/net").first;
  auto const side_ns = sh(id, "readlink /proc/self/ns/net").first;
  EXPECT_THAT(main_ns, ::testing::StartsWith("net:["));
  EXPECT_EQ(side_ns, main_ns);
  // A server in the main container answers the sidecar on localhost.
  ASSERT_EQ(sh("",
               "mkdir -p /srv && echo served-by-main > /srv/hello && "
               "busybox httpd -p 127.0.0.1:18731 -h /srv && echo up")
                .first,
            "up\n");
  auto [body, code] = sh(id,
                         "i=0; while [ $i -lt 300 ]; do "
                         "busybox wget -q -O - http://127.0.0.1:18731/hello && exit 0; "
                         "i=$((i+1)); sleep 0.1; done; exit 1");
  EXPECT_EQ(code, 0);
  EXPECT_EQ(body, "served-by-main\n");
}

TEST_F(RouterSidecarTest, ArgsEnvSecretsAndWorkdir) {
  modal::client::SecretGetOrCreateRequest sreq;
  sreq.set_object_creation_type(modal::client::OBJECT_CREATION_TYPE_EPHEMERAL);
  (*sreq.mutable_env_dict())["FROM_SECRET"] = "s3cr3t";
  (*sreq.mutable_env_dict())["ORDER"] = "secret";
  modal::client::SecretGetOrCreateResponse secret;
  ASSERT_TRUE(control_->stub().SecretGetOrCreate(RawClient::context().get(), sreq, &secret).ok());

  auto req = create_request(
      "env", {"sh", "-c", "echo $FROM_SECRET $ORDER $PLAIN $SOURCE $MODAL_TASK_ID; pwd; exit 7"});
  req.add_secret_ids(secret.secret_id());
  (*req.mutable_env())["ORDER"] = "env";
  (*req.mutable_env())["PLAIN"] = "plain";
  (*req.add_secret_sources()->mutable_env()->mutable_contents())["SOURCE"] = "source";
  req.set_workdir("/usr");
  tcr::TaskContainerCreateResponse resp;
  ASSERT_TRUE(create(req, &resp).ok());
  auto result = wait_result(resp.container_id());
  EXPECT_EQ(result.status(), modal::client::GenericResult::GENERIC_STATUS_FAILURE);
  EXPECT_EQ(result.exitcode(), 7);

  // Execs get the sidecar's environment and workdir as their defaults.
  auto idle = create_request("idle");
  (*idle.mutable_env())["SIDE"] = "car";
  idle.set_workdir("/usr");
  ASSERT_TRUE(create(idle, &resp).ok());
  EXPECT_EQ(sh(resp.container_id(), "echo $SIDE; pwd").first, "car\n/usr\n");
  EXPECT_EQ(sh("", "echo ${SIDE:-unset}").first, "unset\n");

  // Unknown Secrets are NOT_FOUND and nothing is created.
  auto bad = create_request("bad-secret");
  bad.add_secret_ids("st-missing");
  EXPECT_EQ(create(bad).error_code(), grpc::StatusCode::NOT_FOUND);
  tcr::TaskContainerGetResponse got;
  EXPECT_EQ(get("bad-secret", true, &got).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(RouterSidecarTest, TheEntrypointsOutputGoesNowhereButItsExitCodeIsKept) {
  // A command that exits by itself, one that cannot start, and the sidecar's stdout.
  std::string const ok = create_ok("ok", {"true"});
  std::string const missing = create_ok("missing", {"definitely-not-a-command-xyz"});
  EXPECT_EQ(wait_result(ok).status(), modal::client::GenericResult::GENERIC_STATUS_SUCCESS);
  EXPECT_EQ(wait_result(ok).exitcode(), 0);
  auto const r = wait_result(missing);
  EXPECT_EQ(r.status(), modal::client::GenericResult::GENERIC_STATUS_FAILURE);
  EXPECT_EQ(r.exitcode(), 127);
  EXPECT_THAT(r.exception(), HasSubstr("definitely-not-a-command-xyz"));
}

TEST_F(RouterSidecarTest, GetListAndIncludeTerminated) {
  std::string const worker = create_ok("worker", {"sleep", "300"});
  std::string const oneshot = create_ok("oneshot", {"sh", "-c", "exit 42"});
  EXPECT_EQ(wait_result(oneshot).exitcode(), 42);

  tcr::TaskContainerGetResponse got;
  ASSERT_TRUE(get("worker", false, &got).ok());
  EXPECT_EQ(got.container().container_id(), worker);
  EXPECT_EQ(got.container().container_name(), "worker");
  EXPECT_EQ(got.container().status(), "running");
  EXPECT_FALSE(got.container().has_result());
  // A finished sidecar is found only with include_terminated.
  EXPECT_EQ(get("oneshot", false, &got).error_code(), grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(get("oneshot", true, &got).ok());
  EXPECT_EQ(got.container().container_id(), oneshot);
  EXPECT_EQ(got.container().status(), "terminated");
  EXPECT_EQ(got.container().result().exitcode(), 42);
  // The main container is "main", its id the task's.
  ASSERT_TRUE(get("main", false, &got).ok());
  EXPECT_EQ(got.container().container_id(), task_id_);

  using P = std::pair<std::string, std::string>;
  EXPECT_THAT(list(false), ElementsAre(P{"main", task_id_}, P{"worker", worker}));
  EXPECT_THAT(list(true),
              ElementsAre(P{"main", task_id_}, P{"worker", worker}, P{"oneshot", oneshot}));

  // A finished sidecar's name can be reused; Get then finds the running one, List both.
  std::string const again = create_ok("oneshot", {"sleep", "300"});
  EXPECT_NE(again, oneshot);
  ASSERT_TRUE(get("oneshot", true, &got).ok());
  EXPECT_EQ(got.container().container_id(), again);
  EXPECT_THAT(list(true), ElementsAre(P{"main", task_id_}, P{"worker", worker},
                                      P{"oneshot", oneshot}, P{"oneshot", again}));
}

TEST_F(RouterSidecarTest, TerminateAndWait) {
  std::string const id = create_ok("worker", {"sleep", "300"});
  // Still running: a zero timeout answers at once without a result, a short one after it.
  tcr::TaskContainerWaitResponse resp;
  ASSERT_TRUE(container_wait(id, 0, &resp).ok());
  EXPECT_FALSE(resp.has_result());
  auto const t0 = Clock::now();
  ASSERT_TRUE(container_wait(id, 0.3f, &resp).ok());
  EXPECT_FALSE(resp.has_result());
  EXPECT_GE(Clock::now() - t0, std::chrono::milliseconds(250));

  ASSERT_TRUE(terminate(id).ok());
  auto const r = wait_result(id);
  EXPECT_EQ(r.status(), modal::client::GenericResult::GENERIC_STATUS_TERMINATED);
  EXPECT_EQ(r.exitcode(), 137);
  EXPECT_TRUE(terminate(id).ok());  // again: nothing left to do
  // Its execs are refused now; the main container is unaffected.
  auto req = start_request("late", {"true"});
  req.set_container_id(id);
  EXPECT_EQ(start(req).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(sh("", "echo alive").first, "alive\n");
  // The main container's wait is the Sandbox's.
  ASSERT_TRUE(container_wait(task_id_, 0, &resp).ok());
  EXPECT_FALSE(resp.has_result());
}

TEST_F(RouterSidecarTest, SidecarsEndWithTheirSandbox) {
  std::string const id = create_ok("worker", {"sleep", "300"});
  EXPECT_EQ(sh(id, "echo up").first, "up\n");
  modal::client::SandboxTerminateRequest req;
  req.set_sandbox_id(sandbox_id_);
  modal::client::SandboxTerminateResponse resp;
  ASSERT_TRUE(control_->stub().SandboxTerminate(RawClient::context().get(), req, &resp).ok());
  auto const r = wait_result(id);
  EXPECT_EQ(r.status(), modal::client::GenericResult::GENERIC_STATUS_TERMINATED);
  EXPECT_EQ(r.exitcode(), 137);
  EXPECT_EQ(create(create_request("late")).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  // Only include_terminated lists them now, the main container too.
  EXPECT_TRUE(list(false).empty());
  EXPECT_EQ(list(true).size(), 2u);
  tcr::TaskContainerWaitResponse main_wait;
  ASSERT_TRUE(container_wait(task_id_, 10, &main_wait).ok());
  EXPECT_EQ(main_wait.result().status(), modal::client::GenericResult::GENERIC_STATUS_TERMINATED);
}

TEST_F(RouterSidecarTest, DuplicateNamesAreAlreadyExists) {
  create_ok("worker", {"sleep", "300"});
  auto st = create(create_request("worker", {"sleep", "300"}));
  EXPECT_EQ(st.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(st.error_message(), HasSubstr("worker"));
  EXPECT_EQ(list(false).size(), 2u);
}

TEST_F(RouterSidecarTest, BadInputIsInvalidArgument) {
  auto expect_invalid = [&](tcr::TaskContainerCreateRequest const& req, std::string const& what) {
    auto st = create(req);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << what;
    EXPECT_THAT(st.error_message(), HasSubstr(what));
  };
  expect_invalid(create_request(""), "container_name");
  expect_invalid(create_request("main"), "main");
  expect_invalid(create_request("no spaces"), "Invalid container name");
  auto no_image = create_request("w");
  no_image.clear_image_id();
  expect_invalid(no_image, "image_id");
  auto relative = create_request("w");
  relative.set_workdir("relative/dir");
  expect_invalid(relative, "absolute");
  auto huge = create_request("w", {std::string(65537, 'a')});
  expect_invalid(huge, "65536");
  auto blocked = create_request("w");
  blocked.mutable_network_access()->set_network_access_type(modal::client::NetworkAccess::BLOCKED);
  expect_invalid(blocked, "BLOCKED");
  // Enforceable policies only: the shared network is loopback-only, so only an empty
  // allowlist applies.
  auto allow = create_request("w");
  allow.mutable_network_access()->set_network_access_type(modal::client::NetworkAccess::ALLOWLIST);
  allow.mutable_network_access()->add_allowed_cidrs("10.0.0.0/8");
  EXPECT_EQ(create(allow).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  allow.mutable_network_access()->clear_allowed_cidrs();
  EXPECT_TRUE(create(allow).ok());

  tcr::TaskContainerGetResponse got;
  EXPECT_EQ(get("", false, &got).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(terminate("").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(terminate(task_id_).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  tcr::TaskContainerWaitResponse resp;
  EXPECT_EQ(container_wait("", 0, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(container_wait(task_id_, -1, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(RouterSidecarTest, UnknownContainersImagesAndTasksAreNotFound) {
  tcr::TaskContainerGetResponse got;
  EXPECT_EQ(get("nobody", true, &got).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(terminate("ctr-missing").error_code(), grpc::StatusCode::NOT_FOUND);
  tcr::TaskContainerWaitResponse resp;
  EXPECT_EQ(container_wait("ctr-missing", 0, &resp).error_code(), grpc::StatusCode::NOT_FOUND);
  auto req = start_request("e", {"true"});
  req.set_container_id("ctr-missing");
  EXPECT_EQ(start(req).error_code(), grpc::StatusCode::NOT_FOUND);
  auto image = create_request("w");
  image.set_image_id("im-doesnotexist");
  EXPECT_EQ(create(image).error_code(), grpc::StatusCode::NOT_FOUND);
  // Another task's JWT does not reach this one's containers.
  auto other = create_request("w");
  other.set_task_id("ta-other");
  EXPECT_EQ(create(other).error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(RouterSidecarTest, VolumesAndAPtyAreTheSidecarsOwn) {
  modal::client::VolumeGetOrCreateRequest vreq;
  vreq.set_deployment_name("sidecar-data");
  vreq.set_object_creation_type(modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING);
  modal::client::VolumeGetOrCreateResponse volume;
  auto st = control_->stub().VolumeGetOrCreate(RawClient::context().get(), vreq, &volume);
  ASSERT_TRUE(st.ok()) << st.error_message();

  auto writer = create_request("writer", {"sleep", "300"});
  auto* mount = writer.add_volume_mounts();
  mount->set_volume_id(volume.volume_id());
  mount->set_mount_path("/data");
  tcr::TaskContainerCreateResponse resp;
  ASSERT_TRUE(create(writer, &resp).ok());
  EXPECT_EQ(sh(resp.container_id(), "echo shared > /data/f && cat /data/f").first, "shared\n");
  EXPECT_EQ(sh("", "test -e /data/f; echo $?").first, "1\n");  // not mounted in main

  auto reader = create_request("reader", {"sleep", "300"});
  mount = reader.add_volume_mounts();
  mount->set_volume_id(volume.volume_id());
  mount->set_mount_path("/ro");
  mount->set_read_only(true);
  reader.mutable_pty_info()->set_enabled(true);
  ASSERT_TRUE(create(reader, &resp).ok());
  EXPECT_EQ(sh(resp.container_id(), "cat /ro/f; touch /ro/g 2>/dev/null || echo refused").first,
            "shared\nrefused\n");
  // The sidecar's entrypoint has a terminal.
  EXPECT_EQ(sh(resp.container_id(), "readlink /proc/1/fd/0 | cut -c1-9").first, "/dev/pts/\n");

  auto missing = create_request("missing");
  missing.add_volume_mounts()->set_volume_id("vo-missing");
  missing.mutable_volume_mounts(0)->set_mount_path("/x");
  EXPECT_EQ(create(missing).error_code(), grpc::StatusCode::NOT_FOUND);
  auto twice = create_request("twice");
  for (int i = 0; i < 2; ++i) {
    auto* m = twice.add_volume_mounts();
    m->set_volume_id(volume.volume_id());
    m->set_mount_path("/same");
  }
  EXPECT_EQ(create(twice).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(RouterSidecarTest, ReloadVolumesTakesASidecarsId) {
  std::string const id = create_ok("worker", {"sleep", "300"});
  tcr::TaskReloadVolumesRequest req;
  req.set_task_id(task_id_);
  req.set_container_id(id);
  tcr::TaskReloadVolumesResponse resp;
  EXPECT_TRUE(router_->TaskReloadVolumes(rctx().get(), req, &resp).ok());
  req.set_container_id("ctr-missing");
  EXPECT_EQ(router_->TaskReloadVolumes(rctx().get(), req, &resp).error_code(),
            grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(terminate(id).ok());
  wait_result(id);
  req.set_container_id(id);
  EXPECT_EQ(router_->TaskReloadVolumes(rctx().get(), req, &resp).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

}  // namespace
}  // namespace modal::emulator::testing
