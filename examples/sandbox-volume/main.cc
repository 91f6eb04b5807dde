// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// A named Volume shared by two Sandboxes: one writes a file into it, the other mounts
// only a directory of it, read-only, reads the file and fails to change it.
//
//   scripts/run-example.sh sandbox-volume
#include <cstdlib>
#include <iostream>

#include "modal/modal.h"

int main() try {
  modal::Client client;
  modal::App app = client.apps().from_name("modal-cpp-example", {.create_if_missing = true});
  modal::Image image = client.images().from_registry("alpine:3.21");

  //! [writer]
  modal::Volume volume =
      client.volumes().from_name("modal-cpp-example-volume", {.create_if_missing = true});
  modal::Sandbox writer = client.sandboxes().create(
      app, image,
      {.command = {"sh", "-c",
                   "mkdir -p /mnt/volume/data && "
                   "echo 'Hello from writer Sandbox!' > /mnt/volume/data/message.txt"},
       .volumes = {{"/mnt/volume", volume}}});
  std::cout << "Writer Sandbox: " << writer.sandbox_id() << "\n";
  std::cout << "Writer finished with exit code: " << writer.wait() << "\n";
  //! [writer]

  //! [reader]
  // Only the Volume's /data directory, read-only.
  modal::Sandbox reader = client.sandboxes().create(
      app, image,
      {.volumes = {
           {"/mnt/volume", volume.with_mount_options({.read_only = true, .sub_path = "/data"})}}});
  std::cout << "Reader Sandbox: " << reader.sandbox_id() << "\n";
  modal::ContainerProcess cat = reader.exec({"cat", "/mnt/volume/message.txt"});
  std::cout << "Reader output: " << cat.stdout_stream().read_all();

  modal::ContainerProcess write =
      reader.exec({"sh", "-c", "echo 'This should fail' >> /mnt/volume/message.txt"});
  std::cout << "Write attempt exit code: " << write.wait() << "\n";
  std::cout << "Write attempt stderr: " << write.stderr_stream().read_all();
  //! [reader]

  writer.terminate();
  reader.terminate();
  client.volumes().remove("modal-cpp-example-volume");
  return EXIT_SUCCESS;
} catch (modal::Error const& e) {
  std::cerr << "error: " << e.what() << "\n";
  return EXIT_FAILURE;
}
