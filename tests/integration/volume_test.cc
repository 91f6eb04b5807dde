// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// modal::Volume against the emulator: lookup and deletion, mount options and how they are
// sent, ephemeral Volumes and their heartbeats, and contents shared between Sandboxes
// (read-only mounts, sub-paths).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "internal/sandbox_params.h"
#include "modal_proto/api.grpc.pb.h"
#include "raw_control.h"
#include "sandbox_test_util.h"
#include "testing_util/temp_file.h"

namespace modal::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

class VolumeTest : public SandboxTest {
 protected:
  emulator::EmulatorOptions emulator_options() override {
    emulator::EmulatorOptions o;
    o.ephemeral_timeout = 600ms;  // ephemeral Volumes go 600 ms after their last beat
    return o;
  }
  /// VolumeHeartbeat of `volume_id` over plain gRPC (no handle, so no heartbeat of ours).
  grpc::StatusCode raw_heartbeat(std::string const& volume_id) {
    RawControl raw(emu());
    modal::client::VolumeHeartbeatRequest req;
    req.set_volume_id(volume_id);
    google::protobuf::Empty resp;
    return raw->VolumeHeartbeat(raw.context().get(), req, &resp).error_code();
  }
  /// The VolumeMount `volume` becomes at /mnt/v.
  static modal::client::VolumeMount mount_of(Volume const& volume) {
    SandboxCreateParams p;
    p.volumes.emplace("/mnt/v", volume);
    auto req = internal::build_sandbox_create_request(p, {.app_id = "ap-1", .image_id = "im-1"});
    EXPECT_EQ(req.definition().volume_mounts_size(), 1);
    return req.definition().volume_mounts(0);
  }
};

TEST_F(VolumeTest, FromNameCreatesAndRemoveDeletes) {
  EXPECT_THAT([&] { c().volumes().from_name("vol-a"); },
              ::testing::ThrowsMessage<NotFoundError>(HasSubstr("Volume 'vol-a' not found")));
  auto vol = c().volumes().from_name("vol-a", {.create_if_missing = true});
  EXPECT_THAT(vol.volume_id(), ::testing::MatchesRegex("vo-[0-9A-Za-z]+"));
  EXPECT_EQ(vol.name(), "vol-a");
  EXPECT_FALSE(vol.is_ephemeral());
  EXPECT_EQ(c().volumes().from_name("vol-a").volume_id(), vol.volume_id());
  c().volumes().remove("vol-a");
  EXPECT_THROW(c().volumes().from_name("vol-a"), NotFoundError);
  EXPECT_THAT([&] { c().volumes().remove("vol-a"); },
              ::testing::ThrowsMessage<NotFoundError>(HasSubstr("Volume 'vol-a' not found")));
  EXPECT_NO_THROW(c().volumes().remove("vol-a", {.allow_missing = true}));
  EXPECT_THROW(c().volumes().from_name("bad name!"), InvalidError);
  EXPECT_THROW(vol.close_ephemeral(), InvalidError);
}

TEST_F(VolumeTest, MountOptionsStackAndAreSentAsUpstreamSendsThem) {
  auto vol = c().volumes().from_name("vol-opts", {.create_if_missing = true});
  auto plain = mount_of(vol);
  EXPECT_EQ(plain.volume_id(), vol.volume_id());
  EXPECT_EQ(plain.mount_path(), "/mnt/v");
  EXPECT_TRUE(plain.allow_background_commits());
  EXPECT_FALSE(plain.read_only());
  EXPECT_FALSE(plain.has_sub_path());

  auto sub = vol.with_mount_options({.sub_path = "/data"});
  auto both = sub.with_mount_options({.read_only = true});  // keeps the sub-path
  EXPECT_FALSE(vol.is_read_only());                         // copies: the original is unchanged
  EXPECT_EQ(vol.sub_path(), "");
  EXPECT_TRUE(both.is_read_only());
  EXPECT_EQ(both.sub_path(), "/data");
  auto m = mount_of(both);
  EXPECT_TRUE(m.read_only());
  ASSERT_TRUE(m.has_sub_path());
  EXPECT_EQ(m.sub_path(), "/data");

  auto cleared = both.with_mount_options({.read_only = false, .sub_path = "/"});
  EXPECT_FALSE(mount_of(cleared).read_only());
  EXPECT_FALSE(mount_of(cleared).has_sub_path());
  EXPECT_TRUE(vol.read_only().is_read_only());
  EXPECT_EQ(vol.read_only().volume_id(), vol.volume_id());

  for (std::string const& bad :
       std::vector<std::string>{"", "a/../b", "..", "./x", std::string("a\0b", 3)}) {
    EXPECT_THROW(vol.with_mount_options({.sub_path = bad}), InvalidError) << bad;
  }
}

