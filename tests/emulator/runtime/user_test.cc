// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// An image's USER resolved against its /etc/passwd and /etc/group (runtime/user.h).
#include "runtime/user.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace modal::emulator::runtime {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kPasswd[] =
    "root:x:0:0:root:/root:/bin/sh\n"
    "# a comment\n"
    "malformed line\n"
    "app:x:1000:1001:App:/home/app:/bin/sh\n"
    "bad:x:notanumber:0::/:\n"
    "big:x:4294967295:0::/:\n";
constexpr char kGroup[] =
    "root:x:0:\n"
    "app:x:1001:\n"
    "docker:x:998:other,app\n"
    "audio:x:29:app\n";

TEST(ResolveUserTest, NamesNumbersAndGroups) {
  auto app = resolve_user("app", kPasswd, kGroup);
  ASSERT_TRUE(app.ok()) << app.status();
  EXPECT_EQ(app->uid, 1000u);
  EXPECT_EQ(app->gid, 1001u);
  EXPECT_EQ(app->home, "/home/app");
  EXPECT_THAT(app->groups, ElementsAre(998u, 29u));
  // A number with an entry takes the entry's group; without one, group 0.
  auto by_id = resolve_user("1000", kPasswd, kGroup);
  ASSERT_TRUE(by_id.ok());
  EXPECT_EQ(by_id->gid, 1001u);
  auto unknown_id = resolve_user("4242", kPasswd, kGroup);
  ASSERT_TRUE(unknown_id.ok());
  EXPECT_EQ(unknown_id->uid, 4242u);
  EXPECT_EQ(unknown_id->gid, 0u);
  EXPECT_THAT(unknown_id->groups, IsEmpty());
  // An explicit group replaces the primary one and the supplementary ones.
  auto with_group = resolve_user("app:docker", kPasswd, kGroup);
  ASSERT_TRUE(with_group.ok());
  EXPECT_EQ(with_group->gid, 998u);
  EXPECT_THAT(with_group->groups, IsEmpty());
  auto numeric_group = resolve_user("app:5", kPasswd, kGroup);
  ASSERT_TRUE(numeric_group.ok());
  EXPECT_EQ(numeric_group->gid, 5u);
}

TEST(ResolveUserTest, WhatCannotBeResolvedIsRefused) {
  auto missing = resolve_user("nobody-here", kPasswd, kGroup);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(missing.status().message(), HasSubstr("unable to find user nobody-here"));
  EXPECT_THAT(resolve_user("app:nogroup", kPasswd, kGroup).status().message(),
              HasSubstr("unable to find group nogroup"));
  for (char const* bad : {"", ":", "app:", ":app", "4294967295", "99999999999"}) {
    EXPECT_FALSE(resolve_user(bad, kPasswd, kGroup).ok()) << bad;
  }
  // Entries with bad numbers are skipped, not taken as 0.
  EXPECT_FALSE(resolve_user("bad", kPasswd, kGroup).ok());
  EXPECT_FALSE(resolve_user("big", kPasswd, kGroup).ok());
}

TEST(ResolveUserTest, TheTopmostLayerWithTheFileWins) {
  auto const base = std::filesystem::path(::testing::TempDir()) / "resolve-user-layers";
  std::filesystem::remove_all(base);
  for (char const* dir : {"top/etc", "middle/etc", "root/etc"}) {
    std::filesystem::create_directories(base / dir);
  }
  std::ofstream(base / "middle/etc/passwd") << "app:x:2000:2000::/srv:/bin/sh\n";
  std::ofstream(base / "root/etc/passwd") << "app:x:3000:3000::/old:/bin/sh\n";
  std::ofstream(base / "root/etc/group") << "extra:x:7:app\n";
  auto ids = resolve_user_in(
      "app", {(base / "top").string(), (base / "middle").string(), (base / "root").string()});
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ(ids->uid, 2000u);
  EXPECT_EQ(ids->home, "/srv");
  EXPECT_THAT(ids->groups, ElementsAre(7u));
  std::filesystem::remove_all(base);
}

}  // namespace
}  // namespace modal::emulator::runtime
