// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Polls a Sandbox while it runs, then lets it finish and reads its exit code.
#include <cstdlib>
#include <iostream>

#include "modal/modal.h"

int main() try {
  modal::Client client;
  modal::App app = client.apps().from_name("modal-cpp-example", {.create_if_missing = true});
  modal::Image image = client.images().from_registry("alpine:3.21");

  modal::Sandbox sb =
      client.sandboxes().create(app, image, {.command = {"sh", "-c", "read line; exit 42"}});
  std::cout << "Started Sandbox: " << sb.sandbox_id() << "\n";

  //! [sandbox-poll]
  std::optional<int> running = sb.poll();  // nullopt: still running
  std::cout << "Poll result while running: "
            << (running ? std::to_string(*running) : std::string("still running")) << "\n";

  std::cout << "Sending input to trigger completion...\n";
  modal::StreamWriter in = sb.stdin_stream();
  in.write("hello, goodbye\n");
  in.close();

  int exit_code = sb.wait();  // blocks until the Sandbox finishes
  std::cout << "Sandbox completed with exit code: " << exit_code << "\n";
  std::cout << "Poll result after completion: " << sb.poll().value_or(-1) << "\n";
  //! [sandbox-poll]
  return EXIT_SUCCESS;
} catch (modal::Error const& e) {
  std::cerr << "error: " << e.what() << "\n";
  return EXIT_FAILURE;
}
