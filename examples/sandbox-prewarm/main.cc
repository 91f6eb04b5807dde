// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Builds an Image ahead of time, so that creating Sandboxes from it later is fast.
#include <cstdlib>
#include <iostream>

#include "modal/modal.h"

int main() try {
  modal::Client client;
  modal::App app = client.apps().from_name("modal-cpp-example", {.create_if_missing = true});

  //! [image-build]
  modal::Image image = client.images().from_registry(
      "alpine:3.21",
      {.build_log = [](std::string_view line) { std::cout << "  build: " << line << "\n"; }});
  std::string image_id = image.build(app);  // builds now; later uses reuse the id
  std::cout << "Image has ID: " << image_id << "\n";
  //! [image-build]

  modal::Sandbox sb = client.sandboxes().create(app, image, {.command = {"cat"}});
  std::cout << "Sandbox: " << sb.sandbox_id() << " (image " << image.image_id() << ")\n";
  sb.terminate();
  return EXIT_SUCCESS;
} catch (modal::Error const& e) {
  std::cerr << "error: " << e.what() << "\n";
  return EXIT_FAILURE;
}
