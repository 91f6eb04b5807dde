// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// The emulator's stores without a server: environments, named objects (the
// object_creation_type rules, anonymous objects, deletion) and images.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "modal_proto/api.pb.h"
#include "server/ids.h"
#include "store/environments.h"
#include "store/images.h"
#include "store/named_store.h"
#include "store/objects.h"

namespace modal::emulator {
namespace {

using ::testing::HasSubstr;

constexpr int kUnspecified = modal::client::OBJECT_CREATION_TYPE_UNSPECIFIED;
constexpr int kCreateIfMissing = modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING;
constexpr int kFailIfExists = modal::client::OBJECT_CREATION_TYPE_CREATE_FAIL_IF_EXISTS;
constexpr int kOverwrite = modal::client::OBJECT_CREATION_TYPE_CREATE_OVERWRITE_IF_EXISTS;
constexpr int kEphemeral = modal::client::OBJECT_CREATION_TYPE_EPHEMERAL;
constexpr int kAnonymous = modal::client::OBJECT_CREATION_TYPE_ANONYMOUS_OWNED_BY_APP;

TEST(EnvironmentStoreTest, MainAlwaysExistsAndEmptyMeansMain) {
  EnvironmentStore envs;
  auto main = envs.resolve("");
  ASSERT_TRUE(main.ok()) << main.status();
  EXPECT_EQ(main->name, "main");
  EXPECT_TRUE(is_id(main->id, "en"));
  EXPECT_EQ(envs.resolve("main")->id, main->id);
  auto missing = envs.resolve("dev");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "Environment 'dev' not found");
}

TEST(EnvironmentStoreTest, GetOrCreateRules) {
  EnvironmentStore envs;
  EXPECT_EQ(envs.get_or_create("dev", kUnspecified).status().code(), absl::StatusCode::kNotFound);
  auto dev = envs.get_or_create("dev", kCreateIfMissing);
  ASSERT_TRUE(dev.ok()) << dev.status();
  EXPECT_EQ(envs.get_or_create("dev", kOverwrite)->id, dev->id);  // environments are kept
  auto again = envs.get_or_create("dev", kFailIfExists);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(again.status().message(), "Environment 'dev' already exists");
  auto bad = envs.get_or_create("x", kEphemeral);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("for EnvironmentGetOrCreate"));
}

