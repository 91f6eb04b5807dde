// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Starts a Function call without waiting, then collects its result.
//
//   scripts/run-example.sh function-spawn
#include <cstdlib>
#include <iostream>

#include "modal/modal.h"

int main() try {
  modal::Client client;

  //! [spawn]
  modal::Function echo = client.functions().from_name("libmodal-test-support", "echo_string");

  modal::FunctionCall call = echo.spawn({}, {{"s", "Hello world!"}});
  std::cout << "Spawned: " << call.id() << "\n";

  // Later, possibly from another process: client.function_calls().from_id(id).get().
  modal::Value ret = call.get();
  std::cout << "Response: " << ret.as_string() << "\n";
  //! [spawn]
  return EXIT_SUCCESS;
} catch (modal::Error const& e) {
  std::cerr << "error: " << e.what() << "\n";
  return EXIT_FAILURE;
}
