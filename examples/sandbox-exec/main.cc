// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Runs commands in a Sandbox with Sandbox::exec: reads a process's stdout and stderr,
// waits for its exit code, and passes a Secret to a command.
//
//   scripts/run-example.sh sandbox-exec
#include <cstdlib>
#include <iostream>
#include <string>

#include "modal/modal.h"

int main() try {
  modal::Client client;
  modal::App app = client.apps().from_name("modal-cpp-example", {.create_if_missing = true});
  modal::Image image = client.images().from_registry("alpine:3.21");

  modal::Sandbox sb = client.sandboxes().create(app, image);
  std::cout << "Started Sandbox: " << sb.sandbox_id() << "\n";

  //! [exec-output]
  // 50,000 lines on stdout and on stderr, with short pauses.
  modal::ContainerProcess p = sb.exec({"awk", R"(BEGIN {
    for (i = 0; i < 50000; i++) {
      if (i % 1000 == 0) system("sleep 0.01")
      print i
      print i > "/dev/stderr"
    }
  })"});
  // Reading stdout to the end while stderr fills up is fine: the SDK fetches the other
  // stream meanwhile, so the process never stalls.
  std::string out = p.stdout_stream().read_all();
  std::string err = p.stderr_stream().read_all();
  std::cout << "Got " << out.size() << " bytes stdout and " << err.size() << " bytes stderr\n";
  std::cout << "Return code: " << p.wait() << "\n";
  //! [exec-output]

  //! [exec-secret]
  modal::Secret secret =
      client.secrets().from_name("libmodal-test-secret", {.required_keys = {"c"}});
  modal::ContainerProcess env = sb.exec({"printenv", "c"}, {.secrets = {secret}});
  std::cout << "Got environment variable c=" << env.stdout_stream().read_all();
  //! [exec-secret]

  sb.terminate();
  return EXIT_SUCCESS;
} catch (modal::Error const& e) {
  std::cerr << "error: " << e.what() << "\n";
  return EXIT_FAILURE;
}
