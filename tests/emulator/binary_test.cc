// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// The modal-emulator executable: flags, port file, the "listening" line, signals.
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "emulator_test_util.h"
#include "modal_proto/api.grpc.pb.h"
#include "testing_util/temp_file.h"

extern char** environ;

namespace modal::emulator {
namespace {

using ::modal::emulator::testing::Credentials;
using ::modal::emulator::testing::RawClient;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

/// A child process with its stdout and stderr piped to us.
class Child {
 public:
  explicit Child(std::vector<std::string> const& args) {
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
      ADD_FAILURE() << "pipe2 failed";
      return;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    std::vector<std::string> argv_storage = {MODAL_EMULATOR_BINARY};
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    argv.reserve(argv_storage.size() + 1);
    for (auto& a : argv_storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    int const rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    close(err[1]);
    out_fd_ = out[0];
    err_fd_ = err[0];
    if (rc != 0) {
      ADD_FAILURE() << "posix_spawn failed: " << rc;
      pid_ = -1;
    }
  }

  ~Child() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
    if (out_fd_ >= 0) close(out_fd_);
    if (err_fd_ >= 0) close(err_fd_);
  }

  pid_t pid() const { return pid_; }

  /// Reads from stdout until a full line arrives (without the newline), or nullopt.
  std::optional<std::string> read_stdout_line(std::chrono::milliseconds timeout) {
    auto const deadline = Clock::now() + timeout;
    while (true) {
      if (auto nl = out_buf_.find('\n'); nl != std::string::npos) {
        std::string line = out_buf_.substr(0, nl);
        out_buf_.erase(0, nl + 1);
        return line;
      }
      auto const left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{out_fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[4096];
      ssize_t const n = read(out_fd_, buf, sizeof buf);
      if (n <= 0) return std::nullopt;
      out_buf_.append(buf, static_cast<std::size_t>(n));
    }
  }

  /// Waits for the exit status (as from waitpid), or nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout) {
    auto const deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      int status = 0;
      pid_t const r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        exited_ = true;
        return status;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return std::nullopt;
  }

  /// Everything the child wrote to stdout/stderr (after it exited).
  std::string drain_stdout() { return out_buf_ + drain(out_fd_); }
  std::string drain_stderr() const { return drain(err_fd_); }

