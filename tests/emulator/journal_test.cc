// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// The emulator's state journal (store/journal.h): records replay in order after a reopen,
// a torn or corrupt tail is cut off, rewrite() replaces everything, concurrent appenders
// share fdatasyncs and lose nothing; and the stores' changes replay into equal stores.
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "modal_proto/api.pb.h"
#include "store/journal.h"
#include "store/objects.h"
#include "store/queues.h"

namespace modal::emulator {
namespace {

using ::testing::HasSubstr;

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("modal-journal-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path() const { return (dir_ / "journal").string(); }

  /// Opens the journal, collecting what it replays into `seen`.
  std::unique_ptr<Journal> open(std::vector<nlohmann::json>& seen) {
    auto j = Journal::open(path(), [&](nlohmann::json const& r) {
      seen.push_back(r);
      return absl::OkStatus();
    });
    EXPECT_TRUE(j.ok()) << j.status();
    return j.ok() ? *std::move(j) : nullptr;
  }

  std::filesystem::path dir_;
};

TEST_F(JournalTest, RecordsReplayInOrderAfterAReopen) {
  std::vector<nlohmann::json> seen;
  {
    auto j = open(seen);
    ASSERT_NE(j, nullptr);
    EXPECT_TRUE(seen.empty());
    for (int i = 0; i < 100; ++i) {
      auto const t = j->append({{"t", "n"}, {"i", i}, {"b", nlohmann::json::binary({0, 255})}});
      ASSERT_TRUE(j->sync(t).ok());
    }
  }
  auto j = open(seen);
  ASSERT_EQ(seen.size(), 100u);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(seen[i].at("i"), i);
    auto const& bytes = seen[i].at("b").get_binary();
    EXPECT_EQ(std::vector<std::uint8_t>(bytes.begin(), bytes.end()),
              (std::vector<std::uint8_t>{0, 255}));
  }
}

TEST_F(JournalTest, ATornOrCorruptTailIsCutOff) {
  std::vector<nlohmann::json> seen;
  {
    auto j = open(seen);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(j->sync(j->append({{"i", i}})).ok());
  }
  auto const full = std::filesystem::file_size(path());
  std::filesystem::resize_file(path(), full - 2);  // the last record loses two bytes
  {
    auto j = open(seen);
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_LT(std::filesystem::file_size(path()), full - 2);  // cut at the record boundary
    ASSERT_TRUE(j->sync(j->append({{"i", 10}})).ok());        // appends after the cut
  }
  seen.clear();
  open(seen);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[2].at("i"), 10);

  // A flipped byte in the last record's payload fails its checksum.
  {
    std::fstream f(path(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-1, std::ios::end);
    f.put('\x7f');
  }
  seen.clear();
  open(seen);
  EXPECT_EQ(seen.size(), 2u);
}

TEST_F(JournalTest, ReplayErrorsAndForeignFilesFailTheOpen) {
  std::vector<nlohmann::json> seen;
  {
    auto j = open(seen);
    ASSERT_TRUE(j->sync(j->append({{"i", 1}})).ok());
  }
  auto failed = Journal::open(
      path(), [](nlohmann::json const&) { return absl::InvalidArgumentError("bad change"); });
  ASSERT_FALSE(failed.ok());
  EXPECT_THAT(std::string(failed.status().message()), HasSubstr("record 1: bad change"));

  std::ofstream(path(), std::ios::trunc) << "something else entirely";
  auto foreign = Journal::open(path(), [](nlohmann::json const&) { return absl::OkStatus(); });
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(JournalTest, RewriteReplacesEveryRecord) {
  std::vector<nlohmann::json> seen;
  {
    auto j = open(seen);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(j->sync(j->append({{"i", i}})).ok());
    ASSERT_TRUE(j->rewrite({{{"i", 42}}}).ok());
    ASSERT_TRUE(j->sync(j->append({{"i", 43}})).ok());
  }
  EXPECT_FALSE(std::filesystem::exists(path() + ".tmp"));
  open(seen);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].at("i"), 42);
  EXPECT_EQ(seen[1].at("i"), 43);
}

TEST_F(JournalTest, ConcurrentAppendersLoseNothing) {
  std::vector<nlohmann::json> seen;
  {
    auto j = open(seen);
    std::vector<std::thread> threads;
    threads.reserve(8);
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 200; ++i) {
          auto const ticket = j->append({{"t", t}, {"i", i}});
          EXPECT_TRUE(j->sync(ticket).ok());
        }
      });
    }
    for (auto& th : threads) th.join();
  }
  open(seen);
  ASSERT_EQ(seen.size(), 1600u);
  std::vector<int> next(8, 0);
  for (auto const& r : seen) {  // each thread's records in its own order
    int const t = r.at("t");
    EXPECT_EQ(r.at("i"), next[t]++);
  }
}

