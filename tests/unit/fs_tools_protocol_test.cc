// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// The filesystem tool's protocol on the SDK side (src/internal/fs_tools_protocol.h): the
// commands as Modal's SDKs send them, upstream's error mapping, and replies that are wrong.
#include "internal/fs_tools_protocol.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <typeinfo>

#include "modal/errors.h"

namespace modal::internal::fs_tools {
namespace {

using ::testing::HasSubstr;

TEST(FsToolsCommands, AreTheUpstreamJson) {
  EXPECT_EQ(read_file_command("/a"), R"({"ReadFile":{"path":"/a"}})");
  EXPECT_EQ(write_file_command("/a \"q\""), R"({"WriteFile":{"path":"/a \"q\""}})");
  EXPECT_EQ(list_files_command("/d"), R"({"ListFiles":{"path":"/d"}})");
  EXPECT_EQ(make_directory_command("/d", true),
            R"({"MakeDirectory":{"parents":true,"path":"/d"}})");
  EXPECT_EQ(remove_command("/d", false), R"({"Remove":{"path":"/d","recursive":false}})");
  EXPECT_EQ(stat_command("/é"), "{\"Stat\":{\"path\":\"/\xc3\xa9\"}}");
  EXPECT_EQ(watch_command("/w", {}),
            R"({"Watch":{"filter":null,"path":"/w","recursive":false,"timeout_secs":null}})");
  EXPECT_EQ(
      watch_command("/w", {.filter = std::vector{WatchEventType::kCreate, WatchEventType::kModify},
                           .recursive = true,
                           .timeout = std::chrono::milliseconds(2999)}),
      R"({"Watch":{"filter":["Create","Modify","Rename","RenameFrom","RenameTo"],)"
      R"("path":"/w","recursive":true,"timeout_secs":2}})");
  EXPECT_EQ(watch_command("/w", {.filter = std::vector<WatchEventType>{}}),
            R"({"Watch":{"filter":[],"path":"/w","recursive":false,"timeout_secs":null}})");
  EXPECT_THROW(stat_command("/\xff"), InvalidError);
}

TEST(FsToolsErrorPayload, AcceptsOnlyWellFormedObjects) {
  auto p = parse_error_payload(
      "  {\"version\":1,\"error_kind\":\"NotFound\",\"message\":\"gone\",\"detail\":\"d\"}\n");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->kind, "NotFound");
  EXPECT_EQ(p->message, "gone");
  EXPECT_EQ(p->detail, "d");
  EXPECT_TRUE(parse_error_payload(R"({"error_kind":"X","message":"m","detail":null})"));
  EXPECT_FALSE(parse_error_payload(""));
  EXPECT_FALSE(parse_error_payload("not json"));
  EXPECT_FALSE(parse_error_payload("[1]"));
  EXPECT_FALSE(parse_error_payload(R"({"error_kind":1,"message":"m"})"));
  EXPECT_FALSE(parse_error_payload(R"({"error_kind":"X","message":"   "})"));
  EXPECT_FALSE(parse_error_payload(R"({"error_kind":"X","message":"m","detail":5})"));
  EXPECT_FALSE(parse_error_payload(R"({"error_kind":"X","message":"m"} trailing)"));
}

