// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Sandbox::experimental_sidecars() against the in-process emulator: create, exec in a
// sidecar (its own root, the Sandbox's network), get/list with include_terminated,
// wait/poll/terminate exit codes, reload_volumes, validation before anything is sent and
// the error mapping (as the Go SDK's sandbox_sidecar_test.go).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sandbox_test_util.h"

namespace modal::testing {
namespace {

using ::testing::HasSubstr;

class SidecarTest : public SandboxTest {
 protected:
  void SetUp() override {
    SandboxTest::SetUp();
    image_ = image().dockerfile_commands({"RUN echo sidecar-root > /sidecar-marker"});
    image_->build(app());
  }

  /// The sidecar's calls so far (TaskContainer*, TaskExecStart, ...), by method name.
  std::size_t calls_to(std::string const& method) {
    std::size_t n = 0;
    for (auto const& call : emu().received_calls()) {
      if (call.method.find(method) != std::string::npos) ++n;
    }
    return n;
  }

  std::optional<Image> image_;
  Image const& sidecar_image() const { return *image_; }
};

std::pair<std::string, int> run_in(SidecarContainer const& c, std::string const& script) {
  ContainerProcess p = c.exec({"sh", "-c", script});
  std::string out = p.stdout_stream().read_all();
  return {out, p.wait()};
}

TEST_F(SidecarTest, ASidecarRunsItsOwnImageAndSharesTheSandboxsNetwork) {
  auto sb = create({.block_network = true});
  auto sidecar =
      sb.experimental_sidecars().create("web", sidecar_image(), {.command = {"sleep", "300"}});
  EXPECT_EQ(sidecar.container_name(), "web");
  EXPECT_THAT(sidecar.container_id(), ::testing::StartsWith("ctr-"));
  EXPECT_EQ(run_in(sidecar, "cat /sidecar-marker"),
            std::make_pair(std::string("sidecar-root\n"), 0));
  EXPECT_EQ(sh(sb, "test -e /sidecar-marker; echo $?").first, "1\n");
  // A server in the main container answers on localhost inside the sidecar.
  ASSERT_EQ(sh(sb,
               "mkdir -p /srv && echo from-main > /srv/index.html && "
               "busybox httpd -p 127.0.0.1:18732 -h /srv && echo up")
                .first,
            "up\n");
  auto [body, code] = run_in(sidecar,
                             "i=0; while [ $i -lt 300 ]; do "
                             "busybox wget -q -O - http://127.0.0.1:18732/ && exit 0; "
                             "i=$((i+1)); sleep 0.1; done; exit 1");
  EXPECT_EQ(code, 0);
  EXPECT_EQ(body, "from-main\n");
  sb.terminate();
}

TEST_F(SidecarTest, EnvSecretsWorkdirAndExecParams) {
  auto sb = create();
  auto secret = c().secrets().from_map({{"API_KEY", "secret-value"}, {"ONLY_SECRET", "s"}});
  auto sidecar =
      sb.experimental_sidecars().create("worker", sidecar_image(),
                                        {.command = {"sleep", "300"},
                                         .env = {{"API_KEY", "override"}, {"PLAIN_ENV", "plain"}},
                                         .secrets = {secret},
                                         .workdir = "/usr"});
  EXPECT_EQ(
      run_in(sidecar, "printf '%s:%s:%s:' \"$API_KEY\" \"$PLAIN_ENV\" \"$ONLY_SECRET\"; pwd").first,
      "override:plain:s:/usr\n");
  // Exec options apply in the sidecar as in the Sandbox.
  auto p = sidecar.exec({"sh", "-c", "echo $GREETING from $(pwd)"},
                        {.workdir = "/", .env = {{"GREETING", "hello"}}});
  EXPECT_EQ(p.stdout_stream().read_all(), "hello from /\n");
  EXPECT_EQ(p.wait(), 0);
  sb.terminate();
}

TEST_F(SidecarTest, TheFilesystemApiWorksInTheSidecarsRoot) {
  auto sb = create();
  auto sidecar =
      sb.experimental_sidecars().create("worker", sidecar_image(), {.command = {"sleep", "300"}});
  auto fs = sidecar.filesystem();
  fs.write_text("hi from sidecar", "/tmp/sidecar-hello");
  EXPECT_EQ(fs.read_text("/tmp/sidecar-hello"), "hi from sidecar");
  EXPECT_EQ(fs.read_text("/sidecar-marker"), "sidecar-root\n");
  EXPECT_EQ(run_in(sidecar, "cat /tmp/sidecar-hello").first, "hi from sidecar");
  // The main container does not see the sidecar's files.
  EXPECT_THROW(sb.filesystem().stat("/tmp/sidecar-hello"), SandboxFilesystemNotFoundError);
  EXPECT_THROW(sb.filesystem().stat("/sidecar-marker"), SandboxFilesystemNotFoundError);
  sb.terminate();
}

TEST_F(SidecarTest, WaitPollAndTerminate) {
  auto sb = create();
  auto sidecars = sb.experimental_sidecars();
  auto worker = sidecars.create("worker", sidecar_image(), {.command = {"sleep", "300"}});
  EXPECT_FALSE(worker.poll().has_value());
  EXPECT_EQ(worker.terminate({.wait = true}), std::optional<int>(137));
  EXPECT_EQ(worker.wait(), 137);
  EXPECT_EQ(worker.poll(), std::optional<int>(137));

  auto oneshot = sidecars.create("oneshot", sidecar_image(), {.command = {"sh", "-c", "exit 42"}});
  EXPECT_EQ(oneshot.wait(), 42);
  // The result is cached: no more TaskContainerWait calls.
  auto const waits = calls_to("TaskContainerWait");
  EXPECT_EQ(oneshot.wait(), 42);
  EXPECT_EQ(oneshot.poll(), std::optional<int>(42));
  EXPECT_EQ(calls_to("TaskContainerWait"), waits);
  // terminate without wait returns nullopt.
  auto idle = sidecars.create("idle", sidecar_image());
  EXPECT_EQ(idle.terminate(), std::nullopt);
  EXPECT_EQ(idle.wait(), 137);
  sb.terminate();
}

TEST_F(SidecarTest, GetAndListWithIncludeTerminated) {
  auto sb = create();
  auto sidecars = sb.experimental_sidecars();
  auto oneshot = sidecars.create("oneshot", sidecar_image(), {.command = {"sh", "-c", "exit 3"}});
  EXPECT_EQ(oneshot.wait(), 3);
  EXPECT_THROW(sidecars.get("oneshot"), NotFoundError);
  try {
    sidecars.get("oneshot");
  } catch (NotFoundError const& e) {
    EXPECT_THAT(e.what(), HasSubstr("Sidecar container \"oneshot\" not found"));
  }
  auto found = sidecars.get("oneshot", {.include_terminated = true});
  EXPECT_EQ(found.container_id(), oneshot.container_id());
  EXPECT_EQ(found.poll(), std::optional<int>(3));  // from the Get's result

  auto replacement = sidecars.create("oneshot", sidecar_image(), {.command = {"sleep", "300"}});
  EXPECT_NE(replacement.container_id(), oneshot.container_id());
  EXPECT_EQ(sidecars.get("oneshot").container_id(), replacement.container_id());

  // The main container is never listed.
  auto running = sidecars.list();
  ASSERT_EQ(running.size(), 1u);
  EXPECT_EQ(running[0].container_id(), replacement.container_id());
  std::vector<std::string> ids;
  for (auto const& s : sidecars.list({.include_terminated = true})) ids.push_back(s.container_id());
  EXPECT_EQ(ids, (std::vector<std::string>{oneshot.container_id(), replacement.container_id()}));
  sb.terminate();
}

TEST_F(SidecarTest, BadInputIsRejectedBeforeAnythingIsSent) {
  auto sb = create();
  auto sidecars = sb.experimental_sidecars();
  auto const before = calls_to("TaskContainer");
  EXPECT_THROW(sidecars.create("", sidecar_image()), InvalidError);
  EXPECT_THROW(sidecars.create("main", sidecar_image()), InvalidError);
  EXPECT_THROW(sidecars.create("w", image()), InvalidError);  // not built
  EXPECT_THROW(sidecars.create("w", sidecar_image(), {.workdir = "relative"}), InvalidError);
  EXPECT_THROW(sidecars.create("w", sidecar_image(), {.command = {std::string(65537, 'a')}}),
               InvalidError);
  EXPECT_THROW(sidecars.create("w", sidecar_image(), {.env = {{"1INVALID", "v"}}}), InvalidError);
  EXPECT_THROW(sidecars.get(""), InvalidError);
  EXPECT_THROW(sidecars.get("main"), InvalidError);
  EXPECT_EQ(calls_to("TaskContainer"), before);
  auto worker = sidecars.create("w", sidecar_image(), {.command = {"sleep", "300"}});
  EXPECT_THROW(worker.reload_volumes({.timeout = std::chrono::milliseconds(-1)}), InvalidError);
  EXPECT_THROW(worker.exec({}), InvalidError);
  sb.terminate();
}

TEST_F(SidecarTest, ServerErrorsMapToTheirTypes) {
  auto sb = create();
  auto sidecars = sb.experimental_sidecars();
  auto worker = sidecars.create("worker", sidecar_image(), {.command = {"sleep", "300"}});
  EXPECT_THROW(sidecars.create("worker", sidecar_image()), AlreadyExistsError);
  EXPECT_THROW(sidecars.get("nobody"), NotFoundError);
  EXPECT_THROW(sidecars.create("x", sidecar_image(), {.outbound_cidr_allowlist = {{"10.0.0.0/8"}}}),
               ConflictError);  // the emulator cannot filter the host's network
  EXPECT_THROW(sidecars.create("bad name", sidecar_image()), InvalidError);  // server-side
  worker.reload_volumes();
  worker.terminate({.wait = true});
  EXPECT_THROW(worker.reload_volumes(), ConflictError);
  EXPECT_THROW(worker.exec({"true"}), ConflictError);
  sb.terminate();
}

TEST_F(SidecarTest, SidecarsEndWithTheSandbox) {
  auto sb = create();
  auto worker =
      sb.experimental_sidecars().create("worker", sidecar_image(), {.command = {"sleep", "300"}});
  // Another handle of the Sandbox, whose router session outlives the terminate below.
  auto other = c().sandboxes().from_id(sb.sandbox_id());
  auto seen = other.experimental_sidecars().get("worker");
  EXPECT_FALSE(seen.poll().has_value());
  sb.terminate({.wait = true});
  EXPECT_EQ(seen.wait(), 137);
  EXPECT_TRUE(other.experimental_sidecars().list().empty());
  EXPECT_EQ(other.experimental_sidecars().list({.include_terminated = true}).size(), 1u);
  // The terminated handle's calls fail locally.
  EXPECT_THROW(worker.poll(), ClientClosedError);
}

}  // namespace
}  // namespace modal::testing
