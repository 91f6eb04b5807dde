// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// The emulator's preload file (load_config_file(), `modal-emulator --config`) through the
// SDK: every section of one file, seen by a Client of an Emulator built from it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "modal/emulator.h"
#include "sandbox_test_util.h"
#include "testing_util/temp_file.h"

namespace modal::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

/// The busybox image of make_busybox_image.py (OCI layout) at `out`; false on failure.
bool make_busybox(std::filesystem::path const& out) {
  std::string const cmd =
      std::string("python3 '") + MODAL_MAKE_BUSYBOX_IMAGE + "' '" + out.string() + "' oci";
  return std::system(cmd.c_str()) == 0;
}

class PreloadTest : public SandboxTest {
 protected:
  emulator::EmulatorOptions emulator_options() override {
    dir_.write_file("seed/data/greeting.txt", "hello from the seed\n");
    dir_.write_file("seed/top.txt", "top\n");
    dir_.write_file("staging-seed/env.txt", "staging volume\n");
    dir_.write_file("bucket/in-bucket.txt", "bucket file\n");
    EXPECT_TRUE(make_busybox(dir_ / "images/busybox-oci"));
    // Relative paths: from the file's directory, not the test's working directory.
    auto const file = dir_.write_file("conf/fixtures.toml", R"(
[images]
"preload/busybox:1" = "../images/busybox-oci"

[buckets]
fixture-bucket = "../bucket"

[environments.main]
apps = ["deployed-app"]
proxies = ["fixture-proxy"]

[environments.main.secrets.db]
DB_USER = "admin"
DB_PASSWORD = "s3cret, with comma"

[environments.main.volumes.seeded]
seed = "../seed"

[environments.main.volumes.blank]

[environments.main.functions.deployed-app.in-image]
image = "preload/busybox:1"
# The CBOR text string (0x60 + 22 = octal 166) "busybox from-the-image": /bin/sh and ENV of
# the mapped image, not the host's.
command = ["/bin/sh", "-c", "cat >/dev/null; printf '\\166%s %s' $(readlink /bin/sh) $GREETING"]

[environments.main.functions.deployed-app.on-host]
command = ["/bin/sh", "-c", "cat >/dev/null; printf '\\145%s' ${GREETING:-unset}"]

[environments.main.queues.jobs]
items = ["first", 2, 3.5, false, [1, "two"], { id = 7, tags = ["a", "b"] }]
partitions = { urgent = ["u1", "u2"], later = [10] }

[environments.staging]
apps = ["staging-app"]
proxies = ["staging-proxy"]

[environments.staging.secrets.db]
DB_USER = "stage-user"

[environments.staging.volumes.seeded]
seed = "../staging-seed"
)");
    return emulator::load_config_file(file.string());
  }

  testing_util::TempDir dir_;
};

TEST_F(PreloadTest, ASecretsValuesAreInASandboxsEnvironment) {
  auto secret = c().secrets().from_name("db", {.required_keys = {"DB_USER", "DB_PASSWORD"}});
  auto sb = create({.secrets = {secret}});
  EXPECT_EQ(sh(sb, "echo \"$DB_USER|$DB_PASSWORD\""),
            std::make_pair(std::string("admin|s3cret, with comma\n"), 0));
  sb.terminate();
}

TEST_F(PreloadTest, ASeededVolumesFilesAreReadableFromASandbox) {
  auto vol = c().volumes().from_name("seeded");
  auto sb = create({.volumes = {{"/mnt/v", vol}}});
  EXPECT_EQ(sh(sb, "cat /mnt/v/data/greeting.txt /mnt/v/top.txt"),
            std::make_pair(std::string("hello from the seed\ntop\n"), 0));
  // A copy: writes reach the Volume, not the seed directory.
  EXPECT_EQ(sh(sb, "echo new > /mnt/v/new.txt").second, 0);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "seed/new.txt"));
  auto blank = c().volumes().from_name("blank");
  auto sb2 = create({.volumes = {{"/mnt/b", blank}}});
  EXPECT_EQ(sh(sb2, "ls -A /mnt/b | wc -l").first, "0\n");
  sb.terminate();
  sb2.terminate();
}