TEST(JournalRecordTest, DecodingStopsAtTheFirstBadRecord) {
  std::string data = encode_journal_record({{"a", 1}}) + encode_journal_record({{"b", 2}});
  std::size_t consumed = 0;
  EXPECT_EQ(decode_journal_records(data, &consumed).size(), 2u);
  EXPECT_EQ(consumed, data.size());
  std::string const good = data;
  data[data.size() - 1] ^= 1;
  EXPECT_EQ(decode_journal_records(data, &consumed).size(), 1u);
  EXPECT_EQ(consumed, encode_journal_record({{"a", 1}}).size());
  // A length beyond the data, and a valid checksum over bytes that are not MessagePack.
  EXPECT_TRUE(
      decode_journal_records(std::string("\xff\xff\xff\x7f\0\0\0\0", 8), &consumed).empty());
  EXPECT_TRUE(decode_journal_records(good.substr(0, 7), &consumed).empty());
}

/// Changes a store journals replay into another store with equal contents.
class RecordingLog : public ChangeLog {
 public:
  std::uint64_t append(nlohmann::json const& change) override {
    changes.push_back(change);
    return changes.size();
  }
  absl::Status sync(std::uint64_t) override { return absl::OkStatus(); }
  std::vector<nlohmann::json> changes;
};

TEST(StoreReplayTest, NamedStoreChangesReplayIntoAnEqualStore) {
  EnvironmentStore envs;
  SecretStore secrets(envs, kSecrets);
  RecordingLog log;
  secrets.set_change_log(&log);
  auto a = secrets.get_or_create("", "a", modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING,
                                 [](SecretRecord& r) {
                                   r.env = {{"K", "1"}};
                                 });
  ASSERT_TRUE(a.ok());
  auto b = secrets.get_or_create("", "b", modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING);
  ASSERT_TRUE(b.ok());
  // Overwritten in place (Secrets keep their id), then b removed.
  ASSERT_TRUE(secrets
                  .get_or_create("", "a",
                                 modal::client::OBJECT_CREATION_TYPE_CREATE_OVERWRITE_IF_EXISTS,
                                 [](SecretRecord& r) {
                                   r.env = {{"K", "2"}};
                                 })
                  .ok());
  ASSERT_TRUE(secrets.remove(b->id).ok());
  EXPECT_EQ(log.changes.size(), 4u);

  EnvironmentStore envs2;
  SecretStore replayed(envs2, kSecrets);
  for (auto const& c : log.changes) ASSERT_TRUE(replayed.apply(c).ok()) << c.dump();
  auto got = replayed.lookup("", "a");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->id, a->id);
  EXPECT_EQ(got->env, (std::map<std::string, std::string>{{"K", "2"}}));
  EXPECT_FALSE(replayed.lookup("", "b").ok());
  EXPECT_EQ(replayed.size(), 1u);

  // A snapshot replays into the same store, and malformed changes are refused.
  std::vector<nlohmann::json> snap;
  replayed.snapshot(snap);
  SecretStore from_snapshot(envs2, kSecrets);
  for (auto const& c : snap) ASSERT_TRUE(from_snapshot.apply(c).ok());
  EXPECT_EQ(from_snapshot.lookup("", "a")->env, got->env);
  EXPECT_EQ(from_snapshot.apply({{"t", "obj"}, {"k", "Secret"}, {"rec", 5}}).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(StoreReplayTest, QueueChangesReplayIntoEqualItems) {
  QueueItemStore items;
  RecordingLog log;
  items.create("qu-1");
  items.set_change_log(&log);
  ASSERT_TRUE(items.put("qu-1", "", {"a", "b", "c"}, std::chrono::seconds(60)).ok());
  ASSERT_TRUE(items.put("qu-1", "p", {"x"}, std::chrono::seconds(60)).ok());
  auto got = items.get("qu-1", "", 1, QueueItemStore::Clock::now());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, std::vector<std::string>{"a"});
  ASSERT_TRUE(items.clear("qu-1", "p", false).ok());

  QueueItemStore replayed;
  replayed.create("qu-1");
  for (auto const& c : log.changes) ASSERT_TRUE(replayed.apply(c).ok()) << c.dump();
  EXPECT_EQ(*replayed.len("qu-1", "", true), 2u);
  EXPECT_EQ(*replayed.get("qu-1", "", 10, QueueItemStore::Clock::now()),
            (std::vector<std::string>{"b", "c"}));
  // Entry ids keep increasing after a replay.
  auto before = items.next_items("qu-1", "", "", 10, QueueItemStore::Clock::now());
  ASSERT_TRUE(replayed.put("qu-1", "", {"d"}, std::chrono::seconds(60)).ok());
  auto after = replayed.next_items("qu-1", "", "", 10, QueueItemStore::Clock::now());
  ASSERT_TRUE(before.ok() && after.ok());
  ASSERT_EQ(after->size(), 1u);
  EXPECT_GT(*QueueEntryId::parse(after->front().entry_id),
            *QueueEntryId::parse(before->back().entry_id));

  std::vector<nlohmann::json> snap;
  replayed.snapshot(snap);
  QueueItemStore from_snapshot;
  from_snapshot.create("qu-1");
  for (auto const& c : snap) ASSERT_TRUE(from_snapshot.apply(c).ok());
  EXPECT_EQ(*from_snapshot.get("qu-1", "", 10, QueueItemStore::Clock::now()),
            (std::vector<std::string>{"d"}));
  EXPECT_EQ(from_snapshot.apply({{"t", "qput"}, {"q", "qu-1"}, {"p", ""}}).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace modal::emulator
