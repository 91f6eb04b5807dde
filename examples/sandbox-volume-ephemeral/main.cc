// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// An ephemeral Volume: anonymous, kept alive by the Client's heartbeats while its handle
// lives, shared by a Sandbox that writes to it and one that reads from it.
//
//   scripts/run-example.sh sandbox-volume-ephemeral
#include <cstdlib>
#include <iostream>

#include "modal/modal.h"

int main() try {
  modal::Client client;
  modal::App app = client.apps().from_name("modal-cpp-example", {.create_if_missing = true});
  modal::Image image = client.images().from_registry("alpine:3.21");

  //! [ephemeral]
  modal::Volume volume = client.volumes().ephemeral();
  modal::Sandbox writer = client.sandboxes().create(
      app, image,
      {.command = {"sh", "-c", "echo 'Hello from writer Sandbox!' > /mnt/volume/message.txt"},
       .volumes = {{"/mnt/volume", volume}}});
  std::cout << "Writer Sandbox: " << writer.sandbox_id() << "\n";
  std::cout << "Writer finished with exit code: " << writer.wait() << "\n";

  modal::Sandbox reader =
      client.sandboxes().create(app, image,
                                {.command = {"cat", "/mnt/volume/message.txt"},
                                 .volumes = {{"/mnt/volume", volume.read_only()}}});
  std::cout << "Reader Sandbox: " << reader.sandbox_id() << "\n";
  std::cout << "Reader output: " << reader.stdout_stream().read_all();
  volume.close_ephemeral();  // no more heartbeats: the server deletes it
  //! [ephemeral]

  writer.terminate();
  reader.terminate();
  return EXIT_SUCCESS;
} catch (modal::Error const& e) {
  std::cerr << "error: " << e.what() << "\n";
  return EXIT_FAILURE;
}
