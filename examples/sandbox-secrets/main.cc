// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Passes Secrets to a Sandbox and to a command run in it: a deployed Secret found by
// name and an ephemeral one made from a map.
//
//   scripts/run-example.sh sandbox-secrets
#include <cstdlib>
#include <iostream>

#include "modal/modal.h"

int main() try {
  modal::Client client;
  modal::App app = client.apps().from_name("modal-cpp-example", {.create_if_missing = true});
  modal::Image image = client.images().from_registry("alpine:3.21");

  //! [secrets]
  modal::Secret secret =
      client.secrets().from_name("libmodal-test-secret", {.required_keys = {"c"}});
  modal::Secret ephemeral = client.secrets().from_map({{"d", "123"}});

  // The Sandbox's entrypoint sees both Secrets as environment variables.
  modal::Sandbox sb =
      client.sandboxes().create(app, image,
                                {.command = {"sh", "-lc", "printenv | grep -E '^c|d=' | sort"},
                                 .secrets = {secret, ephemeral}});
  std::cout << "Sandbox created: " << sb.sandbox_id() << "\n";
  std::cout << "Sandbox environment variables from Secrets:\n" << sb.stdout_stream().read_all();
  //! [secrets]

  //! [exec-secrets]
  // So does a command run with exec, here in a second, idle Sandbox.
  modal::Sandbox idle = client.sandboxes().create(app, image);
  modal::ContainerProcess p =
      idle.exec({"sh", "-c", "echo c=$c d=$d"}, {.secrets = {secret, ephemeral}});
  std::cout << "Exec environment variables from Secrets: " << p.stdout_stream().read_all();
  //! [exec-secrets]

  idle.terminate();
  sb.terminate();
  return EXIT_SUCCESS;
} catch (modal::Error const& e) {
  std::cerr << "error: " << e.what() << "\n";
  return EXIT_FAILURE;
}