TEST(DecideCreationTest, FollowsTheObjectCreationType) {
  EXPECT_EQ(*decide_creation(kApps, kUnspecified, true, "a"), Creation::kUseExisting);
  EXPECT_EQ(*decide_creation(kApps, kCreateIfMissing, true, "a"), Creation::kUseExisting);
  EXPECT_EQ(*decide_creation(kApps, kCreateIfMissing, false, "a"), Creation::kCreateNamed);
  EXPECT_EQ(*decide_creation(kApps, kFailIfExists, false, "a"), Creation::kCreateNamed);
  EXPECT_EQ(*decide_creation(kApps, kOverwrite, false, "a"), Creation::kCreateNamed);
  EXPECT_EQ(*decide_creation(kApps, kOverwrite, true, "a"), Creation::kOverwrite);
  EXPECT_EQ(*decide_creation(kApps, kEphemeral, true, ""), Creation::kCreateAnonymous);
  EXPECT_EQ(*decide_creation(kApps, kAnonymous, false, "a"), Creation::kCreateAnonymous);

  auto const lookup = decide_creation(kApps, kUnspecified, false, "a");
  EXPECT_EQ(lookup.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(lookup.status().message(), "App 'a' not found");
  auto const unnamed = decide_creation(kSecrets, kCreateIfMissing, false, "");
  EXPECT_EQ(unnamed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(unnamed.status().message(), "Secret deployment_name must not be empty");
  auto const taken = decide_creation(kVolumes, kFailIfExists, true, "v");
  EXPECT_EQ(taken.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(taken.status().message(), "Volume 'v' already exists");
  auto const unsupported = decide_creation(kApps, 99, false, "a");
  EXPECT_EQ(unsupported.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(unsupported.status().message(),
            "Unsupported object_creation_type 99 for AppGetOrCreate");
}

class NamedStoreTest : public ::testing::Test {
 protected:
  EnvironmentStore envs_;
  AppStore apps_{envs_, kApps};
  SecretStore secrets_{envs_, kSecrets};
};

TEST_F(NamedStoreTest, CreatesLooksUpAndGetsById) {
  auto created = apps_.get_or_create("", "a", kCreateIfMissing);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_TRUE(is_id(created->id, "ap"));
  EXPECT_EQ(created->name, "a");
  EXPECT_EQ(created->environment, "main");
  EXPECT_FALSE(created->anonymous);
  EXPECT_GT(created->created_at, 0);
  EXPECT_EQ(apps_.get_or_create("main", "a", kUnspecified)->id, created->id);
  EXPECT_EQ(apps_.lookup("", "a")->id, created->id);
  EXPECT_EQ(apps_.get(created->id)->name, "a");
  EXPECT_TRUE(apps_.contains(created->id));
  auto const missing = apps_.get("ap-nope");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "App 'ap-nope' not found");
  EXPECT_EQ(apps_.lookup("", "b").status().message(), "App 'b' not found");
}

TEST_F(NamedStoreTest, NamesAreScopedByEnvironment) {
  ASSERT_TRUE(envs_.get_or_create("dev", kCreateIfMissing).ok());
  auto main = apps_.get_or_create("", "a", kCreateIfMissing);
  auto dev = apps_.get_or_create("dev", "a", kCreateIfMissing);
  ASSERT_TRUE(main.ok() && dev.ok());
  EXPECT_NE(main->id, dev->id);
  EXPECT_EQ(dev->environment, "dev");
  auto const unknown = apps_.get_or_create("prod", "a", kCreateIfMissing);
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(unknown.status().message(), "Environment 'prod' not found");
  EXPECT_EQ(apps_.lookup("prod", "a").status().message(), "Environment 'prod' not found");
}

TEST_F(NamedStoreTest, AnonymousObjectsAreNotReachableByName) {
  auto anon = apps_.get_or_create("", "a", kEphemeral);
  ASSERT_TRUE(anon.ok()) << anon.status();
  EXPECT_TRUE(anon->anonymous);
  EXPECT_EQ(anon->name, "a");
  EXPECT_EQ(apps_.lookup("", "a").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(apps_.get(anon->id).ok());
  auto named = apps_.get_or_create("", "a", kCreateIfMissing);
  EXPECT_NE(named->id, anon->id);
}

TEST_F(NamedStoreTest, OverwriteMakesANewObjectOrRefillsInPlace) {
  auto first = apps_.get_or_create("", "a", kCreateIfMissing);
  auto second = apps_.get_or_create("", "a", kOverwrite);
  EXPECT_NE(second->id, first->id);  // kApps: a new App takes the name
  EXPECT_EQ(apps_.lookup("", "a")->id, second->id);
  EXPECT_TRUE(apps_.get(first->id).ok());  // still reachable by id

  auto const keys = [](std::string value) {
    return [value](SecretRecord& rec) { rec.env = {{"K", value}}; };
  };
  auto secret = secrets_.get_or_create("", "s", kCreateIfMissing, keys("1"));
  EXPECT_EQ(secret->env.at("K"), "1");
  auto kept = secrets_.get_or_create("", "s", kCreateIfMissing, keys("2"));
  EXPECT_EQ(kept->env.at("K"), "1");  // existing: not refilled
  auto replaced = secrets_.get_or_create("", "s", kOverwrite, keys("3"));
  EXPECT_EQ(replaced->id, secret->id);  // kSecrets: in place
  EXPECT_EQ(replaced->env.at("K"), "3");
  EXPECT_EQ(secrets_.get(secret->id)->env.at("K"), "3");
}

TEST_F(NamedStoreTest, RemoveReleasesTheName) {
  auto secret = secrets_.get_or_create("", "s", kCreateIfMissing);
  ASSERT_TRUE(secrets_.remove(secret->id).ok());
  EXPECT_FALSE(secrets_.contains(secret->id));
  EXPECT_EQ(secrets_.lookup("", "s").status().code(), absl::StatusCode::kNotFound);
  auto const again = secrets_.remove(secret->id);
  EXPECT_EQ(again.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(again.message(), "Secret '" + secret->id + "' not found");
  // Removing an object that lost its name to an overwrite leaves the new owner bound.
  auto old_app = apps_.get_or_create("", "a", kCreateIfMissing);
  auto new_app = apps_.get_or_create("", "a", kOverwrite);
  ASSERT_TRUE(apps_.remove(old_app->id).ok());
  EXPECT_EQ(apps_.lookup("", "a")->id, new_app->id);
  EXPECT_EQ(apps_.size(), 1u);
}

ImageRecord built(std::string id, int status) {
  ImageRecord rec;
  rec.id = std::move(id);
  rec.status = status;
  return rec;
}

TEST(ImageStoreTest, CachesSuccessfulBuildsByKey) {
  ImageStore images;
  int builds = 0;
  auto const ok = [&](std::string id) {
    ++builds;
    return built(std::move(id), modal::client::GenericResult::GENERIC_STATUS_SUCCESS);
  };
  auto first = images.get_or_start("k", false, ok);
  EXPECT_FALSE(first.cached);
  EXPECT_TRUE(is_id(first.image.id, "im"));
  auto second = images.get_or_start("k", false, ok);
  EXPECT_TRUE(second.cached);
  EXPECT_EQ(second.image.id, first.image.id);
  auto forced = images.get_or_start("k", true, ok);
  EXPECT_FALSE(forced.cached);
  EXPECT_NE(forced.image.id, first.image.id);
  EXPECT_EQ(builds, 2);
  EXPECT_TRUE(images.get(first.image.id).ok());
  EXPECT_EQ(images.get("im-x").status().message(), "Image 'im-x' not found");

  auto const fail = [](std::string id) {
    return built(std::move(id), modal::client::GenericResult::GENERIC_STATUS_FAILURE);
  };
  auto failed = images.get_or_start("bad", false, fail);
  EXPECT_FALSE(images.get_or_start("bad", false, fail).cached);  // failures are not cached
  EXPECT_TRUE(images.contains(failed.image.id));
}

TEST(ImageStoreTest, RunningBuildsAreJoinedAndReportProgress) {
  ImageStore images;
  auto const running = [](std::string id) { return built(std::move(id), 0); };
  auto first = images.get_or_start("k", false, running);
  ASSERT_FALSE(first.cached);
  EXPECT_FALSE(first.image.finished());
  auto joined = images.get_or_start("k", false, running);
  EXPECT_TRUE(joined.cached);  // the same build, still running
  EXPECT_EQ(joined.image.id, first.image.id);

  auto const soon = std::chrono::steady_clock::now() + std::chrono::milliseconds(50);
  auto none = images.wait_progress(first.image.id, 0, soon, {});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->lines.empty());
  EXPECT_FALSE(none->done.has_value());

  std::thread builder([&] {
    images.append_log(first.image.id, "step 1");
    images.finish(first.image.id, modal::client::GenericResult::GENERIC_STATUS_FAILURE, "boom",
                  {"/layer"}, {});
  });
  auto const later = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::vector<std::string> lines;
  std::optional<ImageRecord> done;
  while (!done) {
    auto p = images.wait_progress(first.image.id, lines.size(), later, {});
    ASSERT_TRUE(p.ok());
    lines.insert(lines.end(), p->lines.begin(), p->lines.end());
    done = p->done;
  }
  builder.join();
  EXPECT_EQ(lines, std::vector<std::string>{"step 1"});
  EXPECT_EQ(done->exception, "boom");
  EXPECT_TRUE(done->layers.empty());  // a failed build has no layers
  // A failed build is not joined any more.
  EXPECT_FALSE(images.get_or_start("k", false, running).cached);
  EXPECT_EQ(images.wait_progress("im-x", 0, later, {}).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(ImageStoreTest, SnapshotsAreIdempotentAndNamesResolve) {
  ImageStore images;
  int made = 0;
  auto const make = [&](std::string id) -> absl::StatusOr<ImageRecord> {
    ++made;
    return built(std::move(id), modal::client::GenericResult::GENERIC_STATUS_SUCCESS);
  };
  auto a = images.get_or_snapshot("snap-1", make);
  auto b = images.get_or_snapshot("snap-1", make);
  auto c = images.get_or_snapshot("", make);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *c);
  EXPECT_EQ(made, 2);
  auto const failing = [](std::string const&) -> absl::StatusOr<ImageRecord> {
    return absl::FailedPreconditionError("finished");
  };
  EXPECT_EQ(images.get_or_snapshot("snap-2", failing).status().code(),
            absl::StatusCode::kFailedPrecondition);

  images.publish("main", "web:latest", *a);
  EXPECT_EQ(*images.find_published("main", "web:latest"), *a);
  EXPECT_EQ(images.find_published("dev", "web:latest").status().code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(images.remove(*a).ok());
  EXPECT_EQ(images.remove(*a).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(images.find_published("main", "web:latest").status().code(),
            absl::StatusCode::kNotFound);
  // Its snapshot key is forgotten with it: the next request makes a new image.
  auto again = images.get_or_snapshot("snap-1", make);
  ASSERT_TRUE(again.ok());
  EXPECT_NE(*again, *a);
}

}  // namespace
}  // namespace modal::emulator
