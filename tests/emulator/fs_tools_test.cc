// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// modal-sandbox-fs-tools: the command parser, every command against a temporary
// directory (in process, through pipes), and the built program itself.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "fs_tools/command.h"
#include "fs_tools/fs_tools.h"

extern char** environ;

namespace modal::fs_tools {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// ---- the command parser ------------------------------------------------------------

TEST(FsToolsCommand, ParsesWhatEachOfficialSdkSends) {
  // JS: compact, insertion order.
  Command c = parse_command(R"({"MakeDirectory":{"path":"/a/b","parents":false}})");
  EXPECT_EQ(c.kind, Command::Kind::kMakeDirectory);
  EXPECT_EQ(c.path, "/a/b");
  EXPECT_FALSE(c.parents);
  // Go: keys sorted, <, > and & escaped.
  c = parse_command(R"({"Watch":{"filter":["Modify","Rename"],"path":"/d\u003cx\u003e",)"
                    R"("recursive":true,"timeout_secs":5}})");
  EXPECT_EQ(c.kind, Command::Kind::kWatch);
  EXPECT_EQ(c.path, "/d<x>");
  EXPECT_TRUE(c.recursive);
  ASSERT_TRUE(c.filter.has_value());
  EXPECT_THAT(*c.filter, ElementsAre("Modify", "Rename"));
  EXPECT_EQ(c.timeout_secs, 5);
  // Python: spaces, non-ASCII escaped.
  c = parse_command(R"({"Remove": {"path": "/caf\u00e9", "recursive": true}})");
  EXPECT_EQ(c.kind, Command::Kind::kRemove);
  EXPECT_EQ(c.path, "/caf\xc3\xa9");
  EXPECT_TRUE(c.recursive);
  // Nulls and absent fields take the defaults.
  c = parse_command(R"({"Watch":{"path":"/d","filter":null,"timeout_secs":null}})");
  EXPECT_FALSE(c.filter.has_value());
  EXPECT_FALSE(c.timeout_secs.has_value());
  EXPECT_FALSE(c.recursive);
  EXPECT_TRUE(parse_command(R"({"MakeDirectory":{"path":"/x"}})").parents);
  EXPECT_EQ(parse_command(R"({"Stat":{"path":"/x","future_field":1}})").kind, Command::Kind::kStat);
}

TEST(FsToolsCommand, RejectsMalformedCommands) {
  for (char const* bad : {
           "",
           "not json",
           "[]",
           R"({})",
           R"({"Stat":{"path":"/a"},"ReadFile":{"path":"/b"}})",
           R"({"Chmod":{"path":"/a"}})",
           R"({"Stat":"/a"})",
           R"({"Stat":{}})",
           R"({"Stat":{"path":7}})",
           R"({"Stat":{"path":""}})",
           R"({"Stat":{"path":"/a\u0000b"}})",
           R"({"Remove":{"path":"/a","recursive":"yes"}})",
           R"({"Watch":{"path":"/a","filter":"Create"}})",
           R"({"Watch":{"path":"/a","filter":[1]}})",
           R"({"Watch":{"path":"/a","timeout_secs":1.5}})",
           R"({"Watch":{"path":"/a","timeout_secs":18446744073709551615}})",
       }) {
    EXPECT_THROW(parse_command(bad), UsageError) << bad;
  }
  std::string deep(100000, '[');
  EXPECT_THROW(parse_command(R"({"Stat":{"path":"/a","x":)" + deep), UsageError);
}

TEST(FsToolsCommand, NormalizesPathsLexically) {
  EXPECT_EQ(normalize_path("/a/./b/../c/"), "/a/c");
  EXPECT_EQ(normalize_path("//a//b"), "/a/b");
  EXPECT_EQ(normalize_path("/.."), "/");
  EXPECT_EQ(normalize_path("/"), "/");
  EXPECT_EQ(normalize_path("a/../../b"), "../b");
}

// ---- running commands --------------------------------------------------------------

struct Result {
  int status = -1;
  std::string out;
  std::string err;
  /// The error object on stderr (null when stderr is not one).
  Json error() const { return Json::parse(err, nullptr, /*allow_exceptions=*/false); }
  std::string kind() const {
    Json const e = error();
    return e.is_object() && e.contains("error_kind") ? e["error_kind"].get<std::string>() : "";
  }
};

std::string read_all(int fd) {
  std::string s;
  char buf[65536];
  for (;;) {
    ssize_t const n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    s.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return s;
}

/// Runs the program's entry point in process with `input` on stdin (then EOF).
Result run_tool(std::string const& json, std::string const& input = "",
                std::uint64_t max_read = kDefaultMaxReadBytes) {
  int in[2], out[2], err[2];
  EXPECT_EQ(::pipe2(in, O_CLOEXEC), 0);
  EXPECT_EQ(::pipe2(out, O_CLOEXEC), 0);
  EXPECT_EQ(::pipe2(err, O_CLOEXEC), 0);
  std::thread writer([&] {
    std::string_view rest = input;
    while (!rest.empty()) {
      ssize_t const n = ::write(in[1], rest.data(), rest.size());
      if (n <= 0) break;
      rest.remove_prefix(static_cast<std::size_t>(n));
    }
    ::close(in[1]);
  });
  auto out_text = std::async(std::launch::async, read_all, out[0]);
  auto err_text = std::async(std::launch::async, read_all, err[0]);
  Result r;
  try {
    r.status = run(parse_command(json), Io{in[0], out[1], err[1]}, max_read);
  } catch (UsageError const& e) {
    ADD_FAILURE() << e.what();
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  writer.join();
  r.out = out_text.get();
  r.err = err_text.get();
  return r;
}

std::string cmd(char const* name, fs::path const& path, std::string const& extra = "") {
  Json args = {{"path", path.string()}};
  if (!extra.empty()) args.update(Json::parse(extra));
  return Json{{name, args}}.dump();
}

std::string slurp(fs::path const& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void put(fs::path const& p, std::string const& data) { std::ofstream(p, std::ios::binary) << data; }

class FsToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The tool may exit without reading its stdin (a WriteFile that fails first): the
    // writer then gets EPIPE instead of dying.
    std::signal(SIGPIPE, SIG_IGN);
    char tmpl[] = "/tmp/fs-tools-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

std::string every_byte(std::size_t repeat) {
  std::string s;
  for (std::size_t r = 0; r < repeat; ++r) {
    for (int b = 0; b < 256; ++b) s.push_back(static_cast<char>(b));
  }
  return s;
}

TEST_F(FsToolsTest, ReadFileWritesTheBytesToStdout) {
  std::string const data = every_byte(3000);  // 768,000 bytes, every value
  put(dir_ / "f", data);
  Result r = run_tool(cmd("ReadFile", dir_ / "f"));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, data);
  put(dir_ / "empty", "");
  r = run_tool(cmd("ReadFile", dir_ / "empty"));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "");
}

TEST_F(FsToolsTest, ReadFileErrors) {
  EXPECT_EQ(run_tool(cmd("ReadFile", dir_ / "missing")).kind(), "NotFound");
  EXPECT_EQ(run_tool(cmd("ReadFile", dir_)).kind(), "IsDirectory");
  put(dir_ / "big", std::string(1000, 'x'));
  Result r = run_tool(cmd("ReadFile", dir_ / "big"), "", /*max_read=*/999);
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.kind(), "FileTooLarge");
  EXPECT_THAT(r.error()["message"].get<std::string>(), HasSubstr("1000 bytes"));
  EXPECT_EQ(r.error()["version"], 1);
  EXPECT_EQ(run_tool(cmd("ReadFile", dir_ / "big"), "", 1000).status, 0);
  // A file without a size is bounded while copied.
  r = run_tool(cmd("ReadFile", "/dev/zero"), "", 3u << 20);
  EXPECT_EQ(r.kind(), "FileTooLarge");
}

TEST_F(FsToolsTest, WriteFileCopiesStdinCreatingParentsAndTruncating) {
  std::string const data = every_byte(5000);
  Result r = run_tool(cmd("WriteFile", dir_ / "a/b/c/f"), data);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(slurp(dir_ / "a/b/c/f"), data);
  r = run_tool(cmd("WriteFile", dir_ / "a/b/c/f"), "short");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(slurp(dir_ / "a/b/c/f"), "short");
  r = run_tool(cmd("WriteFile", dir_ / "empty"), "");
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(fs::exists(dir_ / "empty"));
  EXPECT_EQ(fs::file_size(dir_ / "empty"), 0u);
}

TEST_F(FsToolsTest, WriteFileErrors) {
  EXPECT_EQ(run_tool(cmd("WriteFile", dir_), "x").kind(), "IsDirectory");
  put(dir_ / "file", "x");
  // The immediate parent is a file: AlreadyExists (as Modal's tool says it).
  EXPECT_EQ(run_tool(cmd("WriteFile", dir_ / "file/f"), "x").kind(), "AlreadyExists");
  // A deeper ancestor is a file: NotDirectory.
  EXPECT_EQ(run_tool(cmd("WriteFile", dir_ / "file/sub/f"), "x").kind(), "NotDirectory");
  EXPECT_EQ(slurp(dir_ / "file"), "x");
}

TEST_F(FsToolsTest, ListFilesGivesSortedFileInfos) {
  put(dir_ / "b.txt", "hello");
  fs::create_directory(dir_ / "a-dir");
  fs::create_symlink("b.txt", dir_ / "c-link");
  ::chmod((dir_ / "b.txt").c_str(), 0640);
  Result r = run_tool(cmd("ListFiles", dir_.string() + "/./"));
  ASSERT_EQ(r.status, 0) << r.err;
  Json const entries = Json::parse(r.out);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0]["name"], "a-dir");
  EXPECT_EQ(entries[0]["type"], "directory");
  EXPECT_EQ(entries[1]["name"], "b.txt");
  EXPECT_EQ(entries[1]["path"], (dir_ / "b.txt").string());
  EXPECT_EQ(entries[1]["type"], "file");
  EXPECT_EQ(entries[1]["size"], 5);
  EXPECT_EQ(entries[1]["mode"], S_IFREG | 0640);
  EXPECT_EQ(entries[1]["permissions"], "0640");
  EXPECT_EQ(entries[1]["owner"], ::getuid() == 0 ? "root" : std::to_string(::getuid()));
  EXPECT_FALSE(entries[1].contains("symlink_target"));
  EXPECT_TRUE(entries[1]["modified_time"].is_number());
  EXPECT_NEAR(entries[1]["modified_time"].get<double>(), static_cast<double>(std::time(nullptr)),
              60.0);
  EXPECT_EQ(entries[2]["type"], "symlink");
  EXPECT_EQ(entries[2]["symlink_target"], "b.txt");
  fs::create_directory(dir_ / "empty");
  EXPECT_EQ(run_tool(cmd("ListFiles", dir_ / "empty")).out, "[]");
}

