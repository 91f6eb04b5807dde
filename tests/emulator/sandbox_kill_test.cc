// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// No sandbox process outlives its emulator: SIGKILL or SIGTERM of the modal-emulator
// binary, or the destruction of an in-process Emulator, ends every sandbox it started.
#include <dirent.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "emulator_test_util.h"
#include "modal/emulator.h"
#include "modal_proto/api.grpc.pb.h"

extern char** environ;

namespace modal::emulator {
namespace {

using ::modal::emulator::testing::RawClient;
using Clock = std::chrono::steady_clock;

/// Pids of processes whose command line is exactly `argv`.
std::vector<pid_t> find_processes(std::vector<std::string> const& argv) {
  std::string wanted;
  for (auto const& a : argv) wanted += a + '\0';
  std::vector<pid_t> out;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return out;
  while (dirent* e = ::readdir(proc)) {
    char* end = nullptr;
    long const pid = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0') continue;
    std::ifstream f(std::string("/proc/") + e->d_name + "/cmdline", std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    if (ss.str() == wanted) out.push_back(static_cast<pid_t>(pid));
  }
  ::closedir(proc);
  return out;
}

template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout) {
  auto const deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

/// A unique `sleep` command line to look for in /proc.
std::vector<std::string> unique_sleep() {
  std::random_device rd;
  return {"sleep", std::to_string(500000 + rd() % 400000)};
}

/// Creates a sandbox running `argv` through the raw generated stub.
std::string create_sandbox(RawClient& raw, std::vector<std::string> const& argv) {
  modal::client::AppGetOrCreateRequest app_req;
  app_req.set_app_name("kill-test");
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
  req.mutable_definition()->set_timeout_secs(600);
  for (auto const& a : argv) req.mutable_definition()->add_entrypoint_args(a);
  modal::client::SandboxCreateResponse resp;
  auto const st = raw.stub().SandboxCreate(RawClient::context().get(), req, &resp);
  EXPECT_TRUE(st.ok()) << st.error_message();
  return resp.sandbox_id();
}

/// The modal-emulator binary as a child process.
class EmulatorProcess {
 public:
  EmulatorProcess() {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    std::vector<std::string> args = {MODAL_EMULATOR_BINARY, "--port", "0"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    out_ = out[0];
  }
  ~EmulatorProcess() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) ::close(out_);
  }

  pid_t pid() const { return pid_; }

  /// "host:port" from the "modal-emulator listening on HOST:PORT" line.
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
    return buf.substr(at + prefix.size(), buf.find('\n') - at - prefix.size());
  }

  std::optional<int> wait(std::chrono::milliseconds timeout) {
    std::optional<int> result;
    eventually(
        [&] {
          int status = 0;
          if (::waitpid(pid_, &status, WNOHANG) == pid_) result = status;
          return result.has_value();
        },
        timeout);
    if (result) reaped_ = true;
    return result;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  bool reaped_ = false;
};

void expect_sandbox_dies_with_emulator(int signal) {
  EmulatorProcess emu;
  ASSERT_GT(emu.pid(), 0);
  auto const address = emu.address();
  ASSERT_FALSE(address.empty());
  RawClient raw(address);
  auto const argv = unique_sleep();
  ASSERT_FALSE(create_sandbox(raw, argv).empty());
  ASSERT_TRUE(eventually([&] { return !find_processes(argv).empty(); }, std::chrono::seconds(5)))
      << "the sandbox process never appeared";
  ASSERT_EQ(::kill(emu.pid(), signal), 0);
  auto const status = emu.wait(std::chrono::seconds(10));
  ASSERT_TRUE(status.has_value());
  if (signal == SIGTERM) {
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << *status;
  }
  EXPECT_TRUE(eventually([&] { return find_processes(argv).empty(); }, std::chrono::seconds(5)))
      << "the sandbox process outlived the emulator";
}

TEST(SandboxKillTest, SigkillOfTheEmulatorKillsItsSandboxes) {
  expect_sandbox_dies_with_emulator(SIGKILL);
}

TEST(SandboxKillTest, SigtermOfTheEmulatorKillsItsSandboxes) {
  expect_sandbox_dies_with_emulator(SIGTERM);
}

TEST(SandboxKillTest, DestroyingAnInProcessEmulatorKillsItsSandboxes) {
  auto const argv = unique_sleep();
  {
    Emulator emu;
    RawClient raw(emu.address());
    ASSERT_FALSE(create_sandbox(raw, argv).empty());
    ASSERT_TRUE(eventually([&] { return !find_processes(argv).empty(); }, std::chrono::seconds(5)));
  }
  EXPECT_TRUE(eventually([&] { return find_processes(argv).empty(); }, std::chrono::seconds(5)));
}

}  // namespace
}  // namespace modal::emulator
