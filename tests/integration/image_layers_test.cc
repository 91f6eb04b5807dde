// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Images built from real layers: Dockerfile steps run by the emulator, each RUN a layer
// that Sandboxes of the image see; file system snapshots; ids and published names.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "modal_proto/api.grpc.pb.h"
#include "raw_control.h"
#include "sandbox_test_util.h"

namespace modal::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

class ImageLayersTest : public SandboxTest {
 protected:
  std::vector<std::string> log_lines() {
    std::lock_guard lock(mu_);
    return lines_;
  }
  BuildLogCallback collect() {
    return [this](std::string_view line) {
      std::lock_guard lock(mu_);
      lines_.emplace_back(line);
    };
  }
  Image base() const { return c().images().from_registry("debian:12"); }
  /// A fresh root for every test: a marker only this test's layers have.
  std::string marker() const {
    auto const* info = ::testing::UnitTest::GetInstance()->current_test_info();
    return std::string("/opt/marker-") + info->name();
  }

 private:
  std::mutex mu_;
  std::vector<std::string> lines_;
};

TEST_F(ImageLayersTest, RunStepsBecomeLayersThatSandboxesSee) {
  auto img = c().images()
                 .from_registry("debian:12", {.build_log = collect()})
                 .dockerfile_commands({"RUN mkdir -p /opt && echo built > " + marker(),
                                       "RUN echo step-output-line && echo on-stderr >&2",
                                       "ENV GREETING=hello PLACE=\"the world\"", "WORKDIR /srv/app",
                                       "RUN pwd > where && echo $GREETING"});
  auto const id = img.build(app());
  EXPECT_THAT(id, ::testing::MatchesRegex("im-[0-9A-Za-z]{22}"));
  auto const lines = log_lines();
  // Output of every step streams as build log lines, stdout and stderr alike.
  EXPECT_THAT(lines, Contains("step-output-line"));
  EXPECT_THAT(lines, Contains("on-stderr"));
  EXPECT_THAT(lines, Contains("hello"));  // ENV is in effect for later steps
  EXPECT_THAT(lines, Contains("=> Step 1: RUN mkdir -p /opt && echo built > " + marker()));

  auto sb = c().sandboxes().create(app(), img);
  EXPECT_EQ(sh(sb, "cat " + marker()), std::make_pair(std::string("built\n"), 0));
  // ENV and WORKDIR apply to the image's Sandboxes; the layer made in /srv/app is there.
  EXPECT_EQ(sh(sb, "echo \"$GREETING, $PLACE\"; pwd; cat where"),
            std::make_pair(std::string("hello, the world\n/srv/app\n/srv/app\n"), 0));
  // The host is untouched: the layer lives in the emulator's state directory.
  EXPECT_FALSE(std::filesystem::exists(marker()));
  // Another image of the same registry tag does not see it.
  auto plain = c().sandboxes().create(app(), base());
  EXPECT_EQ(sh(plain, "test -e " + marker() + "; echo $?").first, "1\n");
  sb.terminate();
  plain.terminate();
}

TEST_F(ImageLayersTest, LayersStackAndLaterLayersCanDeleteFiles) {
  auto first = base().dockerfile_commands(
      {"RUN mkdir -p /opt && echo one > " + marker() + " && echo keep > " + marker() + ".keep"});
  auto second =
      first.dockerfile_commands({"RUN rm " + marker() + " && echo two >> " + marker() + ".keep"});
  // The first image is a value: adding a layer did not change it.
  auto sb1 = c().sandboxes().create(app(), first);
  auto sb2 = c().sandboxes().create(app(), second);
  EXPECT_EQ(sh(sb1, "cat " + marker()).first, "one\n");
  EXPECT_EQ(sh(sb2, "test -e " + marker() + "; echo $?; cat " + marker() + ".keep").first,
            "1\nkeep\ntwo\n");
  // One ImageGetOrCreate per layer: `first` (the pull, its RUN) and `second` (the same two,
  // answered from the server's cache, and its own RUN).
  EXPECT_EQ(emu().received_calls("ImageGetOrCreate").size(), 5u);
  sb1.terminate();
  sb2.terminate();

  // Layers on a built image start from its id.
  auto third = second.dockerfile_commands({"RUN echo three >> " + marker() + ".keep"});
  auto sb3 = c().sandboxes().create(app(), third);
  EXPECT_EQ(sh(sb3, "cat " + marker() + ".keep").first, "keep\ntwo\nthree\n");
  sb3.terminate();
}

