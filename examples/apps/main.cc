// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Looks up (or creates) an App and looks up a deployed Secret.
//
// Against Modal, create the Secret first:
//   modal secret create modal-cpp-example GREETING=hello
// scripts/run-example.sh apps seeds it in a fresh emulator (see emulator.args).
#include <cstdlib>
#include <iostream>

#include "modal/modal.h"

int main() try {
  modal::Client client;  // configuration from MODAL_* variables and ~/.modal.toml

  //! [apps-from-name]
  modal::App app = client.apps().from_name("modal-cpp-example", {.create_if_missing = true});
  std::cout << "App " << app.name << ": " << app.app_id << "\n";
  //! [apps-from-name]

  //! [secrets-from-name]
  modal::Secret secret =
      client.secrets().from_name("modal-cpp-example", {.required_keys = {"GREETING"}});
  std::cout << "Secret " << secret.name() << ": " << secret.secret_id() << "\n";
  //! [secrets-from-name]

  try {
    client.apps().from_name("modal-cpp-no-such-app");
  } catch (modal::NotFoundError const& e) {
    std::cout << "As expected: " << e.what() << "\n";
  }
  return EXIT_SUCCESS;
} catch (modal::Error const& e) {
  std::cerr << "error: " << e.what() << "\n";
  return EXIT_FAILURE;
}