TEST_F(FsToolsTest, ListFilesErrors) {
  put(dir_ / "f", "x");
  EXPECT_EQ(run_tool(cmd("ListFiles", dir_ / "missing")).kind(), "NotFound");
  EXPECT_EQ(run_tool(cmd("ListFiles", dir_ / "f")).kind(), "IsFile");
  EXPECT_EQ(run_tool(cmd("ListFiles", dir_ / "f/x")).kind(), "NotDirectory");
}

TEST_F(FsToolsTest, StatDoesNotFollowSymlinksAndKeepsThePath) {
  fs::create_directory(dir_ / "d");
  fs::create_symlink(dir_ / "d", dir_ / "link");
  Result r = run_tool(cmd("Stat", dir_.string() + "/link/"));
  ASSERT_EQ(r.status, 0) << r.err;
  Json const info = Json::parse(r.out);
  // A trailing slash makes lstat() follow the link (as the kernel does for "link/").
  EXPECT_EQ(info["type"], "directory");
  EXPECT_EQ(info["path"], dir_.string() + "/link/");
  EXPECT_EQ(info["name"], "link");
  Json const link = Json::parse(run_tool(cmd("Stat", dir_ / "link")).out);
  EXPECT_EQ(link["type"], "symlink");
  EXPECT_EQ(link["symlink_target"], (dir_ / "d").string());
  EXPECT_EQ(run_tool(cmd("Stat", dir_ / "missing")).kind(), "NotFound");
  put(dir_ / "f", "x");
  EXPECT_EQ(run_tool(cmd("Stat", dir_ / "f/x")).kind(), "NotDirectory");
}

