// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// A running Sandbox's file system and network from outside: directory snapshots, Images
// mounted at a path and unmounted, Volume reloads and network policies.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <string>

#include "sandbox_test_util.h"

namespace modal::testing {
namespace {

using ::testing::HasSubstr;

class SandboxMountsTest : public SandboxTest {
 protected:
  /// A per-test name, so that nothing on the host can be mistaken for the Sandbox's.
  std::string unique(std::string const& prefix) const {
    auto const* info = ::testing::UnitTest::GetInstance()->current_test_info();
    return prefix + "-" + info->name();
  }
};

TEST_F(SandboxMountsTest, ADirectorySnapshotMountedInAnotherSandbox) {
  std::string const project = "/srv/" + unique("project");
  auto sb = create();
  ASSERT_EQ(sh(sb, "mkdir -p " + project + "/sub && echo hello > " + project +
                       "/a.txt && head -c 300000 /dev/urandom > " + project +
                       "/sub/blob && ln -s a.txt " + project + "/link && chmod 640 " + project +
                       "/a.txt && sha256sum " + project + "/sub/blob > /tmp/sum")
                .second,
            0);
  std::string const sum = sh(sb, "cut -d' ' -f1 /tmp/sum").first;
  auto snap = sb.snapshot_directory(project);
  EXPECT_THAT(snap.image_id(), ::testing::MatchesRegex("im-[0-9A-Za-z]{22}"));
  // Later changes in the source are not in the snapshot.
  ASSERT_EQ(sh(sb, "echo later > " + project + "/later.txt").second, 0);
  sb.terminate();

  auto other = create();
  other.mount_image("/mnt/copy", snap);
  EXPECT_EQ(sh(other,
               "cat /mnt/copy/a.txt; readlink /mnt/copy/link; stat -c %a /mnt/copy/a.txt;"
               " test -e /mnt/copy/later.txt; echo $?; sha256sum /mnt/copy/sub/blob | cut "
               "-d' ' -f1")
                .first,
            "hello\na.txt\n640\n1\n" + sum);
  // The mount is writable; writes stay in this mount, not in the Image.
  ASSERT_EQ(sh(other, "echo mine > /mnt/copy/new.txt && rm /mnt/copy/a.txt").second, 0);
  auto third = create();
  third.mount_image("/opt/elsewhere", snap);
  EXPECT_EQ(sh(third, "cat /opt/elsewhere/a.txt; test -e /opt/elsewhere/new.txt; echo $?").first,
            "hello\n1\n");
  // Unmounting leaves the (created) mount point, empty.
  other.unmount_image("/mnt/copy");
  EXPECT_EQ(sh(other, "ls -A /mnt/copy | wc -l").first, "0\n");
  // None of it reached the host.
  EXPECT_FALSE(std::filesystem::exists(project));
  EXPECT_FALSE(std::filesystem::exists("/mnt/copy"));
  EXPECT_FALSE(std::filesystem::exists("/opt/elsewhere"));
  other.terminate();
  third.terminate();
  EXPECT_EQ(emu().received_calls("TaskSnapshotDirectory").size(), 1u);
  EXPECT_EQ(emu().received_calls("TaskMountDirectory").size(), 2u);
}

TEST_F(SandboxMountsTest, PathsResolveInsideTheSandbox) {
  std::string const target = "/srv/" + unique("target");
  auto sb = create();
  // An absolute symbolic link means the Sandbox's path, not the host's.
  ASSERT_EQ(sh(sb, "mkdir -p " + target + " && echo inside > " + target + "/x && ln -s " + target +
                       " /srv/lnk-" + unique("l") + " && ln -s / /srv/root-" + unique("r"))
                .second,
            0);
  auto snap = sb.snapshot_directory("/srv/lnk-" + unique("l"));
  // "/.." is "/" inside the Sandbox: the snapshot of a link to its root's tmp is its own.
  ASSERT_EQ(sh(sb, "echo private > /tmp/p.txt").second, 0);
  auto tmp = sb.snapshot_directory("/srv/root-" + unique("r") + "/../../tmp");
  sb.mount_image("/mnt/snap", snap);
  sb.mount_image("/mnt/tmp", tmp);
  EXPECT_EQ(sh(sb, "cat /mnt/snap/x /mnt/tmp/p.txt").first, "inside\nprivate\n");
  sb.terminate();
}

TEST_F(SandboxMountsTest, KernelFileSystemsAreNotCopied) {
  auto sb = create();
  // /dev holds a devpts instance (/dev/pts) and device nodes.
  auto dev = sb.snapshot_directory("/dev");
  sb.mount_image("/mnt/dev", dev);
  EXPECT_EQ(sh(sb,
               "test -d /mnt/dev/pts && ls -A /mnt/dev/pts | wc -l; test -c /mnt/dev/null; "
               "echo $?")
                .first,
            "0\n0\n");
  // The mount is nodev: a copied device node there opens nothing.
  EXPECT_NE(sh(sb, "echo x > /mnt/dev/null").second, 0);
  sb.terminate();
}

TEST_F(SandboxMountsTest, AnEmptyDirectoryAndNestedMounts) {
  auto sb = create();
  sb.mount_image("/data/scratch", std::nullopt);
  EXPECT_EQ(
      sh(sb, "ls -A /data/scratch | wc -l; echo x > /data/scratch/f && cat /data/scratch/f").first,
      "0\nx\n");
  auto snap = sb.snapshot_directory("/data");
  sb.mount_image("/data/scratch/inner", snap);
  EXPECT_EQ(sh(sb, "cat /data/scratch/inner/scratch/f").first, "x\n");
  EXPECT_THROW(sb.mount_image("/data/scratch", std::nullopt), AlreadyExistsError);
  // Unmounting the outer mount takes the one inside it along.
  sb.unmount_image("/data/scratch");
  EXPECT_EQ(sh(sb, "ls -A /data/scratch | wc -l").first, "0\n");
  EXPECT_THROW(sb.unmount_image("/data/scratch/inner"), NotFoundError);
  EXPECT_THROW(sb.unmount_image("/data/scratch"), NotFoundError);
  // The path can be mounted again.
  sb.mount_image("/data/scratch", snap);
  EXPECT_EQ(sh(sb, "cat /data/scratch/scratch/f").first, "x\n");
  sb.terminate();
}

TEST_F(SandboxMountsTest, BadInputIsRefusedBeforeAnythingIsSent) {
  auto sb = create();
  auto unbuilt = c().images().from_registry("debian:12");
  EXPECT_THROW(sb.snapshot_directory("relative/dir"), InvalidError);
  EXPECT_THROW(sb.snapshot_directory("/srv", {.ttl = std::chrono::seconds(-5)}), InvalidError);
  EXPECT_THROW(sb.snapshot_directory("/srv", {.experimental_encryption_key = std::string(15, 'k')}),
               InvalidError);
  EXPECT_THROW(sb.mount_image("mnt", std::nullopt), InvalidError);
  try {
    sb.mount_image("/mnt/x", unbuilt);
    FAIL() << "an unbuilt Image was mounted";
  } catch (InvalidError const& e) {
    EXPECT_THAT(e.what(), HasSubstr("must be built"));
  }
  EXPECT_THROW(sb.unmount_image("mnt"), InvalidError);
  EXPECT_THROW(sb.reload_volumes({.timeout = std::chrono::milliseconds(-1)}), InvalidError);
  EXPECT_THROW(sb.update_network_policy({.outbound_cidr_allowlist = {{"10.0.0.0/8"}}}),
               InvalidError);
  EXPECT_TRUE(emu().received_calls("TaskSnapshotDirectory").empty());
  EXPECT_TRUE(emu().received_calls("TaskMountDirectory").empty());
  EXPECT_TRUE(emu().received_calls("TaskUnmountDirectory").empty());
  EXPECT_TRUE(emu().received_calls("TaskSetNetworkAccess").empty());
  sb.terminate();
}

TEST_F(SandboxMountsTest, ServerErrorsAreTyped) {
  auto sb = create();
  ASSERT_EQ(sh(sb, "echo f > /tmp/a-file").second, 0);
  EXPECT_THROW(sb.snapshot_directory("/no/such/dir"), NotFoundError);
  EXPECT_THROW(sb.snapshot_directory("/tmp/a-file"), InvalidError);
  // A file where a mount point's parent should be.
  EXPECT_THROW(sb.mount_image("/tmp/a-file/below", std::nullopt), InvalidError);
  EXPECT_THROW(sb.mount_image("/", std::nullopt), InvalidError);
  // An Image deleted meanwhile.
  auto gone = sb.snapshot_directory("/tmp");
  c().images().remove(gone.image_id());
  EXPECT_THROW(sb.mount_image("/mnt/x", gone), NotFoundError);
  // Finished (terminated through another handle): the server refuses.
  c().sandboxes().from_id(sb.sandbox_id()).terminate();
  sb.wait();
  EXPECT_THROW(sb.mount_image("/mnt/late", std::nullopt), ConflictError);
  EXPECT_THROW(sb.snapshot_directory("/tmp"), ConflictError);
}

TEST_F(SandboxMountsTest, ReloadVolumes) {
  auto sb = create();
  EXPECT_NO_THROW(sb.reload_volumes());
  EXPECT_NO_THROW(sb.reload_volumes({.timeout = std::chrono::seconds(5)}));
  EXPECT_EQ(emu().received_calls("TaskReloadVolumes").size(), 2u);
  c().sandboxes().from_id(sb.sandbox_id()).terminate();
  sb.wait();
  EXPECT_THROW(sb.reload_volumes(), ConflictError);
}

TEST_F(SandboxMountsTest, NetworkPoliciesTheEmulatorCanEnforce) {
  // On the host's network: everything stays allowed; a narrower policy is refused rather
  // than silently not enforced.
  auto open = create();
  EXPECT_NO_THROW(open.update_network_policy(
      {.outbound_cidr_allowlist = {{"0.0.0.0/0"}}, .outbound_domain_allowlist = {{"*"}}}));
  try {
    open.update_network_policy(
        {.outbound_cidr_allowlist = {{"10.0.0.0/8"}}, .outbound_domain_allowlist = {{}}});
    FAIL() << "a policy the emulator cannot enforce was accepted";
  } catch (ConflictError const& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot filter"));
  }
  EXPECT_THROW(open.update_network_policy({.outbound_cidr_allowlist = {{"10.0.0.0/33"}},
                                           .outbound_domain_allowlist = {{}}}),
               InvalidError);
  EXPECT_THROW(open.update_network_policy({.outbound_cidr_allowlist = {{}},
                                           .outbound_domain_allowlist = {{"bad domain"}}}),
               InvalidError);
  open.terminate();

  // With its network blocked: nothing outside is reachable, and a deny-all policy keeps it so.
  auto blocked = create({.block_network = true});
  EXPECT_NO_THROW(blocked.update_network_policy(
      {.outbound_cidr_allowlist = {{}}, .outbound_domain_allowlist = {{}}}));
  EXPECT_THROW(blocked.update_network_policy({.outbound_cidr_allowlist = {{"192.168.0.0/16"}},
                                              .outbound_domain_allowlist = {{"example.com"}}}),
               ConflictError);
  blocked.terminate();
}

TEST_F(SandboxMountsTest, MemorySnapshotsAreRefusedWithTheReason) {
  auto plain = create();
  try {
    plain.experimental_snapshot();
    FAIL() << "a Sandbox without experimental_enable_snapshot was snapshotted";
  } catch (ConflictError const& e) {
    EXPECT_THAT(e.what(), HasSubstr("not created with memory snapshots enabled"));
  }
  plain.terminate();
  // The emulator takes no memory snapshots; it says why (what CRIU does on this machine).
  auto sb = create({.experimental_enable_snapshot = true});
  try {
    sb.experimental_snapshot();
    FAIL() << "the emulator took a memory snapshot";
  } catch (ConflictError const& e) {
    EXPECT_THAT(e.what(), HasSubstr("memory snapshots are not supported"));
    EXPECT_THAT(e.what(), HasSubstr("CRIU"));
  }
  // V1 Sandboxes ask the control plane, V2 ones (the default) their router.
  EXPECT_EQ(emu().received_calls("SandboxSnapshot").size() +
                emu().received_calls("TaskSnapshotMemory").size(),
            2u);
  EXPECT_TRUE(emu().received_calls("SandboxSnapshotWait").empty());
  sb.terminate();

  EXPECT_THROW(c().sandboxes().experimental_from_snapshot({}), InvalidError);
  EXPECT_THROW(c().sandboxes().experimental_from_snapshot({.snapshot_id = "sn-x"},
                                                          {.name = std::string("bad name")}),
               InvalidError);
  EXPECT_TRUE(emu().received_calls("SandboxRestore").empty());
  EXPECT_THROW(c().sandboxes().experimental_from_snapshot({.snapshot_id = "sn-unknown"}),
               NotFoundError);
  EXPECT_EQ(emu().received_calls("SandboxSnapshotGet").size(), 1u);  // which backend: none
}

}  // namespace
}  // namespace modal::testing