template <typename E>
void expect_error(Command c, char const* kind, char const* what) {
  std::string const payload =
      std::string(R"({"error_kind":")") + kind + R"(","message":"msg","detail":"os text"})";
  try {
    throw_tool_error(c, "/p", 1, payload);
  } catch (E const& e) {
    EXPECT_EQ(typeid(e), typeid(E)) << kind;
    EXPECT_STREQ(e.what(), what) << kind;
    EXPECT_EQ(e.server_message(), "os text");
    return;
  } catch (std::exception const& e) {
    ADD_FAILURE() << kind << ": wrong exception " << typeid(e).name() << ": " << e.what();
    return;
  }
}

TEST(FsToolsErrorMapping, IsUpstreamsPerCommand) {
  expect_error<SandboxFilesystemNotFoundError>(Command::kReadFile, "NotFound", "msg: /p");
  expect_error<SandboxFilesystemIsADirectoryError>(Command::kReadFile, "IsDirectory", "msg: /p");
  expect_error<SandboxFilesystemFileTooLargeError>(Command::kReadFile, "FileTooLarge", "msg: /p");
  expect_error<SandboxFilesystemPermissionError>(Command::kReadFile, "PermissionDenied", "msg: /p");
  expect_error<SandboxFilesystemNotADirectoryError>(Command::kWriteFile, "AlreadyExists",
                                                    "msg: /p");
  expect_error<SandboxFilesystemNotADirectoryError>(Command::kWriteFile, "NotDirectory", "msg: /p");
  expect_error<SandboxFilesystemIsADirectoryError>(Command::kWriteFile, "IsDirectory", "msg: /p");
  expect_error<SandboxFilesystemNotADirectoryError>(Command::kListFiles, "IsFile", "msg: /p");
  expect_error<SandboxFilesystemPathAlreadyExistsError>(Command::kMakeDirectory,
                                                        "PathAlreadyExists", "msg: /p");
  expect_error<SandboxFilesystemDirectoryNotEmptyError>(Command::kRemove, "DirectoryNotEmpty",
                                                        "msg: /p");
  expect_error<SandboxFilesystemNotADirectoryError>(Command::kStat, "NotDirectory", "msg: /p");
  expect_error<InvalidError>(Command::kRemove, "NotSupported",
                             "msg: /p - this operation is not supported for CloudBucketMounts");
  // Kinds a command does not map: the default branch, the message alone.
  expect_error<SandboxFilesystemError>(Command::kWriteFile, "NotFound", "msg");
  expect_error<SandboxFilesystemError>(Command::kReadFile, "IsFile", "msg");
  expect_error<SandboxFilesystemError>(Command::kStat, "Io", "msg");
  expect_error<SandboxFilesystemError>(Command::kReadFile, "NotSupported", "msg");
}

TEST(FsToolsErrorMapping, UnstructuredStderrNamesThePathAndExitCode) {
  try {
    throw_tool_error(Command::kStat, "/p", 139, "Segmentation fault\n");
    FAIL();
  } catch (SandboxFilesystemError const& e) {
    EXPECT_STREQ(e.what(), "Operation on '/p' failed with exit code 139");
    EXPECT_EQ(e.server_message(), "Segmentation fault");
  }
}

TEST(FsToolsReplies, FileInfoIsParsedAndCheckedField) {
  auto const info = parse_file_info(
      R"({"name":"l","path":"/d/l","type":"symlink","size":4,"mode":41471,"permissions":"0777",)"
      R"("owner":"root","group":"1000","modified_time":1700000000.5,"symlink_target":"../x"})",
      "/d/l");
  EXPECT_EQ(info.type, FileType::kSymlink);
  EXPECT_EQ(info.size, 4u);
  EXPECT_EQ(info.mode, 41471u);
  EXPECT_EQ(info.symlink_target, "../x");
  EXPECT_EQ(
      std::chrono::duration_cast<std::chrono::milliseconds>(info.modified_time.time_since_epoch())
          .count(),
      1700000000500);
  std::string const good =
      R"("name":"f","path":"/f","size":1,"mode":33188,"permissions":"0644","owner":"o",)"
      R"("group":"g","modified_time":1)";
  EXPECT_EQ(parse_file_info("{" + good + R"(,"type":"file"})", "/f").type, FileType::kFile);
  EXPECT_THROW(parse_file_info("{" + good + R"(,"type":"fifo"})", "/f"), SandboxFilesystemError);
  EXPECT_THROW(parse_file_info(R"({"name":"f"})", "/f"), SandboxFilesystemError);
  EXPECT_THROW(parse_file_info("{" + good + R"(,"type":"file","size":-1})", "/f"),
               SandboxFilesystemError);  // duplicate key: the last one counts
  EXPECT_THROW(parse_file_info("[]", "/f"), SandboxFilesystemError);
  EXPECT_THROW(parse_file_info("", "/f"), SandboxFilesystemError);
  EXPECT_THROW(parse_file_list("{}", "/f"), SandboxFilesystemError);
  EXPECT_TRUE(parse_file_list(" [] ", "/f").empty());
  try {
    parse_file_info(R"({"name":"f","path":"/f","type":"file","size":"1"})", "/f");
  } catch (SandboxFilesystemError const& e) {
    EXPECT_THAT(e.what(), HasSubstr("'size'"));
  }
  EXPECT_THROW(parse_file_info("{" + good + R"(,"type":"file","mode":4294967296})", "/f"),
               SandboxFilesystemError);
  EXPECT_THROW(parse_file_info(R"({"name":"f","path":"/f","type":"file","size":1,"mode":1,)"
                               R"("permissions":"0","owner":"o","group":"g",)"
                               R"("modified_time":1e300})",
                               "/f"),
               SandboxFilesystemError);
}

TEST(FsToolsReplies, WatchLines) {
  auto ev = parse_watch_line(R"({"event_type":"Rename","paths":["/a","/b"]})");
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->type, WatchEventType::kModify);
  EXPECT_EQ(ev->paths, (std::vector<std::string>{"/a", "/b"}));
  EXPECT_EQ(parse_watch_line(R"({"event_type":"Create","paths":["/a"]})")->type,
            WatchEventType::kCreate);
  EXPECT_EQ(parse_watch_line(R"({"event_type":"Brand new","paths":["/a"]})")->type,
            WatchEventType::kUnknown);
  bool malformed = true;
  EXPECT_FALSE(parse_watch_line("   ", &malformed));
  EXPECT_FALSE(malformed);
  EXPECT_FALSE(parse_watch_line(R"({"event_type":"Create","paths":[]})", &malformed));
  EXPECT_FALSE(malformed);
  EXPECT_FALSE(parse_watch_line("{nope", &malformed));
  EXPECT_TRUE(malformed);
  EXPECT_FALSE(parse_watch_line(R"({"event_type":"Create","paths":[1]})", &malformed));
  EXPECT_TRUE(malformed);
}

TEST(FsToolsPaths, MustBeAbsolute) {
  EXPECT_NO_THROW(validate_remote_path("stat", "/"));
  try {
    validate_remote_path("copy_to_local", "x");
    FAIL();
  } catch (InvalidError const& e) {
    EXPECT_STREQ(e.what(),
                 "Sandbox.filesystem.copy_to_local() currently only supports absolute "
                 "remote_path values");
  }
  EXPECT_THROW(validate_remote_path("stat", ""), InvalidError);
}

}  // namespace
}  // namespace modal::internal::fs_tools