 private:
  static std::string drain(int fd) {
    std::string all;
    char buf[4096];
    ssize_t n = 0;
    while ((n = read(fd, buf, sizeof buf)) > 0) all.append(buf, static_cast<std::size_t>(n));
    return all;
  }

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  bool exited_ = false;
  std::string out_buf_;
};

std::optional<int> wait_for_port_file(std::filesystem::path const& path,
                                      std::chrono::milliseconds timeout) {
  auto const deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) {
      std::string const text = modal::testing_util::read_file(path);
      return std::stoi(text);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return std::nullopt;
}

void run_until_signal(int sig) {
  modal::testing_util::TempDir dir;
  auto const port_file = dir / "port";
  Child child(
      {"--port", "0", "--port-file", port_file.string(), "--secret", "seeded:API_KEY=k,REGION=eu"});
  ASSERT_GT(child.pid(), 0);
  auto port = wait_for_port_file(port_file, std::chrono::seconds(20));
  ASSERT_TRUE(port.has_value()) << child.drain_stderr();
  ASSERT_GT(*port, 0);
  auto line = child.read_stdout_line(std::chrono::seconds(10));
  ASSERT_TRUE(line.has_value());
  EXPECT_EQ(*line, "modal-emulator listening on 127.0.0.1:" + std::to_string(*port));

  RawClient client("127.0.0.1:" + std::to_string(*port));
  modal::client::SecretGetOrCreateRequest req;
  req.set_deployment_name("seeded");
  req.add_required_keys("API_KEY");
  req.add_required_keys("REGION");
  modal::client::SecretGetOrCreateResponse resp;
  auto ctx = RawClient::context();
  auto st = client.stub().SecretGetOrCreate(ctx.get(), req, &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(resp.secret_id().rfind("st-", 0), 0u);

  ASSERT_EQ(kill(child.pid(), sig), 0);
  auto status = child.wait(std::chrono::seconds(10));
  ASSERT_TRUE(status.has_value()) << "modal-emulator did not exit after signal " << sig;
  ASSERT_TRUE(WIFEXITED(*status)) << "status " << *status;
  EXPECT_EQ(WEXITSTATUS(*status), 0) << child.drain_stderr();
}

TEST(EmulatorBinaryTest, ServesUntilSigterm) { run_until_signal(SIGTERM); }

TEST(EmulatorBinaryTest, ServesUntilSigint) { run_until_signal(SIGINT); }

TEST(EmulatorBinaryTest, CredentialFlagsAreEnforced) {
  modal::testing_util::TempDir dir;
  auto const port_file = dir / "port";
  Child child({"--port-file=" + port_file.string(), "--token-id", "ak-flag", "--token-secret",
               "as-flag", "--auth-token-lifetime", "5", "--verbose"});
  auto port = wait_for_port_file(port_file, std::chrono::seconds(20));
  ASSERT_TRUE(port.has_value());
  RawClient client("127.0.0.1:" + std::to_string(*port));
  modal::client::AuthTokenGetResponse resp;
  {
    auto ctx = RawClient::context();  // default credentials: wrong here
    EXPECT_EQ(client.stub().AuthTokenGet(ctx.get(), {}, &resp).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    Credentials creds;
    creds.token_id = "ak-flag";
    creds.token_secret = "as-flag";
    auto ctx = RawClient::context(creds);
    auto st = client.stub().AuthTokenGet(ctx.get(), {}, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  ASSERT_EQ(kill(child.pid(), SIGTERM), 0);
  auto status = child.wait(std::chrono::seconds(10));
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
  // --verbose logs calls to stderr.
  EXPECT_THAT(child.drain_stderr(), HasSubstr("AuthTokenGet"));
}

/// What a Sandbox given Secret `secret_name` prints for `script` (sh -c), read through
/// SandboxGetLogs from the emulator at `port`.
std::string sandbox_output(int port, std::string const& secret_name, std::string const& script) {
  RawClient client("127.0.0.1:" + std::to_string(port));
  modal::client::SecretGetOrCreateRequest secret_req;
  secret_req.set_deployment_name(secret_name);
  modal::client::SecretGetOrCreateResponse secret;
  auto st = client.stub().SecretGetOrCreate(RawClient::context().get(), secret_req, &secret);
  EXPECT_TRUE(st.ok()) << st.error_message();
  modal::client::AppGetOrCreateRequest app_req;
  app_req.set_app_name("binary-test");
  app_req.set_object_creation_type(modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING);
  modal::client::AppGetOrCreateResponse app;
  st = client.stub().AppGetOrCreate(RawClient::context().get(), app_req, &app);
  EXPECT_TRUE(st.ok()) << st.error_message();
  modal::client::ImageGetOrCreateRequest img_req;
  img_req.set_app_id(app.app_id());
  img_req.mutable_image()->add_dockerfile_commands("FROM alpine:3.21");
  modal::client::ImageGetOrCreateResponse img;
  st = client.stub().ImageGetOrCreate(RawClient::context().get(), img_req, &img);
  EXPECT_TRUE(st.ok()) << st.error_message();
  modal::client::SandboxCreateRequest sb_req;
  sb_req.set_app_id(app.app_id());
  auto* def = sb_req.mutable_definition();
  def->set_image_id(img.image_id());
  def->add_entrypoint_args("sh");
  def->add_entrypoint_args("-c");
  def->add_entrypoint_args(script);
  def->add_secret_ids(secret.secret_id());
  def->set_timeout_secs(60);
  modal::client::SandboxCreateResponse sb;
  st = client.stub().SandboxCreate(RawClient::context().get(), sb_req, &sb);
  EXPECT_TRUE(st.ok()) << st.error_message();
  modal::client::SandboxGetLogsRequest logs_req;
  logs_req.set_sandbox_id(sb.sandbox_id());
  logs_req.set_file_descriptor(modal::client::FILE_DESCRIPTOR_STDOUT);
  logs_req.set_timeout(30);
  logs_req.set_last_entry_id("0-0");
  auto ctx = RawClient::context();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  auto reader = client.stub().SandboxGetLogs(ctx.get(), logs_req);
  std::string out;
  modal::client::TaskLogsBatch batch;
  bool eof = false;
  while (reader->Read(&batch)) {
    for (auto const& item : batch.items()) out += item.data();
    eof = eof || batch.eof();
  }
  st = reader->Finish();
  EXPECT_TRUE(st.ok()) << st.error_message();
  EXPECT_TRUE(eof);
  return out;
}

TEST(EmulatorBinaryTest, SecretFlagsTakeAnyValue) {
  modal::testing_util::TempDir dir;
  auto const port_file = dir / "port";
  // One key per --secret (merged into one Secret), a value with commas and quotes, and the
  // compact form with an escaped comma.
  Child child({"--port-file", port_file.string(), "--secret", R"(seeded:JSON={"a":1,"b":2})",
               "--secret", R"(seeded:LIST=x\,y=z,OTHER=o)"});
  auto port = wait_for_port_file(port_file, std::chrono::seconds(20));
  ASSERT_TRUE(port.has_value()) << child.drain_stderr();
  EXPECT_EQ(sandbox_output(*port, "seeded", R"(printf '%s|%s|%s' "$JSON" "$LIST" "$OTHER")"),
            R"({"a":1,"b":2}|x,y=z|o)");
  ASSERT_EQ(kill(child.pid(), SIGTERM), 0);
  auto status = child.wait(std::chrono::seconds(10));
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
}

TEST(EmulatorBinaryTest, AnInvalidSecretKeyExitsTwo) {
  Child child({"--secret", "n:1A=b"});
  auto status = child.wait(std::chrono::seconds(10));
  ASSERT_TRUE(status.has_value());
  ASSERT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 2);
  std::string const err = child.drain_stderr();
  EXPECT_THAT(err, HasSubstr("--secret n: invalid key '1A'"));
  EXPECT_THAT(err, HasSubstr("[A-Za-z_][A-Za-z0-9_]*"));
  EXPECT_TRUE(child.drain_stdout().empty());
}

TEST(EmulatorBinaryTest, ABadConfigFileExitsTwoWithItsLocation) {
  modal::testing_util::TempDir dir;
  auto const file =
      dir.write_file("bad.toml", "[environments.main]\napps = [\"a\"]\nsekrets = 1\n");
  Child child({"--config", file.string()});
  auto status = child.wait(std::chrono::seconds(10));
  ASSERT_TRUE(status.has_value());
  ASSERT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 2);
  std::string const err = child.drain_stderr();
  // One line, starting with FILE:LINE:COL, and no usage text.
  EXPECT_EQ(err, file.string() +
                     ":3:1: unknown key 'sekrets' in environment 'main' (expected one of: apps, "
                     "proxies, secrets, volumes, queues, functions)\n");
  EXPECT_TRUE(child.drain_stdout().empty());
}

TEST(EmulatorBinaryTest, AConfigFileSyntaxErrorExitsTwoWithItsLocation) {
  modal::testing_util::TempDir dir;
  auto const file = dir.write_file("syntax.toml", "# comment\n[environments.main\n");
  Child child({"--config", file.string()});
  auto status = child.wait(std::chrono::seconds(10));
  ASSERT_TRUE(status.has_value());
  ASSERT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 2);
  std::string const err = child.drain_stderr();
  EXPECT_THAT(err, ::testing::StartsWith(file.string() + ":2:"));
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

TEST(EmulatorBinaryTest, AConfigFileSeedsAndFlagsApplyOnTop) {
  modal::testing_util::TempDir dir;
  auto const file = dir.write_file("fixtures.toml",
                                   "[environments.main.secrets.seeded]\n"
                                   "API_KEY = \"from-file\"\n"
                                   "REGION = \"eu\"\n");
  auto const port_file = dir / "port";
  Child child({"--config", file.string(), "--port", "0", "--port-file", port_file.string(),
               "--secret", "seeded:API_KEY=from-flag"});
  auto port = wait_for_port_file(port_file, std::chrono::seconds(20));
  ASSERT_TRUE(port.has_value()) << child.drain_stderr();
  RawClient client("127.0.0.1:" + std::to_string(*port));
  modal::client::SecretGetOrCreateRequest req;
  req.set_deployment_name("seeded");
  req.add_required_keys("API_KEY");
  req.add_required_keys("REGION");
  modal::client::SecretGetOrCreateResponse resp;
  auto ctx = RawClient::context();
  auto st = client.stub().SecretGetOrCreate(ctx.get(), req, &resp);
  EXPECT_TRUE(st.ok()) << st.error_message();
  kill(child.pid(), SIGTERM);
  auto status = child.wait(std::chrono::seconds(10));
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
}

TEST(EmulatorBinaryTest, HelpExitsZero) {
  Child child({"--help"});
  auto status = child.wait(std::chrono::seconds(10));
  ASSERT_TRUE(status.has_value());
  ASSERT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 0);
  std::string const out = child.drain_stdout();
  EXPECT_THAT(out, HasSubstr("Usage: modal-emulator"));
  EXPECT_THAT(out, HasSubstr("--port-file"));
  EXPECT_THAT(out, HasSubstr("--secret NAME:KEY=VALUE"));
  EXPECT_THAT(out, HasSubstr(R"(\, is a literal comma)"));
}

TEST(EmulatorBinaryTest, UnknownFlagExitsTwoWithUsage) {
  Child child({"--no-such-flag"});
  auto status = child.wait(std::chrono::seconds(10));
  ASSERT_TRUE(status.has_value());
  ASSERT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 2);
  std::string const err = child.drain_stderr();
  EXPECT_THAT(err, HasSubstr("unknown flag '--no-such-flag'"));
  EXPECT_THAT(err, HasSubstr("Usage: modal-emulator"));
  EXPECT_TRUE(child.drain_stdout().empty());
}

TEST(EmulatorBinaryTest, PortInUseExitsNonZero) {
  modal::testing_util::TempDir dir;
  auto const port_file = dir / "port";
  Child first({"--port-file", port_file.string()});
  auto port = wait_for_port_file(port_file, std::chrono::seconds(20));
  ASSERT_TRUE(port.has_value());
  Child second({"--port", std::to_string(*port)});
  auto status = second.wait(std::chrono::seconds(10));
  ASSERT_TRUE(status.has_value());
  ASSERT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 1);
  EXPECT_THAT(second.drain_stderr(), HasSubstr("could not listen"));
}

}  // namespace
}  // namespace modal::emulator