TEST_F(PreloadTest, PreloadedQueueItemsComeOutInOrderPerPartition) {
  auto q = c().queues().from_name("jobs");
  EXPECT_EQ(q.len(), 6);
  EXPECT_EQ(q.len({.total = true}), 9);
  EXPECT_EQ(q.get(), Value("first"));
  EXPECT_EQ(q.get(), Value(2));
  EXPECT_EQ(q.get(), Value(3.5));
  EXPECT_EQ(q.get(), Value(false));
  EXPECT_EQ(q.get(), Value::list({1, "two"}));
  EXPECT_EQ(q.get(), Value({{"id", 7}, {"tags", Value::list({"a", "b"})}}));
  EXPECT_THROW(q.get({.timeout = 0ms}), QueueEmptyError);  // the default partition is empty now
  EXPECT_EQ(q.get({.partition = "urgent"}), Value("u1"));
  EXPECT_EQ(q.get({.partition = "urgent"}), Value("u2"));
  EXPECT_EQ(q.get({.partition = "later"}), Value(10));
  EXPECT_THROW(c().queues().from_name("no-such-queue"), NotFoundError);
}

TEST_F(PreloadTest, AProxyIsFound) {
  EXPECT_NO_THROW(c().proxies().from_name("fixture-proxy"));
  EXPECT_THROW(c().proxies().from_name("staging-proxy"), NotFoundError);  // other environment
}

TEST_F(PreloadTest, ADeployedAppIsFoundWithoutCreateIfMissing) {
  auto app = c().apps().from_name("deployed-app");
  EXPECT_EQ(app.app_id.rfind("ap-", 0), 0u);
  EXPECT_EQ(c().apps().from_name("deployed-app").app_id, app.app_id);
  EXPECT_THROW(c().apps().from_name("not-deployed"), NotFoundError);
  // A Sandbox runs in it.
  auto sb = c().sandboxes().create(app, image());
  EXPECT_EQ(sh(sb, "echo ok").first, "ok\n");
  sb.terminate();
}

TEST_F(PreloadTest, AnotherEnvironmentHoldsItsOwnObjects) {
  Client staging = emu().client({.environment = "staging"});
  auto app = staging.apps().from_name("staging-app");
  EXPECT_THROW(c().apps().from_name("staging-app"), NotFoundError);
  EXPECT_NO_THROW(staging.proxies().from_name("staging-proxy"));
  auto secret = staging.secrets().from_name("db");
  auto vol = staging.volumes().from_name("seeded");
  auto sb = staging.sandboxes().create(app, staging.images().from_registry("alpine:3.21"),
                                       {.secrets = {secret}, .volumes = {{"/mnt/v", vol}}});
  EXPECT_EQ(sh(sb, "echo $DB_USER; cat /mnt/v/env.txt"),
            std::make_pair(std::string("stage-user\nstaging volume\n"), 0));
  sb.terminate();
  // Main's Volume of the same name is another one.
  EXPECT_NE(c().volumes().from_name("seeded").volume_id(), vol.volume_id());
}

TEST_F(PreloadTest, AMappedBucketIsMounted) {
  SandboxCreateParams params;
  params.cloud_bucket_mounts["/mnt/bucket"] = CloudBucketMount::create("fixture-bucket");
  auto sb = create(params);
  EXPECT_EQ(sh(sb, "cat /mnt/bucket/in-bucket.txt"),
            std::make_pair(std::string("bucket file\n"), 0));
  sb.terminate();
}

TEST_F(PreloadTest, AMappedImageIsTheSandboxsRoot) {
  auto sb = c().sandboxes().create(app(), c().images().from_registry("preload/busybox:1"));
  auto [out, code] = sh(sb, "readlink /bin/sh; echo $GREETING");
  EXPECT_EQ(code, 0);
  EXPECT_EQ(out, "busybox\nfrom-the-image\n");
  sb.terminate();
}

TEST_F(PreloadTest, AFunctionsProgramRunsInItsImage) {
  EXPECT_EQ(c().functions().from_name("deployed-app", "in-image").remote(),
            Value("busybox from-the-image"));
  // Without an image: the host's userland, without the image's ENV.
  EXPECT_EQ(c().functions().from_name("deployed-app", "on-host").remote(), Value("unset"));
}

TEST(PreloadStartupTest, AnObjectThatCannotBeMadeFailsTheConstructor) {
  emulator::EmulatorOptions o;
  o.queue_max_partition_items = 2;
  o.environments.push_back(
      {.name = "main", .queues = {{.name = "q", .partitions = {{"", {1, 2, 3}}}}}});
  try {
    emulator::Emulator emu(o);
    FAIL() << "no exception";
  } catch (std::invalid_argument const& e) {
    EXPECT_THAT(e.what(), HasSubstr("environment 'main' Queue 'q': "));
    EXPECT_THAT(e.what(), HasSubstr("may hold at most 2"));
  }
  // Programs may fill EmulatorOptions::environments directly.
  o.queue_max_partition_items = 3;
  emulator::Emulator emu(o);
  auto q = emu.client().queues().from_name("q");
  EXPECT_EQ(q.get_many(3), (std::vector<Value>{1, 2, 3}));
}

}  // namespace
}  // namespace modal::testing
