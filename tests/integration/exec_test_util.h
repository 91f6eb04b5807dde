// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_TESTS_INTEGRATION_EXEC_TEST_UTIL_H
#define MODAL_TESTS_INTEGRATION_EXEC_TEST_UTIL_H

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "fixture.h"

namespace modal::testing {

/// EmulatorTest plus a running Sandbox (an idle one unless `create_params()` says
/// otherwise) and a record of every router call attempt the client made.
class ExecTest : public EmulatorTest {
 protected:
  void SetUp() override {
    EmulatorTest::SetUp();
    auto o = client_options();
    o.retry.initial_delay = std::chrono::milliseconds(1);
    o.retry.max_delay = std::chrono::milliseconds(4);
    o.log_sink = logs_.sink();
    o.log_level = LogLevel::kDebug;
    o.call_observer = [this](CallInfo const& call) {
      std::lock_guard lock(calls_mu_);
      calls_.emplace_back(std::string(call.method), call.code);
    };
    client_ = std::make_unique<Client>(o);
    app_ = client_->apps().from_name("exec-tests", {.create_if_missing = true});
    sandbox_ = std::make_unique<Sandbox>(create());
  }
  void TearDown() override {
    if (sandbox_) {
      try {
        sandbox_->terminate();
      } catch (std::exception const&) {
      }
    }
    sandbox_.reset();
    client_.reset();
    EmulatorTest::TearDown();
  }

  virtual SandboxCreateParams create_params() { return {}; }

  /// Whether sb() is a V2 Sandbox (the client's default): its create reply carried the
  /// router access, so the first router session fetches none with
  /// TaskGetCommandRouterAccess (refreshes still do).
  bool v2() const {
    auto const& id = sandbox_->sandbox_id();
    bool const v1 = id.size() == 25 && id.rfind("sb-", 0) == 0 &&
                    std::all_of(id.begin() + 3, id.end(), [](char c) {
                      return std::isalnum(static_cast<unsigned char>(c)) != 0;
                    });
    return !v1;
  }
  /// TaskGetCommandRouterAccess calls that opening `sessions` router sessions of Sandboxes
  /// like sb() takes: one each for V1, none for V2.
  std::size_t session_fetches(std::size_t sessions = 1) const { return v2() ? 0 : sessions; }

  Sandbox create() {
    return client_->sandboxes().create(app_, client_->images().from_registry("alpine:3.21"),
                                       create_params());
  }

  Client& c() { return *client_; }
  Sandbox& sb() { return *sandbox_; }

  /// Client-side attempts of `method` (e.g. "TaskExecStart") and their codes.
  std::vector<StatusCode> attempts(std::string const& method) {
    std::lock_guard lock(calls_mu_);
    std::vector<StatusCode> out;
    for (auto const& [m, code] : calls_) {
      auto const slash = m.rfind('/');
      if (m.substr(slash + 1) == method) out.push_back(code);
    }
    return out;
  }
  /// Server-side calls of `method` received by the emulator.
  std::size_t received(std::string const& method) { return emu().received_calls(method).size(); }

  LogCapture logs_;
  std::mutex calls_mu_;
  std::vector<std::pair<std::string, StatusCode>> calls_;
  std::unique_ptr<Client> client_;
  App app_;
  std::unique_ptr<Sandbox> sandbox_;
};

}  // namespace modal::testing

#endif  // MODAL_TESTS_INTEGRATION_EXEC_TEST_UTIL_H