TEST_F(VolumeTest, EphemeralVolumesLiveWhileTheirHeartbeatsDo) {
  std::atomic<int> beats{0};
  auto options = fast_options();
  options.heartbeat_interval = 150ms;
  options.call_observer = [&](CallInfo const& call) {
    if (call.method.find("VolumeHeartbeat") != std::string_view::npos &&
        call.code == StatusCode::kOk) {
      ++beats;
    }
  };
  Client client(options);
  auto vol = client.volumes().ephemeral();
  EXPECT_TRUE(vol.is_ephemeral());
  EXPECT_EQ(vol.name(), "");
  std::string released_id;
  {
    auto gone = client.volumes().ephemeral();
    released_id = gone.volume_id();
  }  // its last handle went
  std::this_thread::sleep_for(2s);
  EXPECT_GE(beats.load(), 8);
  EXPECT_EQ(raw_heartbeat(vol.volume_id()), grpc::StatusCode::OK);
  EXPECT_EQ(raw_heartbeat(released_id), grpc::StatusCode::NOT_FOUND);

  vol.read_only().close_ephemeral();  // copies share the heartbeat
  int const at_close = beats.load();
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(beats.load(), at_close);
  EXPECT_EQ(raw_heartbeat(vol.volume_id()), grpc::StatusCode::NOT_FOUND);
  vol.close_ephemeral();  // idempotent
}

TEST_F(VolumeTest, AFileWrittenByOneSandboxIsReadByAnother) {
  auto vol = c().volumes().from_name("vol-shared", {.create_if_missing = true});
  auto writer = create({.volumes = {{"/mnt/vol", vol}}});
  EXPECT_EQ(sh(writer, "mkdir -p /mnt/vol/data && echo hello > /mnt/vol/data/msg.txt").second, 0);
  auto reader = create({.volumes = {{"/srv/other", vol}}});
  EXPECT_EQ(sh(reader, "cat /srv/other/data/msg.txt"), std::make_pair(std::string("hello\n"), 0));
  // Live-shared: a later write is seen by the running reader at once.
  EXPECT_EQ(sh(writer, "echo again >> /mnt/vol/data/msg.txt").second, 0);
  reader.reload_volumes();
  EXPECT_EQ(sh(reader, "cat /srv/other/data/msg.txt").first, "hello\nagain\n");
  writer.terminate();
  reader.terminate();
  // A Sandbox started later sees it too; the host's file system is not where it lives.
  auto later = create({.volumes = {{"/v", vol}}});
  EXPECT_EQ(sh(later, "cat /v/data/msg.txt").first, "hello\nagain\n");
  later.terminate();
}

TEST_F(VolumeTest, AReadOnlyMountRejectsWritesWithErofs) {
  auto vol = c().volumes().from_name("vol-ro", {.create_if_missing = true});
  auto writer = create({.volumes = {{"/mnt/vol", vol}}});
  ASSERT_EQ(sh(writer, "echo kept > /mnt/vol/f").second, 0);
  auto reader = create({.volumes = {{"/mnt/vol", vol.read_only()}}});
  ContainerProcess p = reader.exec({"sh", "-c", "echo changed > /mnt/vol/f"});
  EXPECT_NE(p.wait(), 0);
  EXPECT_THAT(p.stderr_stream().read_all(), HasSubstr("Read-only file system"));
  EXPECT_EQ(sh(reader, "cat /mnt/vol/f").first, "kept\n");
  EXPECT_NE(sh(reader, "touch /mnt/vol/new").second, 0);
  writer.terminate();
  reader.terminate();
}