TEST_F(FsToolsTest, MakeDirectory) {
  EXPECT_EQ(run_tool(cmd("MakeDirectory", dir_ / "a/b/c")).status, 0);
  EXPECT_TRUE(fs::is_directory(dir_ / "a/b/c"));
  EXPECT_EQ(run_tool(cmd("MakeDirectory", dir_ / "a/b/c")).status, 0);  // exists: fine
  EXPECT_EQ(run_tool(cmd("MakeDirectory", dir_ / "a/b/c", R"({"parents":false})")).kind(),
            "PathAlreadyExists");
  EXPECT_EQ(run_tool(cmd("MakeDirectory", dir_ / "x/y", R"({"parents":false})")).kind(),
            "NotFound");
  EXPECT_EQ(run_tool(cmd("MakeDirectory", dir_ / "x", R"({"parents":false})")).status, 0);
  put(dir_ / "f", "x");
  EXPECT_EQ(run_tool(cmd("MakeDirectory", dir_ / "f")).kind(), "PathAlreadyExists");
  EXPECT_EQ(run_tool(cmd("MakeDirectory", dir_ / "f", R"({"parents":false})")).kind(),
            "PathAlreadyExists");
  EXPECT_EQ(run_tool(cmd("MakeDirectory", dir_ / "f/sub")).kind(), "NotDirectory");
  EXPECT_EQ(run_tool(cmd("MakeDirectory", dir_ / "f/sub", R"({"parents":false})")).kind(),
            "NotDirectory");
}

