// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Observes every RPC attempt the SDK makes (method, status, duration, attempt number)
// and routes the SDK's log lines to our own sink: the hooks for metrics and tracing.
#include <chrono>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <map>
#include <mutex>
#include <string>

#include "modal/modal.h"

namespace {

struct MethodStats {
  int attempts = 0;
  int failures = 0;
  std::chrono::microseconds total{0};
};

}  // namespace

int main() try {
  std::mutex mu;
  std::map<std::string, MethodStats> stats;

  //! [telemetry-options]
  modal::ClientOptions options;
  options.call_observer = [&](modal::CallInfo const& call) {
    std::lock_guard lock(mu);
    auto& s = stats[std::string(call.method)];
    ++s.attempts;
    if (call.code != modal::StatusCode::kOk) ++s.failures;
    s.total += call.duration;
  };
  options.log_level = modal::LogLevel::kInfo;
  options.log_sink = [](modal::LogLevel level, std::string_view message) {
    std::cerr << "[modal " << static_cast<int>(level) << "] " << message << "\n";
  };
  modal::Client client(options);
  //! [telemetry-options]

  for (int i = 0; i < 5; ++i) {
    client.apps().from_name("modal-cpp-telemetry", {.create_if_missing = true});
  }
  try {
    client.secrets().from_name("modal-cpp-telemetry-missing");
  } catch (modal::NotFoundError const&) {
    // counted as a failed attempt below
  }

  std::lock_guard lock(mu);
  std::cout << std::left << std::setw(50) << "method" << std::right << std::setw(9) << "attempts"
            << std::setw(9) << "failed" << std::setw(12) << "mean (us)"
            << "\n";
  for (auto const& [method, s] : stats) {
    std::cout << std::left << std::setw(50) << method << std::right << std::setw(9) << s.attempts
              << std::setw(9) << s.failures << std::setw(12) << s.total.count() / s.attempts
              << "\n";
  }
  return EXIT_SUCCESS;
} catch (modal::Error const& e) {
  std::cerr << "error: " << e.what() << "\n";
  return EXIT_FAILURE;
}