TEST_F(VolumeTest, ASubPathMountsOneDirectory) {
  auto vol = c().volumes().from_name("vol-sub", {.create_if_missing = true});
  auto writer = create({.volumes = {{"/mnt/vol", vol}}});
  ASSERT_EQ(sh(writer,
               "mkdir -p /mnt/vol/data && echo in-data > /mnt/vol/data/f && "
               "echo at-root > /mnt/vol/top")
                .second,
            0);
  auto reader = create({.volumes = {{"/mnt/data", vol.with_mount_options({.sub_path = "/data"})}}});
  EXPECT_EQ(sh(reader, "cat /mnt/data/f").first, "in-data\n");
  EXPECT_NE(sh(reader, "test -e /mnt/data/top").second, 0);  // the rest of the Volume is not there
  writer.terminate();
  reader.terminate();
}

/// Cloud bucket mounts of a bucket the emulator maps to a local directory (--bucket).
class BucketMountTest : public SandboxTest {
 protected:
  emulator::EmulatorOptions emulator_options() override {
    emulator::EmulatorOptions o;
    o.buckets = {{"local-bucket", bucket_.path().string()}};
    o.secrets = {{"bucket-creds", {{"AWS_ACCESS_KEY_ID", "id"}}}};
    return o;
  }
  testing_util::TempDir bucket_{"modal-bucket-test"};
};

TEST_F(BucketMountTest, AMappedBucketIsMountedWithItsPrefixAndReadOnly) {
  bucket_.write_file("data/in-prefix", "from the bucket\n");
  bucket_.write_file("outside", "not under data/\n");
  auto creds = c().secrets().from_name("bucket-creds");
  auto whole = c().cloud_bucket_mounts().create("local-bucket", {.secret = creds});
  auto prefix = c().cloud_bucket_mounts().create(
      "local-bucket", {.secret = creds, .read_only = true, .key_prefix = "data/"});
  auto sb = create({.cloud_bucket_mounts = {{"/mnt/all", whole}, {"/mnt/data", prefix}}});
  EXPECT_EQ(sh(sb, "cat /mnt/data/in-prefix").first, "from the bucket\n");
  EXPECT_NE(sh(sb, "test -e /mnt/data/outside").second, 0);
  // Read-only where asked; writes through a writable mount reach the directory at once.
  ContainerProcess p = sb.exec({"sh", "-c", "echo x > /mnt/data/new"});
  EXPECT_NE(p.wait(), 0);
  EXPECT_THAT(p.stderr_stream().read_all(), HasSubstr("Read-only file system"));
  EXPECT_EQ(sh(sb, "echo written > /mnt/all/data/by-sandbox").second, 0);
  std::ifstream in(bucket_.path() / "data" / "by-sandbox");
  std::string line;
  EXPECT_TRUE(std::getline(in, line));
  EXPECT_EQ(line, "written");
  sb.terminate();
}

TEST_F(BucketMountTest, UnmappedBucketsAreAcceptedButNotMountedAndPathsAreChecked) {
  auto other = c().cloud_bucket_mounts().create("some-s3-bucket");
  auto sb = create({.cloud_bucket_mounts = {{"/mnt/s3", other}}});
  EXPECT_NE(sh(sb, "test -e /mnt/s3").second, 0);
  sb.terminate();
  // One mount path for a Volume and a bucket is refused before anything starts.
  auto vol = c().volumes().from_name("vol-clash", {.create_if_missing = true});
  EXPECT_THAT(
      [&] {
        create({.volumes = {{"/mnt/x", vol}},
                .cloud_bucket_mounts = {{"/mnt/x", c().cloud_bucket_mounts().create("b")}}});
      },
      ::testing::ThrowsMessage<InvalidError>(HasSubstr("used more than once")));
}

}  // namespace
}  // namespace modal::testing
