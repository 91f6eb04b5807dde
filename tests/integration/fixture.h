// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_TESTS_INTEGRATION_FIXTURE_H
#define MODAL_TESTS_INTEGRATION_FIXTURE_H

#include <gtest/gtest.h>

#include <cstddef>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "modal/emulator.h"
#include "modal/modal.h"
#include "testing_util/scoped_environment.h"

namespace modal::testing {

/// `n` pseudo-random bytes, the same for the same seed.
inline std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; i += 8) {
    auto v = rng();
    for (std::size_t j = 0; j < 8 && i + j < n; ++j) out[i + j] = static_cast<char>(v >> (8 * j));
  }
  return out;
}

/// Starts an in-process emulator on an ephemeral loopback port per test and makes
/// clients for it. The process environment's MODAL_* variables are cleared so a
/// developer's configuration never leaks into a test.
class EmulatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_.unset_with_prefix("MODAL_");
    env_.set("MODAL_CONFIG_PATH", "/nonexistent/modal-cpp-test.toml");
    emulator_ = std::make_unique<emulator::Emulator>(emulator_options());
  }
  void TearDown() override { emulator_.reset(); }

  /// Override to configure the emulator (token lifetimes, seeded secrets, ...).
  virtual emulator::EmulatorOptions emulator_options() { return {}; }

  /// Options pointing at the emulator with valid credentials.
  ClientOptions client_options() const {
    ClientOptions o;
    o.server_url = emulator_->server_url();
    o.token_id = emulator_->options().token_id;
    o.token_secret = emulator_->options().token_secret;
    return o;
  }
  Client client() const { return Client(client_options()); }
  emulator::Emulator& emu() { return *emulator_; }

  testing_util::ScopedEnvironment env_;
  std::unique_ptr<emulator::Emulator> emulator_;
};

/// Collects log lines from a LogSink (thread-safe).
struct LogCapture {
  std::mutex mu;
  std::vector<std::string> lines{};
  LogSink sink() {
    return [this](LogLevel, std::string_view m) {
      std::lock_guard lock(mu);
      lines.emplace_back(m);
    };
  }
  std::string joined() {
    std::lock_guard lock(mu);
    std::string out;
    for (auto const& l : lines) out += l + "\n";
    return out;
  }
};

}  // namespace modal::testing

#endif  // MODAL_TESTS_INTEGRATION_FIXTURE_H