TEST_F(ImageLayersTest, UserAppliesToLaterStepsAndToSandboxes) {
  auto img = base().dockerfile_commands(
      {"RUN groupadd -g 4321 runner && useradd -u 4321 -g 4321 -m -d /home/runner runner",
       "USER runner", "RUN id -u > /home/runner/build-uid && (touch /not-mine || echo refused)"});
  img.build(app());
  auto sb = c().sandboxes().create(app(), img);
  // The user comes from the image's own /etc/passwd (a layer), not the host's.
  EXPECT_EQ(
      sh(sb, "id -u; id -g; echo $HOME; cat /home/runner/build-uid; touch /x || echo no").first,
      "4321\n4321\n/home/runner\n4321\nno\n");
  EXPECT_EQ(sh(sb, "test -e /not-mine; echo $?").first, "1\n");
  sb.terminate();

  auto ghost = base().dockerfile_commands({"USER ghost", "RUN true"});
  try {
    ghost.build(app());
    FAIL() << "a build as an unknown user succeeded";
  } catch (RemoteError const& e) {
    EXPECT_THAT(e.what(), HasSubstr("unable to find user ghost"));
  }
}

TEST_F(ImageLayersTest, AFailingRunFailsTheBuildWithItsOutput) {
  auto img = base().dockerfile_commands(
      {"RUN echo about-to-fail && echo the-reason >&2 && exit 3", "RUN echo never-run"});
  try {
    img.build(app());
    FAIL() << "the build should have failed";
  } catch (RemoteError const& e) {
    std::string const what = e.what();
    EXPECT_THAT(what, HasSubstr("failed with the exception"));
    EXPECT_THAT(what, HasSubstr("returned a non-zero code: 3"));
    EXPECT_THAT(what, HasSubstr("the-reason"));
    EXPECT_THAT(what, ::testing::Not(HasSubstr("never-run")));
  }
  EXPECT_EQ(img.image_id(), "");  // not cached: a later build tries again
  EXPECT_THROW(img.build(app()), RemoteError);
  // Both builds: the pull and the failing layer.
  EXPECT_EQ(emu().received_calls("ImageGetOrCreate").size(), 4u);
}

TEST_F(ImageLayersTest, BuildStepSecretsAndEnvAreSeenByTheStepOnly) {
  auto secret = c().secrets().from_map({{"BUILD_TOKEN", "s3cr3t"}});
  auto img = base().dockerfile_commands(
      {"RUN mkdir -p /opt && echo \"$BUILD_TOKEN $LAYER_VAR\" > " + marker()},
      {.env = {{"LAYER_VAR", "from-env"}}, .secrets = {secret}});
  auto sb = c().sandboxes().create(app(), img);
  EXPECT_EQ(sh(sb, "cat " + marker()).first, "s3cr3t from-env\n");
  EXPECT_EQ(sh(sb, "echo \"[$BUILD_TOKEN$LAYER_VAR]\"").first, "[]\n");
  sb.terminate();
}

TEST_F(ImageLayersTest, UnsupportedCommandsAreRejected) {
  // A COPY from a local context: InvalidError before anything is sent.
  auto copy = base().dockerfile_commands({"COPY . /app"});
  EXPECT_THROW(copy.build(app()), InvalidError);
  auto bad_gpu = base().dockerfile_commands({"RUN true"}, {.gpu = "A100:zero"});
  EXPECT_THROW(bad_gpu.build(app()), InvalidError);
  EXPECT_TRUE(emu().received_calls("ImageGetOrCreate").empty());
  // What the server cannot run fails the build with a clear message.
  auto from = base().dockerfile_commands({"COPY --from=builder /out /out"});
  try {
    from.build(app());
    FAIL() << "COPY --from= should fail";
  } catch (RemoteError const& e) {
    EXPECT_THAT(e.what(), HasSubstr("COPY --from="));
  }
  auto unknown = base().dockerfile_commands({"FROBNICATE now"});
  EXPECT_THROW(unknown.build(app()), RemoteError);
}

