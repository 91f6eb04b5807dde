// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// The emulator's stores without a server: environments, named objects (the
// object_creation_type rules, anonymous objects, deletion) and images.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "modal_proto/api.pb.h"
#include "server/ids.h"
#include "store/environments.h"
#include "store/images.h"
#include "store/named_store.h"
#include "store/objects.h"
#include "store/queues.h"

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

// ---------------------------------------------------------------------------------------
// Ephemeral objects: heartbeats and expiry

TEST(NamedStoreExpiryTest, EphemeralObjectsExpireWithoutHeartbeats) {
  EnvironmentStore envs;
  QueueStore queues{envs, kQueues};
  auto now = QueueStore::Clock::now();
  queues.set_clock([&now] { return now; });
  std::vector<std::string> released;
  queues.set_on_remove([&released](QueueRecord const& rec) { released.push_back(rec.id); });

  auto eph = queues.get_or_create("", "", kEphemeral);
  auto beating = queues.get_or_create("", "", kEphemeral);
  auto named = queues.get_or_create("", "n", kCreateIfMissing);
  auto owned = queues.get_or_create("", "", kAnonymous);
  ASSERT_TRUE(eph.ok() && beating.ok() && named.ok() && owned.ok());
  EXPECT_TRUE(eph->ephemeral);
  EXPECT_FALSE(named->ephemeral);
  EXPECT_FALSE(owned->ephemeral);

  auto const timeout = std::chrono::seconds(10);
  now += std::chrono::seconds(6);
  EXPECT_TRUE(queues.expire_idle(timeout).empty());
  EXPECT_TRUE(queues.heartbeat(beating->id).ok());
  EXPECT_TRUE(queues.heartbeat(named->id).ok());  // a no-op for the others
  now += std::chrono::seconds(4);                 // exactly the timeout: not yet idle
  EXPECT_TRUE(queues.expire_idle(timeout).empty());
  now += std::chrono::seconds(1);
  EXPECT_EQ(queues.expire_idle(timeout), std::vector<std::string>{eph->id});
  EXPECT_EQ(released, std::vector<std::string>{eph->id});
  EXPECT_FALSE(queues.contains(eph->id));
  EXPECT_EQ(queues.heartbeat(eph->id).code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(queues.heartbeat(eph->id).message()), HasSubstr("Queue '"));

  // The one with a heartbeat 5 s ago lives until 10 s after it.
  now += std::chrono::seconds(5);
  EXPECT_TRUE(queues.expire_idle(timeout).empty());
  now += std::chrono::seconds(1);
  EXPECT_EQ(queues.expire_idle(timeout), std::vector<std::string>{beating->id});

  // Named and app-owned objects never expire; removal runs the hook too.
  now += std::chrono::hours(100);
  EXPECT_TRUE(queues.expire_idle(timeout).empty());
  EXPECT_TRUE(queues.contains(named->id));
  EXPECT_TRUE(queues.contains(owned->id));
  ASSERT_TRUE(queues.remove(named->id).ok());
  EXPECT_EQ(released, (std::vector<std::string>{eph->id, beating->id, named->id}));
  EXPECT_EQ(queues.heartbeat(named->id).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(queues.remove(named->id).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(released.size(), 3u);  // no hook for a failed removal
}

TEST(NamedStoreExpiryTest, TheRemovalHookRunsOutsideTheStoreLock) {
  EnvironmentStore envs;
  VolumeStore volumes{envs, kVolumes};
  volumes.set_clock([] { return VolumeStore::Clock::now() + std::chrono::hours(1); });
  bool still_there = true;
  // Calling back into the store from the hook would deadlock under its lock.
  volumes.set_on_remove([&](VolumeRecord const& rec) { still_there = volumes.contains(rec.id); });
  auto v = volumes.get_or_create("", "", kEphemeral);
  ASSERT_TRUE(v.ok());
  volumes.set_clock([] { return VolumeStore::Clock::now() + std::chrono::hours(2); });
  EXPECT_EQ(volumes.expire_idle(std::chrono::minutes(1)).size(), 1u);
  EXPECT_FALSE(still_there);
}

// ---------------------------------------------------------------------------------------
// Queue items

class QueueItemStoreTest : public ::testing::Test {
 protected:
  using Clock = QueueItemStore::Clock;

  explicit QueueItemStoreTest(QueueLimits limits = {})
      : store_(limits, [this] { return Clock::now() + offset_.load(); }) {
    store_.create("qu-1");
  }

  static Clock::time_point in(std::chrono::milliseconds ms) { return Clock::now() + ms; }

  std::vector<std::string> get(std::string_view partition, std::size_t n) {
    auto got = store_.get("qu-1", partition, n, Clock::now());
    EXPECT_TRUE(got.ok()) << got.status();
    return got.ok() ? *got : std::vector<std::string>{};
  }

  std::size_t len(std::string_view partition, bool total = false) {
    auto n = store_.len("qu-1", partition, total);
    EXPECT_TRUE(n.ok()) << n.status();
    return n.ok() ? *n : 0;
  }

  std::atomic<Clock::duration> offset_{Clock::duration::zero()};
  QueueItemStore store_;
};

using Values = std::vector<std::string>;
constexpr std::chrono::seconds kNoTtl{0};

TEST_F(QueueItemStoreTest, PartitionsAreIndependentFifos) {
  ASSERT_TRUE(store_.put("qu-1", "", {"a", "b", "c"}, kNoTtl).ok());
  ASSERT_TRUE(store_.put("qu-1", "p", {"x"}, kNoTtl).ok());
  ASSERT_TRUE(store_.put("qu-1", "", {"d"}, kNoTtl).ok());
  EXPECT_EQ(len(""), 4u);
  EXPECT_EQ(len("p"), 1u);
  EXPECT_EQ(len("", /*total=*/true), 5u);
  EXPECT_EQ(get("", 2), (Values{"a", "b"}));
  EXPECT_EQ(get("p", 5), (Values{"x"}));
  EXPECT_EQ(get("p", 1), Values{});
  EXPECT_EQ(get("", 10), (Values{"c", "d"}));
  EXPECT_EQ(get("", 1), Values{});

  ASSERT_TRUE(store_.put("qu-1", "p", {"1", "2"}, kNoTtl).ok());
  ASSERT_TRUE(store_.put("qu-1", "q", {"3"}, kNoTtl).ok());
  ASSERT_TRUE(store_.put("qu-1", "", {"4"}, kNoTtl).ok());
  ASSERT_TRUE(store_.clear("qu-1", "p", false).ok());
  EXPECT_EQ(len("p"), 0u);
  EXPECT_EQ(len("", true), 2u);
  ASSERT_TRUE(store_.clear("qu-1", "", true).ok());
  EXPECT_EQ(len("", true), 0u);

  EXPECT_EQ(store_.put("qu-2", "", {"a"}, kNoTtl).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_.len("qu-2", "", false).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(QueueItemStoreTest, PartitionsExpireTheirTtlAfterTheLastPut) {
  ASSERT_TRUE(store_.put("qu-1", "short", {"a"}, std::chrono::seconds(10)).ok());
  ASSERT_TRUE(store_.put("qu-1", "", {"b"}, kNoTtl).ok());  // 24 h
  offset_ = std::chrono::seconds(8);
  ASSERT_TRUE(store_.put("qu-1", "short", {"c"}, std::chrono::seconds(10)).ok());  // until 18 s
  offset_ = std::chrono::seconds(17);
  EXPECT_EQ(len("short"), 2u);
  offset_ = std::chrono::seconds(19);
  EXPECT_EQ(len("short"), 0u);
  EXPECT_EQ(get("short", 5), Values{});
  EXPECT_EQ(len("", true), 1u);
  offset_ = std::chrono::hours(24) + std::chrono::seconds(1);
  EXPECT_EQ(store_.sweep_expired(), 1u);  // the default partition, 24 h after its put
  EXPECT_EQ(len("", true), 0u);
  // An expired partition is a new one for the next put.
  ASSERT_TRUE(store_.put("qu-1", "short", {"d"}, std::chrono::seconds(1)).ok());
  EXPECT_EQ(get("short", 5), Values{"d"});
  EXPECT_EQ(store_.put("qu-1", "", {"x"}, std::chrono::seconds(-1)).code(),
            absl::StatusCode::kInvalidArgument);
}

class SmallQueueItemStoreTest : public QueueItemStoreTest {
 protected:
  SmallQueueItemStoreTest() : QueueItemStoreTest(limits()) {}
  static QueueLimits limits() {
    QueueLimits l;
    l.max_partition_items = 3;
    l.max_value_bytes = 8;
    l.max_partitions = 2;
    return l;
  }
};

TEST_F(SmallQueueItemStoreTest, PutsBeyondTheLimitsFailWholly) {
  ASSERT_TRUE(store_.put("qu-1", "", {"a", "b"}, kNoTtl).ok());
  auto full = store_.put("qu-1", "", {"c", "d"}, kNoTtl);
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(full.message()), HasSubstr("is full"));
  EXPECT_THAT(std::string(full.message()), HasSubstr("at most 3"));
  EXPECT_EQ(len(""), 2u);  // all or nothing
  ASSERT_TRUE(store_.put("qu-1", "", {"c"}, kNoTtl).ok());
  EXPECT_EQ(store_.put("qu-1", "", {"d"}, kNoTtl).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(get("", 1), Values{"a"});
  EXPECT_TRUE(store_.put("qu-1", "", {"d"}, kNoTtl).ok());  // room again
  EXPECT_EQ(get("", 5), (Values{"b", "c", "d"}));

  EXPECT_EQ(store_.put("qu-1", "", {"123456789"}, kNoTtl).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(store_.put("qu-1", "", {"12345678"}, kNoTtl).ok());
  EXPECT_EQ(store_.put("qu-1", std::string(65, 'k'), {"a"}, kNoTtl).code(),
            absl::StatusCode::kInvalidArgument);
  // Two partitions at most ("" and "p"); a third fails.
  EXPECT_TRUE(store_.put("qu-1", "p", {"a"}, kNoTtl).ok());
  EXPECT_EQ(store_.put("qu-1", "q", {"a"}, kNoTtl).code(), absl::StatusCode::kResourceExhausted);
}

TEST_F(QueueItemStoreTest, EntryIdsIncreaseAndNextItemsDoesNotConsume) {
  std::vector<std::string> values;
  for (int i = 0; i < 250; ++i) values.push_back("v" + std::to_string(i));
  ASSERT_TRUE(store_.put("qu-1", "", values, kNoTtl).ok());
  ASSERT_TRUE(store_.put("qu-1", "other", {"o"}, kNoTtl).ok());
  std::vector<std::string> seen;
  std::optional<QueueEntryId> last;
  std::string last_id;
  while (true) {
    auto page = store_.next_items("qu-1", "", last_id, 100, Clock::now());
    ASSERT_TRUE(page.ok()) << page.status();
    if (page->empty()) break;
    EXPECT_LE(page->size(), 100u);
    for (auto const& item : *page) {
      EXPECT_TRUE(std::regex_match(item.entry_id, std::regex("[0-9]{13}-[0-9]+"))) << item.entry_id;
      auto id = QueueEntryId::parse(item.entry_id);
      ASSERT_TRUE(id.ok());
      if (last) {
        EXPECT_LT(*last, *id);
      }
      last = *id;
      EXPECT_EQ(id->str(), item.entry_id);
      seen.push_back(item.value);
    }
    last_id = page->back().entry_id;
  }
  EXPECT_EQ(seen, values);
  EXPECT_EQ(len(""), 250u);
  // After a clear, new entries still come after the last id seen.
  ASSERT_TRUE(store_.clear("qu-1", "", false).ok());
  ASSERT_TRUE(store_.put("qu-1", "", {"new"}, kNoTtl).ok());
  auto after = store_.next_items("qu-1", "", last_id, 100, Clock::now());
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ(after->front().value, "new");

  for (std::string bad : {"x", "1-", "-1", "1-2-3", "+1-2", "1-+2", "1 -2", "1.5-2"}) {
    EXPECT_EQ(store_.next_items("qu-1", "", bad, 10, Clock::now()).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST_F(QueueItemStoreTest, BlockedReadersAreWokenByPuts) {
  auto const start = Clock::now();
  std::thread putter([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    ASSERT_TRUE(store_.put("qu-1", "p", {"a", "b"}, kNoTtl).ok());
    ASSERT_TRUE(store_.put("qu-1", "g", {"a", "b"}, kNoTtl).ok());
  });
  std::vector<QueueItemCopy> peeked;
  std::thread peeker([&] {
    auto items = store_.next_items("qu-1", "p", "", 10, in(std::chrono::seconds(20)));
    ASSERT_TRUE(items.ok());
    peeked = *items;
  });
  auto got = store_.get("qu-1", "g", 5, in(std::chrono::seconds(20)));
  auto const waited = Clock::now() - start;
  putter.join();
  peeker.join();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, (Values{"a", "b"}));
  EXPECT_GE(waited, std::chrono::milliseconds(150));
  EXPECT_LT(waited, std::chrono::seconds(5));
  EXPECT_EQ(peeked.size(), 2u);

  // A timeout answers nothing, in about its time.
  auto const t0 = Clock::now();
  auto none = store_.get("qu-1", "g", 1, in(std::chrono::milliseconds(300)));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_GE(Clock::now() - t0, std::chrono::milliseconds(290));
}

TEST_F(QueueItemStoreTest, ACancelledGetTakesNothingAndDropAndShutdownWakeWaiters) {
  std::atomic<bool> cancelled{false};
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    cancelled = true;
  });
  auto const t0 = Clock::now();
  auto got =
      store_.get("qu-1", "", 1, in(std::chrono::seconds(20)), [&] { return cancelled.load(); });
  canceller.join();
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->empty());
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(5));

  // Items there when the client is gone stay.
  ASSERT_TRUE(store_.put("qu-1", "", {"a"}, kNoTtl).ok());
  got = store_.get("qu-1", "", 1, in(std::chrono::seconds(1)), [] { return true; });
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->empty());
  EXPECT_EQ(len(""), 1u);

  std::thread dropper([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    store_.drop("qu-1");
  });
  auto dropped = store_.get("qu-1", "other", 1, in(std::chrono::seconds(20)));
  dropper.join();
  EXPECT_EQ(dropped.status().code(), absl::StatusCode::kNotFound);
  store_.create("qu-1");  // a dropped queue does not come back
  EXPECT_FALSE(store_.contains("qu-1"));

  store_.create("qu-2");
  std::thread stopper([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    store_.shutdown();
  });
  auto const t1 = Clock::now();
  auto stopped = store_.next_items("qu-2", "", "", 1, in(std::chrono::seconds(20)));
  stopper.join();
  ASSERT_TRUE(stopped.ok());
  EXPECT_TRUE(stopped->empty());
  EXPECT_LT(Clock::now() - t1, std::chrono::seconds(5));
}

class BigQueueItemStoreTest : public QueueItemStoreTest {
 protected:
  BigQueueItemStoreTest() : QueueItemStoreTest(limits()) {}
  static QueueLimits limits() {
    QueueLimits l;
    l.max_partition_items = 1 << 20;
    return l;
  }
};

TEST_F(BigQueueItemStoreTest, EightProducersAndEightConsumersDeliverEveryItemOnce) {
  constexpr int kProducers = 8;
  constexpr int kConsumers = 8;
  constexpr int kItems = 100000;
  constexpr int kPerProducer = kItems / kProducers;
  std::atomic<int> consumed{0};
  std::vector<std::vector<std::string>> got(kConsumers);
  std::vector<std::thread> threads;
  for (int c = 0; c < kConsumers; ++c) {
    threads.emplace_back([&, c] {
      while (consumed.load() < kItems) {
        auto values = store_.get("qu-1", "", 1 + c % 3, in(std::chrono::milliseconds(50)));
        ASSERT_TRUE(values.ok());
        consumed += static_cast<int>(values->size());
        for (auto& v : *values) got[c].push_back(std::move(v));
      }
    });
  }
  for (int p = 0; p < kProducers; ++p) {
    threads.emplace_back([&, p] {
      for (int i = 0; i < kPerProducer;) {
        int const n = p % 2 == 0 ? 1 : std::min(7, kPerProducer - i);  // put and put_many
        std::vector<std::string> values;
        for (int k = 0; k < n; ++k) values.push_back(std::to_string(p * kPerProducer + i + k));
        ASSERT_TRUE(store_.put("qu-1", "", std::move(values), kNoTtl).ok());
        i += n;
      }
    });
  }
  for (auto& t : threads) t.join();
  std::vector<int> count(kItems, 0);
  for (auto const& values : got) {
    for (auto const& v : values) ++count.at(std::stoi(v));
  }
  EXPECT_EQ(consumed.load(), kItems);
  EXPECT_EQ(std::count(count.begin(), count.end(), 1), kItems);
  EXPECT_EQ(len(""), 0u);
}

}  // namespace
}  // namespace modal::emulator
