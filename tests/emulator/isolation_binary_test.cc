// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// The modal-emulator binary where Sandboxes cannot be isolated from the host: run as uid
// 65534 (through util-linux's setpriv), which may not create namespaces or mounts.
// SandboxCreate then answers FAILED_PRECONDITION saying why and naming the flag; with
// --unsafe-host-filesystem the Sandbox runs on the host's file system and the emulator
// warns.
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
#include <string>
#include <vector>

#include "emulator_test_util.h"
#include "modal_proto/api.grpc.pb.h"

extern char** environ;

namespace modal::emulator {
namespace {

using ::modal::emulator::testing::RawClient;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

/// Sanitizer reports of a child that runs as uid 65534: this test's *SAN_OPTIONS with the
/// reports sent to a directory that user may write (the log directory of scripts/test.sh
/// is not), then moved to where this test's own reports go, so that a report still fails
/// the run. (Without the options a sanitized child wrote its reports to a stderr pipe
/// nobody read, and hung once the pipe was full.)
class ChildSanitizerLogs {
 public:
  ChildSanitizerLogs() {
    char tmpl[] = "/tmp/modal-unprivileged-logs-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return;
    dir_ = tmpl;
    ::chmod(tmpl, 0777);
  }
  ~ChildSanitizerLogs() { collect(); }
  ChildSanitizerLogs(ChildSanitizerLogs const&) = delete;
  ChildSanitizerLogs& operator=(ChildSanitizerLogs const&) = delete;

  /// NAME=VALUE entries for the child's environment.
  std::vector<std::string> environment() {
    std::vector<std::string> env;
    for (auto const& [name, tool] : {std::pair{"ASAN_OPTIONS", "asan"},
                                     {"UBSAN_OPTIONS", "ubsan"},
                                     {"TSAN_OPTIONS", "tsan"},
                                     {"LSAN_OPTIONS", "lsan"}}) {
      char const* value = std::getenv(name);
      if (value == nullptr || dir_.empty()) continue;
      std::string const options = value;
      // The last log_path wins: ours comes last.
      if (auto const at = options.rfind("log_path="); at != std::string::npos && target_.empty()) {
        std::string const path = options.substr(at + 9, options.find(':', at) - at - 9);
        target_ = path.substr(0, path.rfind('/'));
      }
      env.push_back(std::string(name) + "=" + options + ":log_path=" + dir_ + "/" + tool);
    }
    return env;
  }

  /// Moves the reports to the test's log directory, or fails the test with them.
  void collect() {
    if (dir_.empty()) return;
    for (auto const& entry : std::filesystem::directory_iterator(dir_)) {
      if (std::filesystem::file_size(entry.path()) == 0) continue;
      std::string const name = "unprivileged-" + entry.path().filename().string();
      if (!target_.empty() &&
          std::filesystem::copy_file(entry.path(), std::filesystem::path(target_) / name)) {
        continue;
      }
      ADD_FAILURE() << "a sanitizer report of the unprivileged emulator: " << entry.path();
    }
    std::filesystem::remove_all(dir_);
    dir_.clear();
  }

 private:
  std::string dir_;
  std::string target_;
};

/// modal-emulator as uid/gid 65534 without supplementary groups; its stdout and stderr.
class UnprivilegedEmulator {
 public:
  explicit UnprivilegedEmulator(std::vector<std::string> extra_args) {
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) return;
    std::vector<std::string> args = {"/usr/bin/setpriv",
                                     "--reuid=65534",
                                     "--regid=65534",
                                     "--clear-groups",
                                     MODAL_EMULATOR_BINARY,
                                     "--port",
                                     "0"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    // Its state directory goes to /tmp, which uid 65534 may write.
    std::vector<std::string> env_strings = {"PATH=/usr/local/bin:/usr/bin:/bin", "TMPDIR=/tmp",
                                            "HOME=/nonexistent"};
    for (auto& e : sanitizer_logs_.environment()) env_strings.push_back(std::move(e));
    std::vector<char*> envp;
    envp.reserve(env_strings.size() + 1);
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    posix_spawn_file_actions_addchdir_np(&actions, "/");
    if (::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data()) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    ::close(err[1]);
    out_ = out[0];
    err_ = err[0];
  }
  ~UnprivilegedEmulator() {
    stop();
    if (out_ >= 0) ::close(out_);
    if (err_ >= 0) ::close(err_);
  }

  pid_t pid() const { return pid_; }