TEST_F(FsToolsTest, RemoveNeverFollowsSymlinks) {
  fs::create_directories(dir_ / "outside");
  put(dir_ / "outside/keep", "k");
  fs::create_directories(dir_ / "tree/sub");
  put(dir_ / "tree/sub/f", "x");
  fs::create_directory_symlink(dir_ / "outside", dir_ / "tree/link");
  EXPECT_EQ(run_tool(cmd("Remove", dir_ / "tree")).kind(), "DirectoryNotEmpty");
  EXPECT_EQ(run_tool(cmd("Remove", dir_ / "tree", R"({"recursive":true})")).status, 0);
  EXPECT_FALSE(fs::exists(dir_ / "tree"));
  EXPECT_EQ(slurp(dir_ / "outside/keep"), "k");
  fs::create_symlink(dir_ / "outside", dir_ / "link2");
  EXPECT_EQ(run_tool(cmd("Remove", dir_ / "link2")).status, 0);
  EXPECT_TRUE(fs::exists(dir_ / "outside/keep"));
  EXPECT_EQ(run_tool(cmd("Remove", dir_ / "outside/keep")).status, 0);
  EXPECT_EQ(run_tool(cmd("Remove", dir_ / "outside")).status, 0);  // now empty
  EXPECT_EQ(run_tool(cmd("Remove", dir_ / "missing")).kind(), "NotFound");
}

// ---- Watch -------------------------------------------------------------------------

/// A Watch running on its own thread; events() reads what it printed so far.
class WatchRun {
 public:
  explicit WatchRun(std::string const& json) {
    EXPECT_EQ(::pipe2(in_, O_CLOEXEC), 0);
    EXPECT_EQ(::pipe2(out_, O_CLOEXEC), 0);
    EXPECT_EQ(::pipe2(err_, O_CLOEXEC), 0);
    Command const c = parse_command(json);
    thread_ = std::thread([this, c] {
      status_ = run(c, Io{in_[0], out_[1], err_[1]});
      ::close(out_[1]);
      ::close(err_[1]);
    });
  }
  ~WatchRun() {
    stop();
    ::close(in_[0]);
    ::close(out_[0]);
    ::close(err_[0]);
  }
  /// Reads event lines until `count` arrived (counting from the first event after
  /// start_watching()), the watch ended, or `within` passed.
  std::vector<Json> events(std::size_t count,
                           std::chrono::milliseconds within = std::chrono::seconds(20)) {
    auto const deadline = std::chrono::steady_clock::now() + within;
    while (lines_.size() < base_ + count) {
      auto const left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{out_[0], POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char buf[4096];
      ssize_t const n = ::read(out_[0], buf, sizeof buf);
      if (n <= 0) break;
      pending_.append(buf, static_cast<std::size_t>(n));
      for (auto nl = pending_.find('\n'); nl != std::string::npos; nl = pending_.find('\n')) {
        lines_.push_back(Json::parse(pending_.substr(0, nl)));
        pending_.erase(0, nl + 1);
      }
    }
    return {lines_.begin() + static_cast<std::ptrdiff_t>(base_), lines_.end()};
  }
  /// Returns once the watch is in place: creates files named probe-N in `dir` until one
  /// is reported (the tool does not say when its inotify watches are set up). Later
  /// events() count from after the probes.
  void start_watching(fs::path const& dir) {
    for (int i = 0; lines_.empty(); ++i) {
      ASSERT_LT(i, 200) << "the watch reported no probe";
      put_file(dir / ("probe-" + std::to_string(i)));
      events(1, std::chrono::milliseconds(100));
    }
    // Probes created before the watch was ready were not reported; later ones may be.
    events(1000, std::chrono::milliseconds(200));
    base_ = lines_.size();
  }
  /// Closes stdin (the SDKs' way to stop a watch) and waits for the exit status.
  int stop() {
    if (in_[1] >= 0) {
      ::close(in_[1]);
      in_[1] = -1;
    }
    if (thread_.joinable()) thread_.join();
    return status_;
  }

 private:
  int in_[2]{-1, -1}, out_[2]{-1, -1}, err_[2]{-1, -1};
  std::thread thread_;
  int status_ = -1;
  static void put_file(fs::path const& p) { std::ofstream(p, std::ios::binary) << ""; }
  std::string pending_;
  std::vector<Json> lines_;
  std::size_t base_ = 0;
};

TEST_F(FsToolsTest, WatchReportsCreateModifyRenameAndRemove) {
  WatchRun w(cmd("Watch", dir_, R"({"filter":["Create","Modify","Rename","Remove"]})"));
  w.start_watching(dir_);
  put(dir_ / "f", "data");  // Create, then Modify for the write
  fs::rename(dir_ / "f", dir_ / "g");
  fs::remove(dir_ / "g");
  auto const events = w.events(4);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0]["event_type"], "Create");
  EXPECT_EQ(events[0]["paths"], Json::array({(dir_ / "f").string()}));
  EXPECT_EQ(events[1]["event_type"], "Modify");
  EXPECT_EQ(events[1]["paths"][0], (dir_ / "f").string());
  EXPECT_EQ(events[2]["event_type"], "Rename");
  EXPECT_EQ(events[2]["paths"], Json::array({(dir_ / "f").string(), (dir_ / "g").string()}));
  EXPECT_EQ(events[3]["event_type"], "Remove");
  EXPECT_EQ(events[3]["paths"][0], (dir_ / "g").string());
  EXPECT_EQ(w.stop(), 0);  // stdin closed: exit 0
}

