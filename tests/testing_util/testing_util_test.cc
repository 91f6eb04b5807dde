// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "testing_util/scoped_environment.h"
#include "testing_util/temp_file.h"

namespace modal::testing_util {
namespace {

namespace fs = std::filesystem;

std::optional<std::string> env(char const* name) { return ScopedEnvironment::get(name); }

TEST(ScopedEnvironmentTest, SetsAndRestoresPreviousValue) {
  ::setenv("MODAL_TU_A", "before", 1);
  {
    ScopedEnvironment scoped;
    scoped.set("MODAL_TU_A", "during");
    EXPECT_EQ(env("MODAL_TU_A"), "during");
    scoped.set("MODAL_TU_A", "again");  // a second change must not overwrite the saved value
    EXPECT_EQ(env("MODAL_TU_A"), "again");
  }
  EXPECT_EQ(env("MODAL_TU_A"), "before");
  ::unsetenv("MODAL_TU_A");
}

TEST(ScopedEnvironmentTest, UnsetsVariablesThatDidNotExist) {
  ::unsetenv("MODAL_TU_B");
  {
    ScopedEnvironment scoped{{"MODAL_TU_B", "x"}};
    EXPECT_EQ(env("MODAL_TU_B"), "x");
  }
  EXPECT_EQ(env("MODAL_TU_B"), std::nullopt);
}

TEST(ScopedEnvironmentTest, UnsetRestoresValue) {
  ::setenv("MODAL_TU_C", "keep", 1);
  {
    ScopedEnvironment scoped{{"MODAL_TU_C", std::nullopt}};
    EXPECT_EQ(env("MODAL_TU_C"), std::nullopt);
  }
  EXPECT_EQ(env("MODAL_TU_C"), "keep");
  ::unsetenv("MODAL_TU_C");
}

TEST(ScopedEnvironmentTest, UnsetWithPrefixOnlyTouchesMatchingNames) {
  ::setenv("MODAL_TU_P1", "1", 1);
  ::setenv("MODAL_TU_P2", "2", 1);
  ::setenv("OTHER_TU_P3", "3", 1);
  {
    ScopedEnvironment scoped;
    scoped.unset_with_prefix("MODAL_TU_P");
    EXPECT_EQ(env("MODAL_TU_P1"), std::nullopt);
    EXPECT_EQ(env("MODAL_TU_P2"), std::nullopt);
    EXPECT_EQ(env("OTHER_TU_P3"), "3");
  }
  EXPECT_EQ(env("MODAL_TU_P1"), "1");
  EXPECT_EQ(env("MODAL_TU_P2"), "2");
  for (char const* name : {"MODAL_TU_P1", "MODAL_TU_P2", "OTHER_TU_P3"}) ::unsetenv(name);
}

TEST(ScopedEnvironmentTest, RejectsInvalidNames) {
  ScopedEnvironment scoped;
  EXPECT_THROW(scoped.set("A=B", "x"), std::invalid_argument);
  EXPECT_THROW(scoped.set("", "x"), std::invalid_argument);
}

TEST(TempDirTest, CreatesPrivateDirectoryAndRemovesItWithContents) {
  fs::path where;
  {
    TempDir dir("tu-dir-");
    where = dir.path();
    ASSERT_TRUE(fs::is_directory(where));
    EXPECT_EQ(where.filename().string().rfind("tu-dir-", 0), 0U);
    struct stat st {};
    ASSERT_EQ(::stat(where.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700U);

    auto const file = dir.write_file("a/b/c.txt", "hello");
    EXPECT_EQ(file, dir / "a/b/c.txt");
    EXPECT_EQ(read_file(file), "hello");
    dir.write_file("a/b/c.txt", "bye");  // replaces
    EXPECT_EQ(read_file(file), "bye");
  }
  EXPECT_FALSE(fs::exists(where));
}

TEST(TempDirTest, MoveTransfersOwnership) {
  TempDir first;
  fs::path const where = first.path();
  TempDir second = std::move(first);
  EXPECT_TRUE(first.path().empty());  // NOLINT(bugprone-use-after-move): documented state
  EXPECT_EQ(second.path(), where);
  {
    TempDir third;
    fs::path const third_path = third.path();
    third = std::move(second);  // releases third's own directory
    EXPECT_FALSE(fs::exists(third_path));
    EXPECT_TRUE(fs::exists(where));
  }
  EXPECT_FALSE(fs::exists(where));
}

TEST(TempDirTest, DistinctDirectories) {
  TempDir a;
  TempDir b;
  EXPECT_NE(a.path(), b.path());
}

TEST(TempFileTest, HoldsContentWithSuffixAndIsRemoved) {
  fs::path where;
  {
    TempFile file("[default]\ntoken_id = \"x\"\n", ".toml");
    where = file.path();
    EXPECT_EQ(where.extension(), ".toml");
    EXPECT_EQ(file.read(), "[default]\ntoken_id = \"x\"\n");
    file.write("");
    EXPECT_EQ(file.read(), "");
    EXPECT_EQ(fs::file_size(where), 0U);
  }
  EXPECT_FALSE(fs::exists(where));
}

TEST(TempFileTest, MoveTransfersOwnership) {
  TempFile a("x");
  fs::path const where = a.path();
  TempFile b(std::move(a));
  EXPECT_TRUE(a.path().empty());  // NOLINT(bugprone-use-after-move): documented state
  EXPECT_EQ(b.read(), "x");
  EXPECT_TRUE(fs::exists(where));
}

TEST(TempFileTest, HonoursTmpdir) {
  TempDir root;
  ScopedEnvironment scoped{{"TMPDIR", root.path().string()}};
  TempFile file("y");
  EXPECT_EQ(file.path().parent_path(), root.path());
}

TEST(ReadFileTest, MissingFileThrows) {
  TempDir dir;
  EXPECT_THROW(read_file(dir / "missing"), std::system_error);
  EXPECT_THROW(write_file(dir / "no/such/dir/file", "x"), std::system_error);
}

}  // namespace
}  // namespace modal::testing_util
