// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Creates a Sandbox running `cat`, talks to it through its stdin and stdout, then
// terminates it and prints its exit code.
//
//   scripts/run-example.sh sandbox
#include <cstdlib>
#include <iostream>

#include "modal/modal.h"

int main() try {
  modal::Client client;  // configuration from MODAL_* variables and ~/.modal.toml

  //! [sandbox-create]
  modal::App app = client.apps().from_name("modal-cpp-example", {.create_if_missing = true});
  modal::Image image = client.images().from_registry("alpine:3.21");
  modal::Sandbox sb = client.sandboxes().create(app, image, {.command = {"cat"}});
  std::cout << "Created Sandbox with ID: " << sb.sandbox_id() << "\n";
  //! [sandbox-create]

  modal::Sandbox same = client.sandboxes().from_id(sb.sandbox_id());
  std::cout << "Queried Sandbox with ID: " << same.sandbox_id() << "\n";

  //! [sandbox-stdio]
  modal::StreamWriter in = sb.stdin_stream();
  in.write("this is input that should be mirrored by cat\n");
  std::optional<std::string> line = sb.stdout_stream().read_line();
  std::cout << "output: " << line.value_or("<none>") << "\n";
  //! [sandbox-stdio]

  //! [sandbox-terminate]
  std::optional<int> code = sb.terminate({.wait = true});
  std::cout << "Sandbox exit code: " << code.value_or(-1) << "\n";  // 137: killed
  //! [sandbox-terminate]
  return EXIT_SUCCESS;
} catch (modal::Error const& e) {
  std::cerr << "error: " << e.what() << "\n";
  return EXIT_FAILURE;
}