TEST_F(ImageLayersTest, SnapshotFilesystemRestoresIntoAFreshSandbox) {
  auto img = base().dockerfile_commands(
      {"RUN mkdir -p /opt && echo from-image > " + marker(), "ENV FROM_IMAGE=yes"});
  auto sb = c().sandboxes().create(app(), img);
  ASSERT_EQ(sh(sb, "mkdir -p /app/data && echo created > /app/data/info.txt && rm " + marker() +
                       " && echo in-tmp > /tmp/t.txt")
                .second,
            0);
  auto snap = sb.snapshot_filesystem();
  EXPECT_THAT(snap.image_id(), ::testing::MatchesRegex("im-[0-9A-Za-z]{22}"));
  EXPECT_EQ(snap.build(app()), snap.image_id());  // built already: nothing to do
  // The original keeps running and can change further without affecting the snapshot.
  ASSERT_EQ(sh(sb, "echo later > /app/data/later.txt").second, 0);
  sb.terminate();

  auto restored = c().sandboxes().create(app(), snap);
  EXPECT_EQ(sh(restored, "cat /app/data/info.txt; cat /tmp/t.txt; echo $FROM_IMAGE").first,
            "created\nin-tmp\nyes\n");
  // Deletions are part of the snapshot, and later writes are not.
  EXPECT_EQ(
      sh(restored, "test -e " + marker() + "; echo $?; test -e /app/data/later.txt; echo $?").first,
      "1\n1\n");
  // A snapshot of a snapshot stacks another layer.
  ASSERT_EQ(sh(restored, "echo second > /app/data/second.txt").second, 0);
  auto snap2 = restored.snapshot_filesystem({.ttl = std::chrono::hours(1)});
  restored.terminate();
  auto again = c().sandboxes().create(app(), snap2);
  EXPECT_EQ(sh(again, "cat /app/data/info.txt /app/data/second.txt").first, "created\nsecond\n");
  again.terminate();

  auto const calls = emu().received_calls("TaskSnapshotFilesystem");
  ASSERT_EQ(calls.size(), 2u);
}

TEST_F(ImageLayersTest, TheControlPlaneSnapshotRpcWorksToo) {
  // SandboxSnapshotFs: what older official clients call instead of the router's RPC.
  auto sb = create();
  ASSERT_EQ(sh(sb, "mkdir -p /srv && echo via-control-plane > /srv/cp.txt").second, 0);
  RawControl raw(emu());
  modal::client::SandboxSnapshotFsRequest req;
  req.set_sandbox_id(sb.sandbox_id());
  req.set_timeout(55);
  modal::client::SandboxSnapshotFsResponse resp;
  ASSERT_TRUE(raw->SandboxSnapshotFs(raw.context().get(), req, &resp).ok());
  EXPECT_EQ(resp.result().status(), modal::client::GenericResult::GENERIC_STATUS_SUCCESS);
  sb.terminate();
  auto restored = c().sandboxes().create(app(), c().images().from_id(resp.image_id()));
  EXPECT_EQ(sh(restored, "cat /srv/cp.txt").first, "via-control-plane\n");
  restored.terminate();
}

TEST_F(ImageLayersTest, SnapshotArgumentsAreChecked) {
  auto sb = create();
  EXPECT_THROW(sb.snapshot_filesystem({.ttl = std::chrono::seconds(-5)}), InvalidError);
  EXPECT_THROW(sb.snapshot_filesystem({.timeout = std::chrono::milliseconds(0)}), InvalidError);
  EXPECT_TRUE(emu().received_calls("TaskSnapshotFilesystem").empty());
  auto forever = sb.snapshot_filesystem({.ttl = SandboxSnapshotFilesystemParams::kNoExpiry});
  EXPECT_FALSE(forever.image_id().empty());
  sb.terminate();
  sb.wait();
  // A finished Sandbox has no file system to snapshot.
  auto done = c().sandboxes().from_id(sb.sandbox_id());
  EXPECT_THROW(done.snapshot_filesystem(), Error);
}