TEST_F(FsToolsTest, WatchRecursiveFollowsNewDirectories) {
  WatchRun w(cmd("Watch", dir_, R"({"recursive":true,"filter":["Create"]})"));
  w.start_watching(dir_);
  fs::create_directory(dir_ / "sub");
  ASSERT_EQ(w.events(1).size(), 1u);
  // The new directory is watched before its Create is reported.
  put(dir_ / "sub/deep", "");
  auto const events = w.events(2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0]["paths"][0], (dir_ / "sub").string());
  EXPECT_EQ(events[1]["paths"][0], (dir_ / "sub/deep").string());
}

TEST_F(FsToolsTest, WatchWithAnEmptyFilterReportsNothingAndEndsAtItsTimeout) {
  auto const start = std::chrono::steady_clock::now();
  WatchRun w(cmd("Watch", dir_, R"({"filter":[],"timeout_secs":1})"));
  put(dir_ / "f", "x");
  EXPECT_TRUE(w.events(1).empty());  // the pipe closes at the timeout, with no event
  EXPECT_EQ(w.stop(), 0);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(900));
}

TEST_F(FsToolsTest, WatchErrorsAndZeroTimeout) {
  EXPECT_EQ(run_tool(cmd("Watch", dir_ / "missing")).kind(), "NotFound");
  Result r = run_tool(cmd("Watch", dir_, R"({"timeout_secs":0})"));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "");
}

// ---- the program -------------------------------------------------------------------

Result run_binary(std::vector<std::string> args, std::string const& input = "") {
  int in[2], out[2], err[2];
  EXPECT_EQ(::pipe2(in, O_CLOEXEC), 0);
  EXPECT_EQ(::pipe2(out, O_CLOEXEC), 0);
  EXPECT_EQ(::pipe2(err, O_CLOEXEC), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  args.insert(args.begin(), MODAL_FS_TOOLS_BINARY);
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  int const spawned = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  Result r;
  if (spawned != 0) {
    ADD_FAILURE() << "posix_spawn: " << std::strerror(spawned);
    return r;
  }
  std::thread writer([&] {
    if (!input.empty()) {
      EXPECT_EQ(::write(in[1], input.data(), input.size()), static_cast<ssize_t>(input.size()));
    }
    ::close(in[1]);
  });
  auto err_text = std::async(std::launch::async, read_all, err[0]);
  r.out = read_all(out[0]);
  r.err = err_text.get();
  writer.join();
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

TEST_F(FsToolsTest, TheProgramSpeaksTheProtocol) {
  Result r = run_binary({cmd("WriteFile", dir_ / "p/f")}, "through the program");
  EXPECT_EQ(r.status, 0) << r.err;
  r = run_binary({cmd("ReadFile", dir_ / "p/f")});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "through the program");
  r = run_binary({cmd("Stat", dir_ / "nope")});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.kind(), "NotFound");
  EXPECT_EQ(r.error()["message"], "No such file or directory");
  // A malformed command line is plain text and exit status 2.
  r = run_binary({});
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("usage: modal-sandbox-fs-tools <command-json>"));
  r = run_binary({R"({"Chmod":{"path":"/"}})"});
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("unknown command: Chmod"));
  EXPECT_TRUE(r.error().is_discarded());
}

}  // namespace
}  // namespace modal::fs_tools
