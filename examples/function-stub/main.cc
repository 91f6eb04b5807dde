// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Calls deployed Functions that, against the emulator, are stubs: local programs declared
// in the preload file functions.toml (emulator.args: `--config functions.toml`). On Modal
// the same code calls the real deployment. See docs/emulator.md.
//
//   scripts/run-example.sh function-stub
#include <cstdlib>
#include <iostream>

#include "modal/modal.h"

int main() try {
  modal::Client client;
  //! [call]
  modal::Function resize = client.functions().from_name("image-service", "resize");
  modal::Value r = resize.remote({"cat.png"}, {{"width", 128}});
  std::cout << "resize: " << r << "\n";
  // Without the keyword argument, the stub takes its default from the Secret.
  std::cout << "default width: " << resize.remote({"dog.png"})["width"] << "\n";

  modal::Function broken = client.functions().from_name("image-service", "broken");
  try {
    broken.remote();
  } catch (modal::RemoteError const& e) {
    std::cout << "broken: " << e.what() << "\n";
  }
  //! [call]

  // What the stub wrote to its Volume, seen from a Sandbox.
  modal::Sandbox sb = client.sandboxes().create(
      client.apps().from_name("image-service"), client.images().from_registry("alpine:3.21"),
      {.command = {"cat", "/thumbnails/cat.png.txt"},
       .volumes = {{"/thumbnails", client.volumes().from_name("thumbnails")}}});
  std::cout << "thumbnail: " << sb.stdout_stream().read_all() << "\n";
  sb.wait();
  return EXIT_SUCCESS;
} catch (modal::Error const& e) {
  std::cerr << "error: " << e.what() << "\n";
  return EXIT_FAILURE;
}
