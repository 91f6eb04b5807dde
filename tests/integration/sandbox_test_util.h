// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_TESTS_INTEGRATION_SANDBOX_TEST_UTIL_H
#define MODAL_TESTS_INTEGRATION_SANDBOX_TEST_UTIL_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <utility>

#include "fixture.h"

namespace modal::testing {

/// EmulatorTest plus an App, an Image and fast client retries for Sandbox tests.
class SandboxTest : public EmulatorTest {
 public:
  void SetUp() override {
    EmulatorTest::SetUp();
    client_ = std::make_unique<Client>(fast_options());
    app_ = client_->apps().from_name("sandbox-tests", {.create_if_missing = true});
  }
  void TearDown() override {
    client_.reset();
    EmulatorTest::TearDown();
  }

  ClientOptions fast_options() const {
    auto o = client_options();
    o.retry.initial_delay = std::chrono::milliseconds(1);
    o.retry.max_delay = std::chrono::milliseconds(4);
    return o;
  }

  /// Whether this run's Sandboxes are V2: the Sandbox tests run twice, with
  /// MODAL_SANDBOX_V2 unset (V2, the default) and as integration.v1.* with
  /// MODAL_SANDBOX_V2=0 (V1), which the client reads as upstream's does.
  static bool v2_mode() {
    char const* v = std::getenv("MODAL_SANDBOX_V2");
    if (v == nullptr || *v == '\0') return true;
    std::string lower(v);
    for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return !(lower == "0" || lower == "false");
  }
  /// What this run's Sandbox ids look like: V2 ids are sb- and a ULID, V1 ones sb- and 22
  /// [0-9A-Za-z].
  static char const* sandbox_id_regex() {
    return v2_mode() ? "sb-[0-7][0-9A-HJKMNP-TV-Z]{25}" : "sb-[0-9A-Za-z]{22}";
  }
  /// The name this run's Sandboxes use for the V1 RPC `v1`: "SandboxWait" or "SandboxWaitV2".
  static std::string rpc(std::string const& v1) { return v2_mode() ? v1 + "V2" : v1; }

  Client& c() const { return *client_; }
  App const& app() const { return app_; }
  Image image() const { return client_->images().from_registry("alpine:3.21"); }
  Sandbox create(SandboxCreateParams const& params = {}) {
    return client_->sandboxes().create(app_, image(), params);
  }

 protected:
  std::unique_ptr<Client> client_;
  App app_;
};

/// Runs `script` with sh -c in `sb`: its stdout and exit code.
inline std::pair<std::string, int> sh(Sandbox const& sb, std::string const& script) {
  ContainerProcess p = sb.exec({"sh", "-c", script});
  std::string out = p.stdout_stream().read_all();
  return {out, p.wait()};
}

/// A loopback TCP port that was free a moment ago.
inline int free_port() {
  int const fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return 0;
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

/// Connects to host:port and reads until EOF (at most `timeout`); "" if it cannot connect.
inline std::string tcp_read_all(std::string const& host, int port,
                                std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  int const fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return {};
  }
  timeval tv{};
  tv.tv_sec = static_cast<long>(timeout.count() / 1000);
  tv.tv_usec = static_cast<long>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string out;
  char buf[4096];
  ssize_t n = 0;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return out;
}

/// Polls `pred` every 10 ms until it holds or `timeout` passes.
template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  auto const deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

}  // namespace modal::testing

#endif  // MODAL_TESTS_INTEGRATION_SANDBOX_TEST_UTIL_H
