// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Registry tags mapped to local images (EmulatorOptions::images, --image TAG=PATH): a
// tiny busybox image, made by the test from Debian's busybox-static, is the whole root
// file system of the Sandboxes of its tag.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "sandbox_test_util.h"
#include "testing_util/temp_file.h"

namespace modal::testing {
namespace {

using ::testing::HasSubstr;

/// Builds the image with make_busybox_image.py; empty on failure.
std::string make_image(std::filesystem::path const& dir, char const* format) {
  std::filesystem::path const out =
      dir / (std::string(format) == "oci" ? "busybox-oci" : "busybox.tar");
  std::string const cmd =
      std::string("python3 '") + MODAL_MAKE_BUSYBOX_IMAGE + "' '" + out.string() + "' " + format;
  return std::system(cmd.c_str()) == 0 ? out.string() : std::string();
}

class BusyboxImageTest : public SandboxTest {
 protected:
  emulator::EmulatorOptions emulator_options() override {
    auto options = SandboxTest::emulator_options();
    docker_save_ = make_image(dir_.path(), "docker-save");
    oci_ = make_image(dir_.path(), "oci");
    EXPECT_FALSE(docker_save_.empty());
    EXPECT_FALSE(oci_.empty());
    options.images = {{"busybox:test", docker_save_}, {"example.com/team/busybox", oci_}};
    return options;
  }

  testing_util::TempDir dir_;
  std::string docker_save_, oci_;
};

TEST_F(BusyboxImageTest, TheImageIsTheSandboxsWholeRoot) {
  auto sb = c().sandboxes().create(app(), c().images().from_registry("busybox:test"));
  // /bin/sh is busybox, the image's config applies, and none of the host's files show.
  auto [out, code] = sh(sb,
                        "readlink /bin/sh; echo $GREETING; pwd; . /etc/os-release; echo $ID;"
                        " test -e /usr/bin/python3; echo $?; test -e /etc/debian_version; echo $?;"
                        " ls /usr 2>/dev/null | wc -l");
  EXPECT_EQ(code, 0);
  EXPECT_EQ(out, "busybox\nfrom-the-image\n/home/app\nbusybox-test\n1\n1\n0\n");
  // Writes stay in the Sandbox; the image (and the host) are unchanged.
  ASSERT_EQ(sh(sb, "echo hi > /etc/new && cat /etc/new").first, "hi\n");
  auto other = c().sandboxes().create(app(), c().images().from_registry("busybox:test"));
  EXPECT_EQ(sh(other, "test -e /etc/new; echo $?").first, "1\n");
  sb.terminate();
  other.terminate();
}

TEST_F(BusyboxImageTest, AnOciLayoutTagWithoutVersionIsLatest) {
  auto sb =
      c().sandboxes().create(app(), c().images().from_registry("example.com/team/busybox:latest"));
  EXPECT_EQ(sh(sb, "readlink /bin/ls; echo $GREETING").first, "busybox\nfrom-the-image\n");
  sb.terminate();
}

TEST_F(BusyboxImageTest, TheFilesystemApiAndStepsWorkInIt) {
  // Dockerfile steps run inside the image too.
  auto img =
      c().images()
          .from_registry("busybox:test")
          .dockerfile_commands({"RUN echo built-in-busybox > /etc/step && readlink /bin/sh"});
  auto sb = c().sandboxes().create(app(), img);
  EXPECT_EQ(sh(sb, "cat /etc/step").first, "built-in-busybox\n");
  // The filesystem tool is static: it runs without the host's libraries.
  auto fs = sb.filesystem();
  fs.write_text("written through the tool", "/home/app/notes.txt");
  EXPECT_EQ(fs.read_text("/home/app/notes.txt"), "written through the tool");
  EXPECT_EQ(sh(sb, "cat /home/app/notes.txt").first, "written through the tool");
  // An idle Sandbox (no command) needs no sleep(1) of the image's.
  EXPECT_FALSE(sb.poll().has_value());
  // A directory snapshot of it mounts elsewhere.
  auto home = sb.snapshot_directory("/home/app");
  auto plain = c().sandboxes().create(app(), c().images().from_registry("busybox:test"));
  plain.mount_image("/mnt/home", home);
  EXPECT_EQ(sh(plain, "cat /mnt/home/notes.txt").first, "written through the tool");
  sb.terminate();
  plain.terminate();
}

TEST_F(BusyboxImageTest, UnmappedTagsKeepTheHostsUserland) {
  auto sb = c().sandboxes().create(app(), c().images().from_registry("debian:12"));
  EXPECT_EQ(sh(sb, "test -e /etc/debian_version; echo $?").first, "0\n");
  sb.terminate();
}

TEST(BusyboxImageStartupTest, ABadImageFailsTheStartWithItsReason) {
  testing_util::TempDir dir;
  auto const bogus = dir.path() / "not-an-image.tar";
  { std::ofstream(bogus) << "not a tar archive"; }
  emulator::EmulatorOptions options;
  options.images = {{"bad:1", bogus.string()}};
  try {
    emulator::Emulator emulator(options);
    FAIL() << "the emulator started with a bad image";
  } catch (std::invalid_argument const& e) {
    EXPECT_THAT(e.what(), HasSubstr("--image bad:1="));
  }
  options.images = {{"missing:1", (dir.path() / "nope").string()}};
  EXPECT_THROW(emulator::Emulator{options}, std::invalid_argument);
}

}  // namespace
}  // namespace modal::testing
