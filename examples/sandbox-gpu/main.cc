// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Requests a GPU for a Sandbox and runs nvidia-smi in it. (modal-emulator records the
// request; on a machine without a GPU the entrypoint says so instead.)
#include <cstdlib>
#include <iostream>

#include "modal/modal.h"

int main() try {
  modal::Client client;
  modal::App app = client.apps().from_name("modal-cpp-example", {.create_if_missing = true});
  modal::Image image = client.images().from_registry("nvidia/cuda:12.4.0-devel-ubuntu22.04");

  //! [sandbox-gpu]
  modal::Sandbox sb = client.sandboxes().create(
      app, image,
      {.gpu = "A10G",  // or "A100:2" for two GPUs
       .command = {"sh", "-c", "nvidia-smi 2>/dev/null || echo 'nvidia-smi: no GPU here'"}});
  std::cout << "Started Sandbox with A10G GPU: " << sb.sandbox_id() << "\n";
  //! [sandbox-gpu]

  std::cout << "Output of nvidia-smi in the Sandbox:\n" << sb.stdout_stream().read_all();
  std::cout << "Exit code: " << sb.wait() << "\n";
  return EXIT_SUCCESS;
} catch (modal::Error const& e) {
  std::cerr << "error: " << e.what() << "\n";
  return EXIT_FAILURE;
}
