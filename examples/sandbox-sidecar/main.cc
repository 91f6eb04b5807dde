// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Experimental sidecar containers: starts a second container with an Image of its own in
// a Sandbox, runs a command in it, lists the Sandbox's sidecars and terminates it.
//
//   scripts/run-example.sh sandbox-sidecar
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>

#include "modal/modal.h"

int main() try {
  modal::Client client;
  modal::App app = client.apps().from_name("modal-cpp-example", {.create_if_missing = true});
  modal::Image image = client.images().from_registry("alpine:3.21");

  modal::Sandbox sb = client.sandboxes().create(app, image, {.command = {"sleep", "infinity"}});
  std::cout << "Started Sandbox: " << sb.sandbox_id() << "\n";

  //! [sidecar-create]
  // A sidecar's Image must be built already.
  modal::Image sidecar_image = image.dockerfile_commands({"RUN echo sidecar > /whoami"});
  sidecar_image.build(app);
  modal::SidecarContainer sidecar = sb.experimental_sidecars().create(
      "worker", sidecar_image, {.command = {"sleep", "100"}, .env = {{"GREETING", "hello"}}});
  std::cout << "Started sidecar: " << sidecar.container_name() << "\n";

  modal::ContainerProcess p =
      sidecar.exec({"sh", "-c", "echo \"$GREETING from the $(cat /whoami)\""});
  std::cout << "Sidecar said: " << p.stdout_stream().read_all();
  p.wait();
  //! [sidecar-create]

  //! [sidecar-lifecycle]
  for (modal::SidecarContainer const& c : sb.experimental_sidecars().list()) {
    std::cout << "Running sidecar: " << c.container_name() << "\n";
  }
  std::optional<int> code = sidecar.terminate({.wait = true});  // 137: killed
  std::cout << "Sidecar terminated with exit code: " << code.value_or(-1) << "\n";
  //! [sidecar-lifecycle]

  sb.terminate();
  return EXIT_SUCCESS;
} catch (modal::Error const& e) {
  std::cerr << "error: " << e.what() << "\n";
  return EXIT_FAILURE;
}
