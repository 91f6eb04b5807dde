// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// A Sandbox whose setup takes a while, with an exec readiness probe: wait_until_ready()
// blocks until the probe command succeeds, then the Sandbox is used.
//
//   scripts/run-example.sh sandbox-readiness-probe
#include <chrono>
#include <cstdlib>
#include <iostream>

#include "modal/modal.h"

int main() try {
  using std::chrono::milliseconds;
  modal::Client client;
  modal::App app = client.apps().from_name("modal-cpp-example", {.create_if_missing = true});
  modal::Image image = client.images().from_registry("alpine:3.21");

  //! [readiness-probe]
  // Setup takes a second, then leaves a marker file (in the Sandbox's working directory).
  modal::Sandbox sb = client.sandboxes().create(
      app, image,
      {.command = {"sh", "-c", "sleep 1 && echo ready > ready-marker && sleep 3600"},
       .readiness_probe =
           modal::Probe::exec({"test", "-f", "ready-marker"}, {.interval = milliseconds(250)})});
  std::cout << "Started Sandbox: " << sb.sandbox_id() << "\n";

  auto const start = std::chrono::steady_clock::now();
  sb.wait_until_ready(std::chrono::minutes(1));  // throws TimeoutError if never ready
  auto const waited =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
  std::cout << "Sandbox is ready (waited " << waited.count() << " ms)\n";
  //! [readiness-probe]

  modal::ContainerProcess p = sb.exec({"cat", "ready-marker"});
  std::cout << "Readiness marker: " << p.stdout_stream().read_all();

  // A probe that never passes: wait_until_ready gives up after its timeout.
  modal::Sandbox never = client.sandboxes().create(
      app, image,
      {.readiness_probe = modal::Probe::exec({"false"}, {.interval = milliseconds(100)})});
  try {
    never.wait_until_ready(milliseconds(500));
  } catch (modal::TimeoutError const& e) {
    std::cout << "As expected, the other Sandbox is not ready: " << e.what() << "\n";
  }

  never.terminate();
  sb.terminate();
  return EXIT_SUCCESS;
} catch (modal::Error const& e) {
  std::cerr << "error: " << e.what() << "\n";
  return EXIT_FAILURE;
}
