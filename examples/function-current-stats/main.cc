// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Reads a deployed Function's backlog and runner count.
//
//   scripts/run-example.sh function-current-stats
#include <cstdlib>
#include <iostream>

#include "modal/modal.h"

int main() try {
  modal::Client client;

  //! [stats]
  modal::Function function = client.functions().from_name("libmodal-test-support", "echo_string");

  modal::FunctionStats stats = function.get_current_stats();
  std::cout << "Function Statistics:\n";
  std::cout << "  Backlog: " << stats.backlog << " inputs\n";
  std::cout << "  Total Runners: " << stats.num_total_runners << " containers\n";
  //! [stats]
  return EXIT_SUCCESS;
} catch (modal::Error const& e) {
  std::cerr << "error: " << e.what() << "\n";
  return EXIT_FAILURE;
}
