// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Names a Sandbox, shows that the name is unique among running Sandboxes of the App, and
// finds the Sandbox again by name.
#include <cstdlib>
#include <iostream>

#include "modal/modal.h"

int main() try {
  modal::Client client;
  modal::App app = client.apps().from_name("modal-cpp-example", {.create_if_missing = true});
  modal::Image image = client.images().from_registry("alpine:3.21");

  //! [sandbox-named]
  std::string const name = "modal-cpp-example-named-sandbox";
  modal::Sandbox sb = client.sandboxes().create(app, image, {.command = {"cat"}, .name = name});
  std::cout << "Created Sandbox with name: " << name << "\n";
  std::cout << "Sandbox ID: " << sb.sandbox_id() << "\n";

  try {
    client.sandboxes().create(app, image, {.command = {"cat"}, .name = name});
  } catch (modal::AlreadyExistsError const& e) {
    std::cout << "Trying to create one more Sandbox with the same name fails: "
              << e.server_message() << "\n";
  }

  modal::Sandbox found = client.sandboxes().from_name(app.name, name);
  std::cout << "Retrieved the same Sandbox from name: " << found.sandbox_id() << "\n";
  //! [sandbox-named]

  modal::StreamWriter in = found.stdin_stream();
  in.write("hello, named Sandbox");
  in.close();  // cat sees EOF and exits
  std::cout << "Reading output:\n" << found.stdout_stream().read_all() << "\n";

  sb.terminate();
  return EXIT_SUCCESS;
} catch (modal::Error const& e) {
  std::cerr << "error: " << e.what() << "\n";
  return EXIT_FAILURE;
}
