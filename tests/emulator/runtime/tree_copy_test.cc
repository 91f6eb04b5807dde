// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// copy_tree: what an image layer needs to survive a copy (runtime/tree_copy.h).
#include "runtime/tree_copy.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace modal::emulator::runtime {
namespace {

namespace fs = std::filesystem;

class TreeCopyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "tree-copy-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    src_ = root_ / "src";
    fs::create_directories(src_ / "dir" / "deep");
  }
  void TearDown() override { fs::remove_all(root_); }
  static void write(fs::path const& p, std::string const& text) { std::ofstream(p) << text; }
  static std::string read(fs::path const& p) {
    std::ifstream in(p);
    return {std::istreambuf_iterator<char>(in), {}};
  }

  fs::path root_, src_;
};

TEST_F(TreeCopyTest, CopiesContentLinksNodesModesAndAttributes) {
  write(src_ / "file", "hello");
  write(src_ / "dir" / "deep" / "big", std::string(3 << 20, 'x'));
  ::chmod((src_ / "file").c_str(), 04751);
  fs::create_symlink("/etc/passwd", src_ / "abs-link");
  fs::create_symlink("../file", src_ / "dir" / "rel-link");
  ASSERT_EQ(::mkfifo((src_ / "fifo").c_str(), 0640), 0);
  bool const root = ::geteuid() == 0;
  if (root) {
    // An overlayfs whiteout and an opaque directory marker.
    ASSERT_EQ(::mknod((src_ / "deleted").c_str(), S_IFCHR | 0, makedev(0, 0)), 0);
    ASSERT_EQ(::setxattr((src_ / "dir").c_str(), "trusted.overlay.opaque", "y", 1, 0), 0);
  }
  struct timespec const old[2] = {{1000000000, 0}, {1000000000, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (src_ / "file").c_str(), old, 0), 0);

  TreeCopyStats stats;
  ASSERT_TRUE(copy_tree(src_.string(), (root_ / "dst").string(), &stats).ok());
  fs::path const dst = root_ / "dst";
  EXPECT_EQ(read(dst / "file"), "hello");
  EXPECT_EQ(read(dst / "dir" / "deep" / "big").size(), size_t{3} << 20);
  EXPECT_EQ(fs::read_symlink(dst / "abs-link"), "/etc/passwd");  // not followed
  EXPECT_EQ(fs::read_symlink(dst / "dir" / "rel-link"), "../file");
  struct stat st {};
  ASSERT_EQ(::lstat((dst / "file").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 04751u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1000000000);
  ASSERT_EQ(::lstat((dst / "fifo").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  EXPECT_GE(stats.bytes, (uint64_t{3} << 20) + 5);
  EXPECT_EQ(stats.directories, 2u);
  if (root) {
    ASSERT_EQ(::lstat((dst / "deleted").c_str(), &st), 0);
    EXPECT_TRUE(S_ISCHR(st.st_mode));
    EXPECT_EQ(st.st_rdev, makedev(0, 0));
    char value[4] = {};
    EXPECT_EQ(::getxattr((dst / "dir").c_str(), "trusted.overlay.opaque", value, sizeof value), 1);
    EXPECT_EQ(value[0], 'y');
  }
}

TEST_F(TreeCopyTest, AnExistingDestinationOrAMissingSourceFailsAndLeavesNothing) {
  fs::create_directory(root_ / "exists");
  EXPECT_FALSE(copy_tree(src_.string(), (root_ / "exists").string()).ok());
  EXPECT_TRUE(fs::exists(root_ / "exists"));  // not removed: it was not ours
  auto missing = copy_tree((root_ / "nope").string(), (root_ / "out").string());
  EXPECT_FALSE(missing.ok());
  EXPECT_FALSE(fs::exists(root_ / "out"));
  // A source that is a symbolic link to a directory is not followed.
  fs::create_directory_symlink(src_, root_ / "link");
  EXPECT_FALSE(copy_tree((root_ / "link").string(), (root_ / "out").string()).ok());
}

}  // namespace
}  // namespace modal::emulator::runtime
