// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Reads what a Function printed: fetches a time range, tails the newest lines, and
// streams one call's lines until it finished.
//
//   scripts/run-example.sh function-logs
#include <chrono>
#include <cstdlib>
#include <iostream>

#include "modal/modal.h"

int main() try {
  modal::Client client;
  auto const started = std::chrono::system_clock::now() - std::chrono::seconds(1);

  //! [logs]
  // print_lines(out, err) prints each `out` line to stdout and each `err` line to stderr.
  modal::Function printer = client.functions().from_name("libmodal-test-support", "print_lines");
  modal::Value printed = printer.remote(
      {modal::Value::list({"loading", "done"}), modal::Value::list({"warning: slow"})});
  std::cout << "printed " << printed.as_int() << " lines\n";

  // Everything it printed since `started`, oldest first.
  for (modal::LogEntry const& e : printer.logs().fetch(started)) {
    std::cout << e.source << ": " << e.message;
  }
  // Only stderr, the two newest lines.
  for (modal::LogEntry const& e : printer.logs().tail({.entries = 2, .source = "stderr"})) {
    std::cout << "tail: " << e.message;
  }

  // One call's lines as they are printed; the stream ends once the call finished.
  modal::FunctionCall call =
      printer.spawn({modal::Value::list({"step 1", "step 2"}), modal::Value::list({})});
  for (modal::LogEntry const& e : call.logs().stream()) std::cout << "call: " << e.message;
  //! [logs]
  return EXIT_SUCCESS;
} catch (modal::Error const& e) {
  std::cerr << "error: " << e.what() << "\n";
  return EXIT_FAILURE;
}
