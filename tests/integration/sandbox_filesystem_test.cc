// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Sandbox::filesystem() against the emulator: Modal's filesystem tool through the exec path.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <typeinfo>
#include <vector>

#include "modal/errors.h"
#include "modal/sandbox_filesystem.h"
#include "sandbox_test_util.h"

namespace modal::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

/// A private local directory, removed afterwards.
struct LocalDir {
  fs::path path;
  LocalDir() {
    std::string tmpl = (fs::temp_directory_path() / "modal-fs-test-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~LocalDir() { fs::remove_all(path); }
};

std::string read_local(fs::path const& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

class SandboxFilesystemTest : public SandboxTest {
 protected:
  void SetUp() override {
    SandboxTest::SetUp();
    sb_ = create();
  }
  void TearDown() override {
    sb_->terminate();
    sb_.reset();
    SandboxTest::TearDown();
  }
  SandboxFilesystem fs() { return sb_->filesystem(); }
  std::optional<Sandbox> sb_;
};

TEST_F(SandboxFilesystemTest, RoundTripsEveryByteValueAndTheEmptyFile) {
  std::string every;
  for (int rep = 0; rep < 3; ++rep) {
    for (int b = 0; b < 256; ++b) every.push_back(static_cast<char>(b));
  }
  fs().write_bytes(every, "/tmp/every");
  EXPECT_EQ(fs().read_bytes("/tmp/every"), every);
  EXPECT_EQ(sh(*sb_, "wc -c < /tmp/every").first, "768\n");

  fs().write_bytes("", "/tmp/empty");
  EXPECT_EQ(fs().read_bytes("/tmp/empty"), "");
  EXPECT_EQ(fs().stat("/tmp/empty").size, 0u);
  fs().write_text("héllo\n", "/tmp/text");
  EXPECT_EQ(fs().read_text("/tmp/text"), "héllo\n");
}

TEST_F(SandboxFilesystemTest, RoundTrips64MiB) {
  std::string const data = random_bytes(std::size_t{64} << 20, 64);
  fs().write_bytes(data, "/tmp/big");
  EXPECT_EQ(sh(*sb_, "wc -c < /tmp/big").first, std::to_string(data.size()) + "\n");
  std::string const back = fs().read_bytes("/tmp/big");
  ASSERT_EQ(back.size(), data.size());
  EXPECT_TRUE(back == data);
}

TEST_F(SandboxFilesystemTest, WriteCreatesParentsAndReplaces) {
  fs().write_text("first, longer contents", "/srv/a/b/c/file");
  fs().write_text("second", "/srv/a/b/c/file");
  EXPECT_EQ(fs().read_text("/srv/a/b/c/file"), "second");
  EXPECT_EQ(fs().stat("/srv/a/b").type, FileType::kDirectory);
}

TEST_F(SandboxFilesystemTest, UploadsSurviveInjectedStreamBreaksByteExact) {
  std::string const data = random_bytes((std::size_t{3} << 20) + 12345, 7);
  emu().break_stdin_streams_every(std::uint64_t{700}
                                  << 10);  // mid-message: 700 KiB is not 256 KiB-aligned
  fs().write_bytes(data, "/tmp/resumed");
  emu().break_stdin_streams_every(0);
  EXPECT_TRUE(fs().read_bytes("/tmp/resumed") == data);
  EXPECT_GE(emu().received_calls("TaskExecStdinStatus").size(), 4u);
  EXPECT_GE(emu().received_calls("TaskExecStdinWriteStream").size(), 5u);
}

TEST_F(SandboxFilesystemTest, AnUploadThatNeverProgressesFailsAfterTenAttempts) {
  emu().inject_fault("TaskExecStdinWriteStream", {.count = 100, .code = 14});
  try {
    fs().write_bytes("data", "/tmp/never");
    FAIL() << "expected NotFoundError";
  } catch (NotFoundError const& e) {
    EXPECT_THAT(e.what(), HasSubstr("The Sandbox is unavailable"));
    EXPECT_EQ(e.rpc_method(), "TaskExecStdinWriteStream");
  }
  emu().clear_faults();
  EXPECT_EQ(emu().received_calls("TaskExecStdinWriteStream").size(), 10u);
}

TEST_F(SandboxFilesystemTest, CopiesLocalFilesBothWays) {
  LocalDir local;
  std::string const data = random_bytes((std::size_t{5} << 20) + 3, 11);
  { std::ofstream(local.path / "up", std::ios::binary) << data; }
  fs().copy_from_local((local.path / "up").string(), "/srv/copied/up");
  EXPECT_EQ(sh(*sb_, "cksum < /srv/copied/up").first.empty(), false);
  auto const down = local.path / "new" / "dir" / "down";
  fs().copy_to_local("/srv/copied/up", down.string());
  EXPECT_TRUE(read_local(down) == data);

  // A failed download leaves an existing local file as it was, and no temporary file.
  EXPECT_THROW(fs().copy_to_local("/srv/missing", down.string()), SandboxFilesystemNotFoundError);
  EXPECT_TRUE(read_local(down) == data);
  std::set<std::string> names;
  for (auto const& e : fs::directory_iterator(down.parent_path())) {
    names.insert(e.path().filename().string());
  }
  EXPECT_EQ(names, std::set<std::string>{"down"});

  // Local problems are reported before anything is sent.
  emu().clear_received_calls();
  EXPECT_THROW(fs().copy_from_local((local.path / "absent").string(), "/srv/x"), InvalidError);
  EXPECT_THROW(fs().copy_from_local(local.path.string(), "/srv/x"), InvalidError);
  EXPECT_TRUE(emu().received_calls("TaskExecStart").empty());
}

TEST_F(SandboxFilesystemTest, ListFilesAndStatDescribeEntries) {
  ASSERT_EQ(sh(*sb_,
               "mkdir -p /srv/l/sub && printf 12345 > /srv/l/file && chmod 640 /srv/l/file"
               " && ln -s file /srv/l/link && ln -s /nowhere /srv/l/dangling")
                .second,
            0);
  auto entries = fs().list_files("/srv/l");
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[0].name, "dangling");
  EXPECT_EQ(entries[1].name, "file");
  EXPECT_EQ(entries[2].name, "link");
  EXPECT_EQ(entries[3].name, "sub");
  EXPECT_EQ(entries[1].path, "/srv/l/file");
  EXPECT_EQ(entries[1].type, FileType::kFile);
  EXPECT_EQ(entries[1].size, 5u);
  EXPECT_EQ(entries[1].permissions, "0640");
  EXPECT_EQ(entries[1].mode, 0100640u);
  EXPECT_EQ(entries[2].type, FileType::kSymlink);
  EXPECT_EQ(entries[2].symlink_target, "file");
  EXPECT_EQ(entries[0].symlink_target, "/nowhere");
  EXPECT_EQ(entries[3].type, FileType::kDirectory);
  EXPECT_FALSE(entries[3].symlink_target.has_value());

  auto const owner = sh(*sb_, "stat -c %U /srv/l/file").first;
  FileInfo const st = fs().stat("/srv/l/file");
  EXPECT_EQ(st.owner + "\n", owner);
  auto const age = std::chrono::system_clock::now() - st.modified_time;
  EXPECT_LT(std::chrono::abs(age), std::chrono::minutes(5));
  EXPECT_EQ(fs().stat("/srv/l/link").type, FileType::kSymlink);  // not followed
  EXPECT_TRUE(fs().list_files("/srv/l/sub").empty());
}

TEST_F(SandboxFilesystemTest, MakeDirectoryAndRemove) {
  fs().make_directory("/srv/m/a/b");
  EXPECT_EQ(fs().stat("/srv/m/a/b").type, FileType::kDirectory);
  fs().make_directory("/srv/m/a/b");  // exists: fine with create_parents
  EXPECT_THROW(fs().make_directory("/srv/m/a/b", {.create_parents = false}),
               SandboxFilesystemPathAlreadyExistsError);
  EXPECT_THROW(fs().make_directory("/srv/m/x/y", {.create_parents = false}),
               SandboxFilesystemNotFoundError);
  fs().write_text("x", "/srv/m/a/b/f");
  EXPECT_THROW(fs().remove("/srv/m/a"), SandboxFilesystemDirectoryNotEmptyError);
  fs().remove("/srv/m/a/b/f");
  EXPECT_THROW(fs().stat("/srv/m/a/b/f"), SandboxFilesystemNotFoundError);
  fs().remove("/srv/m", {.recursive = true});
  EXPECT_THROW(fs().stat("/srv/m"), SandboxFilesystemNotFoundError);
}

TEST_F(SandboxFilesystemTest, EveryErrorKindIsProvokedForReal) {
  ASSERT_EQ(sh(*sb_, "mkdir -p /srv/e/dir && echo x > /srv/e/file").second, 0);
  auto const expect = [](auto f, auto tag, char const* text) {
    using E = decltype(tag);
    try {
      f();
      ADD_FAILURE() << "no error; expected " << text;
    } catch (E const& e) {
      EXPECT_THAT(e.what(), HasSubstr(text));
    } catch (std::exception const& e) {
      ADD_FAILURE() << "wrong error: " << e.what();
    }
  };
  expect([&] { fs().read_bytes("/srv/e/none"); }, SandboxFilesystemNotFoundError(""),
         ": /srv/e/none");
  expect([&] { fs().read_bytes("/srv/e/dir"); }, SandboxFilesystemIsADirectoryError(""),
         "/srv/e/dir");
  expect([&] { fs().write_text("x", "/srv/e/dir"); }, SandboxFilesystemIsADirectoryError(""),
         "/srv/e/dir");
  expect([&] { fs().write_text("x", "/srv/e/file/below"); },
         SandboxFilesystemNotADirectoryError(""), "/srv/e/file/below");
  expect([&] { fs().write_text("x", "/srv/e/file/deeper/below"); },
         SandboxFilesystemNotADirectoryError(""), "/srv/e/file/deeper/below");
  expect([&] { fs().list_files("/srv/e/file"); }, SandboxFilesystemNotADirectoryError(""),
         "/srv/e/file");
  expect([&] { fs().stat("/srv/e/file/x"); }, SandboxFilesystemNotADirectoryError(""),
         "/srv/e/file/x");
  expect([&] { fs().make_directory("/srv/e/file"); }, SandboxFilesystemPathAlreadyExistsError(""),
         "/srv/e/file");
  expect([&] { fs().remove("/srv/e/none"); }, SandboxFilesystemNotFoundError(""), "/srv/e/none");
  // Even root may not change /sys (read-only in every Sandbox) or remove a file of /proc.
  expect([&] { fs().write_text("x", "/sys/new"); }, SandboxFilesystemPermissionError(""),
         "Permission denied: /sys/new");
  expect([&] { fs().make_directory("/sys/d"); }, SandboxFilesystemPermissionError(""),
         "Permission denied: /sys/d");
  expect([&] { fs().remove("/proc/self/environ"); }, SandboxFilesystemPermissionError(""),
         "Permission denied: /proc/self/environ");
  // A kind the command does not map stays a plain SandboxFilesystemError with the
  // tool's message (and the OS's text as server_message()).
  try {
    fs().read_bytes("/proc/self/mem");
    ADD_FAILURE() << "reading /proc/self/mem succeeded";
  } catch (SandboxFilesystemError const& e) {
    EXPECT_EQ(typeid(e), typeid(SandboxFilesystemError));
    EXPECT_FALSE(e.server_message().empty());
  }
  // The tool's own limit, lowered for this Sandbox through its environment.
  auto small = create({.env = {{"MODAL_FS_TOOLS_MAX_READ_BYTES", "1024"}}});
  small.filesystem().write_bytes(std::string(2048, 'x'), "/tmp/large");
  expect([&] { small.filesystem().read_bytes("/tmp/large"); },
         SandboxFilesystemFileTooLargeError(""), "/tmp/large");
  expect([&] { small.filesystem().copy_to_local("/tmp/large", "/dev/null/x"); }, Error(""),
         "copy_to_local");
  small.terminate();
  // All of them are SandboxFilesystemErrors.
  EXPECT_THROW(fs().read_bytes("/srv/e/none"), SandboxFilesystemError);
}

TEST_F(SandboxFilesystemTest, RelativePathsAreRejectedBeforeAnythingIsSent) {
  emu().clear_received_calls();
  try {
    fs().read_bytes("relative/path");
    FAIL();
  } catch (InvalidError const& e) {
    EXPECT_STREQ(e.what(),
                 "Sandbox.filesystem.read_bytes() currently only supports absolute remote_path "
                 "values");
  }
  EXPECT_THROW(fs().write_bytes("x", ""), InvalidError);
  EXPECT_THROW(fs().copy_to_local("tmp/x", "/tmp/y"), InvalidError);
  EXPECT_THROW(fs().list_files("."), InvalidError);
  EXPECT_THROW(fs().make_directory("a"), InvalidError);
  EXPECT_THROW(fs().remove("a"), InvalidError);
  EXPECT_THROW(fs().stat("a"), InvalidError);
  EXPECT_THROW(fs().watch("a"), InvalidError);
  EXPECT_THROW(fs().watch("/a", {.timeout = std::chrono::milliseconds(-1)}), InvalidError);
  EXPECT_THROW(fs().stat(std::string("/bad\xff", 5)), InvalidError);
  EXPECT_TRUE(emu().received_calls("TaskExecStart").empty());
}

TEST_F(SandboxFilesystemTest, TransportFailuresAreTranslatedAsUpstream) {
  fs().stat("/");                                                // the router connection exists
  emu().inject_fault("TaskExecStart", {.count = 1, .code = 5});  // NOT_FOUND
  try {
    fs().stat("/");
    FAIL();
  } catch (NotFoundError const& e) {
    EXPECT_STREQ(e.what(), "The Sandbox is unavailable. This Sandbox may have already shut down.");
    EXPECT_THAT(e.server_message(), HasSubstr("injected fault"));
  }
  emu().clear_faults();
  emu().inject_fault("TaskExecStart",
                     {.count = 1, .code = 7, .message = "denied (Error code: AB12CD34)"});
  try {
    fs().stat("/");
    FAIL();
  } catch (SandboxFilesystemError const& e) {
    EXPECT_STREQ(e.what(),
                 "An unexpected error occurred, please contact support@modal.com (Error code: "
                 "AB12CD34)");
    EXPECT_EQ(e.code(), StatusCode::kPermissionDenied);
    EXPECT_THAT(e.server_message(), HasSubstr("denied"));
  }
}

TEST_F(SandboxFilesystemTest, WatchSeesCreateModifyAndRemove) {
  fs().make_directory("/srv/w");
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    // Repeated until the watch has seen everything: the tool starts asynchronously.
    while (!stop) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      sh(*sb_, "echo 1 > /srv/w/f; echo 2 >> /srv/w/f; rm /srv/w/f");
    }
  });
  std::set<WatchEventType> seen;
  {
    auto events = fs().watch("/srv/w", {.timeout = std::chrono::seconds(20)});
    for (WatchEvent const& ev : events) {
      ASSERT_FALSE(ev.paths.empty());
      // (reading the file may add Access events)
      if (ev.paths.front() == "/srv/w/f" && ev.type != WatchEventType::kAccess) {
        seen.insert(ev.type);
      }
      if (seen.size() == 3) break;  // leaving the range stops the watch
    }
  }
  stop = true;
  writer.join();
  EXPECT_EQ(seen, (std::set<WatchEventType>{WatchEventType::kCreate, WatchEventType::kModify,
                                            WatchEventType::kRemove}));
}

TEST_F(SandboxFilesystemTest, WatchFiltersAndEnds) {
  fs().make_directory("/srv/wf");
  // Zero timeout: the watch ends at once, with no events.
  auto none = fs().watch("/srv/wf", {.timeout = std::chrono::seconds(0)});
  EXPECT_EQ(none.begin(), none.end());
  // Only Remove events pass the filter.
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    while (!stop) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      sh(*sb_, "echo 1 > /srv/wf/g; rm /srv/wf/g");
    }
  });
  auto removes = fs().watch("/srv/wf", {.filter = std::vector{WatchEventType::kRemove},
                                        .timeout = std::chrono::seconds(20)});
  auto it = removes.begin();
  stop = true;
  writer.join();
  ASSERT_NE(it, removes.end());
  EXPECT_EQ(it->type, WatchEventType::kRemove);
  EXPECT_EQ(it->paths, std::vector<std::string>{"/srv/wf/g"});
  // A missing path fails when iterated.
  auto missing = fs().watch("/srv/none");
  EXPECT_THROW(missing.begin(), SandboxFilesystemNotFoundError);
}

}  // namespace
}  // namespace modal::testing