TEST_F(ImageLayersTest, ImagesByIdAndByPublishedName) {
  auto img = base().dockerfile_commands({"RUN mkdir -p /opt && echo named > " + marker()});
  EXPECT_THROW(img.publish("my-image"), InvalidError);  // not built yet
  auto const id = img.build(app());
  img.publish("my-image:v1");
  img.publish("my-image");  // :latest

  auto by_id = c().images().from_id(id);
  EXPECT_EQ(by_id.image_id(), id);
  EXPECT_EQ(c().images().from_name("my-image:v1").image_id(), id);
  EXPECT_EQ(c().images().from_name("my-image").image_id(), id);
  EXPECT_EQ(c().images().from_name("main/my-image:v1").image_id(), id);
  EXPECT_THROW(c().images().from_name("my-image:v2"), NotFoundError);
  EXPECT_THROW(c().images().from_name("main/my-image", {.environment = "main"}), InvalidError);
  EXPECT_THROW(c().images().from_name("im-reserved"), InvalidError);
  EXPECT_THROW(c().images().from_name("/x"), InvalidError);
  EXPECT_THROW(c().images().from_id("im-doesNotExist0000000000"), NotFoundError);

  // An image from an id runs like the original, and takes more layers.
  auto more = by_id.dockerfile_commands({"RUN echo more >> " + marker()});
  auto sb = c().sandboxes().create(app(), more);
  EXPECT_EQ(sh(sb, "cat " + marker()).first, "named\nmore\n");
  sb.terminate();

  c().images().remove(id);
  EXPECT_THROW(c().images().from_id(id), NotFoundError);
  EXPECT_THROW(c().images().from_name("my-image:v1"), NotFoundError);
  EXPECT_THROW(c().images().remove(id), NotFoundError);
  // Images built on it keep working.
  auto sb2 = c().sandboxes().create(app(), more);
  EXPECT_EQ(sh(sb2, "cat " + marker()).first, "named\nmore\n");
  sb2.terminate();
}

TEST_F(ImageLayersTest, RegistryCredentialsTravelWithTheirAuthType) {
  auto ecr_secret = c().secrets().from_map(
      {{"AWS_ACCESS_KEY_ID", "AKIA"}, {"AWS_SECRET_ACCESS_KEY", "x"}, {"AWS_REGION", "us-east-1"}});
  auto ecr =
      c().images().from_aws_ecr("123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1", ecr_secret);
  auto gcp = c().images().from_gcp_artifact_registry(
      "us-docker.pkg.dev/p/r/app:1", c().secrets().from_map({{"SERVICE_ACCOUNT_JSON", "{}"}}));
  EXPECT_FALSE(ecr.build(app()).empty());
  EXPECT_FALSE(gcp.build(app()).empty());
  // The emulator checks the keys each kind of credentials needs, as Modal's builder does.
  auto wrong = c().images().from_aws_ecr("123456789012.dkr.ecr.us-east-1.amazonaws.com/app:2",
                                         c().secrets().from_map({{"REGISTRY_USERNAME", "u"}}));
  try {
    wrong.build(app());
    FAIL() << "an ECR pull without AWS keys should fail";
  } catch (RemoteError const& e) {
    EXPECT_THAT(e.what(), HasSubstr("AWS_ACCESS_KEY_ID"));
  }
  auto wrong_gcp = c().images().from_gcp_artifact_registry(
      "us-docker.pkg.dev/p/r/app:2", c().secrets().from_map({{"AWS_REGION", "x"}}));
  EXPECT_THROW(wrong_gcp.build(app()), RemoteError);
  EXPECT_THROW(c().images().from_aws_ecr("", ecr_secret), InvalidError);
}

}  // namespace
}  // namespace modal::testing
