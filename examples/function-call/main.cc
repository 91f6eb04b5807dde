// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Calls a deployed Function with positional and keyword arguments.
//
//   scripts/run-example.sh function-call
#include <cstdlib>
#include <iostream>

#include "modal/modal.h"

int main() try {
  modal::Client client;

  //! [remote]
  modal::Function echo = client.functions().from_name("libmodal-test-support", "echo_string");

  modal::Value ret = echo.remote({"Hello world!"});
  std::cout << "Response: " << ret.as_string() << "\n";

  ret = echo.remote({}, {{"s", "Hello world!"}});
  std::cout << "Response: " << ret.as_string() << "\n";
  //! [remote]
  return EXIT_SUCCESS;
} catch (modal::Error const& e) {
  std::cerr << "error: " << e.what() << "\n";
  return EXIT_FAILURE;
}
