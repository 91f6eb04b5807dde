// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Calls a method of a deployed class.
//
//   scripts/run-example.sh cls-call
#include <cstdlib>
#include <iostream>

#include "modal/modal.h"

int main() try {
  modal::Client client;

  //! [method]
  modal::Cls cls = client.cls().from_name("libmodal-test-support", "EchoCls");
  modal::ClsInstance instance = cls.instance();
  modal::Function method = instance.method("echo_string");

  // With positional arguments.
  modal::Value result = method.remote({"Hello world!"});
  std::cout << "Response: " << result.as_string() << "\n";

  // With keyword arguments.
  result = method.remote({}, {{"s", "Hello world!"}});
  std::cout << "Response: " << result.as_string() << "\n";
  //! [method]
  return EXIT_SUCCESS;
} catch (modal::Error const& e) {
  std::cerr << "error: " << e.what() << "\n";
  return EXIT_FAILURE;
}
