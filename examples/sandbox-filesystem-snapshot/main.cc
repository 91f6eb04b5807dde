// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Snapshots a Sandbox's file system into an Image (Sandbox::snapshot_filesystem) and
// starts a second Sandbox from it, which finds the first one's files.
//
//   scripts/run-example.sh sandbox-filesystem-snapshot
#include <iostream>
#include <string>

#include "modal/modal.h"

int main() try {
  modal::Client client;
  modal::App app = client.apps().from_name("modal-cpp-example", {.create_if_missing = true});
  modal::Image base = client.images().from_registry("alpine:3.21");

  modal::Sandbox sb = client.sandboxes().create(app, base);
  std::cout << "Started Sandbox: " << sb.sandbox_id() << "\n";
  sb.exec({"mkdir", "-p", "/app/data"}).wait();
  sb.exec({"sh", "-c", "echo 'This file was created in the first Sandbox' > /app/data/info.txt"})
      .wait();
  std::cout << "Created file in first Sandbox\n";

  //! [snapshot-filesystem]
  modal::Image snapshot = sb.snapshot_filesystem();
  std::cout << "Filesystem snapshot created with Image ID: " << snapshot.image_id() << "\n";
  sb.terminate();

  modal::Sandbox sb2 = client.sandboxes().create(app, snapshot);
  //! [snapshot-filesystem]
  std::cout << "Started new Sandbox from snapshot: " << sb2.sandbox_id() << "\n";
  modal::ContainerProcess cat = sb2.exec({"cat", "/app/data/info.txt"});
  std::cout << "File data read in second Sandbox: " << cat.stdout_stream().read_all();
  cat.wait();
  sb2.terminate();
  return 0;
} catch (modal::Error const& e) {
  std::cerr << "error: " << e.what() << "\n";
  return 1;
}