  /// "host:port" from the "modal-emulator listening on HOST:PORT" line ("" if none came).
  std::string address() {
    std::string buf;
    auto const deadline = Clock::now() + std::chrono::seconds(20);
    while (buf.find('\n') == std::string::npos && Clock::now() < deadline) {
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char c[256];
      ssize_t const n = ::read(out_, c, sizeof c);
      if (n <= 0) break;
      buf.append(c, static_cast<std::size_t>(n));
    }
    std::string const prefix = "modal-emulator listening on ";
    auto const at = buf.find(prefix);
    if (at == std::string::npos) return {};
    return buf.substr(at + prefix.size(), buf.find('\n', at) - at - prefix.size());
  }

  /// SIGTERM, then everything it wrote to stderr.
  std::string stop_and_read_stderr() {
    stop();
    std::string text;
    char buf[4096];
    ssize_t n = 0;
    while ((n = ::read(err_, buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
    return text;
  }

 private:
  void stop() {
    if (pid_ <= 0 || reaped_) return;
    ::kill(pid_, SIGTERM);
    // SIGKILL if it has not exited after a generous while: a test fails, it does not hang.
    auto const deadline = Clock::now() + std::chrono::seconds(60);
    while (::waitpid(pid_, nullptr, WNOHANG) == 0) {
      if (Clock::now() > deadline) {
        ADD_FAILURE() << "the emulator did not exit on SIGTERM";
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        break;
      }
      ::poll(nullptr, 0, 10);
    }
    reaped_ = true;
    sanitizer_logs_.collect();
  }

  ChildSanitizerLogs sanitizer_logs_;
  pid_t pid_ = -1;
  int out_ = -1;
  int err_ = -1;
  bool reaped_ = false;
};

/// SandboxCreate of `argv` through the raw generated stub (after an App and an Image).
grpc::Status create_sandbox(RawClient& raw, std::vector<std::string> const& argv) {
  modal::client::AppGetOrCreateRequest app_req;
  app_req.set_app_name("isolation-test");
  app_req.set_object_creation_type(modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING);
  modal::client::AppGetOrCreateResponse app;
  EXPECT_TRUE(raw.stub().AppGetOrCreate(RawClient::context().get(), app_req, &app).ok());
  modal::client::ImageGetOrCreateRequest image_req;
  image_req.set_app_id(app.app_id());
  image_req.mutable_image()->add_dockerfile_commands("FROM alpine:3.21");
  modal::client::ImageGetOrCreateResponse image;
  EXPECT_TRUE(raw.stub().ImageGetOrCreate(RawClient::context().get(), image_req, &image).ok());
  modal::client::SandboxCreateRequest req;
  req.set_app_id(app.app_id());
  req.mutable_definition()->set_image_id(image.image_id());
  for (auto const& a : argv) req.mutable_definition()->add_entrypoint_args(a);
  modal::client::SandboxCreateResponse resp;
  return raw.stub().SandboxCreate(RawClient::context().get(), req, &resp);
}

TEST(IsolationBinaryTest, RefusesSandboxesItCannotIsolate) {
  UnprivilegedEmulator emu({});
  ASSERT_GT(emu.pid(), 0);
  std::string const address = emu.address();
  ASSERT_FALSE(address.empty()) << emu.stop_and_read_stderr();
  RawClient raw(address);
  grpc::Status const st = create_sandbox(raw, {"echo", "started"});
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << st.error_message();
  EXPECT_THAT(st.error_message(), HasSubstr("Operation not permitted"));
  EXPECT_THAT(st.error_message(), HasSubstr("--unsafe-host-filesystem"));
}

TEST(IsolationBinaryTest, UnsafeHostFilesystemRunsThemOnTheHostWithAWarning) {
  UnprivilegedEmulator emu({"--unsafe-host-filesystem"});
  ASSERT_GT(emu.pid(), 0);
  std::string const address = emu.address();
  ASSERT_FALSE(address.empty()) << emu.stop_and_read_stderr();
  RawClient raw(address);
  grpc::Status const st = create_sandbox(raw, {"echo", "started"});
  EXPECT_TRUE(st.ok()) << st.error_message();
  std::string const err = emu.stop_and_read_stderr();
  EXPECT_THAT(err, HasSubstr("running them on the host's file system instead"));
  EXPECT_THAT(err, HasSubstr("--unsafe-host-filesystem"));
}

}  // namespace
}  // namespace modal::emulator
