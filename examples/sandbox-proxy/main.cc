// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// A Sandbox whose outbound traffic goes through a Modal Proxy (a static egress IP set up
// in the Modal dashboard). On Modal, `curl ifconfig.me` prints the Proxy's IP; the
// emulator (`--proxy NAME`, emulator.args) records the Proxy but routes nothing, so this
// port prints the Proxy and Sandbox ids and runs a local command instead.
//
//   scripts/run-example.sh sandbox-proxy
#include <cstdlib>
#include <iostream>

#include "modal/modal.h"

int main() try {
  modal::Client client;
  modal::App app = client.apps().from_name("modal-cpp-example", {.create_if_missing = true});
  modal::Image image = client.images().from_registry("alpine/curl:8.14.1");

  //! [proxy]
  modal::Proxy proxy = client.proxies().from_name("libmodal-test-proxy");
  std::cout << "Using Proxy: " << proxy.proxy_id << "\n";
  modal::Sandbox sb = client.sandboxes().create(app, image, {.proxy = proxy});
  std::cout << "Created Sandbox with proxy: " << sb.sandbox_id() << "\n";
  //! [proxy]

  modal::ContainerProcess p = sb.exec({"sh", "-c", "echo traffic leaves through the Proxy"});
  std::cout << "Sandbox says: " << p.stdout_stream().read_all();
  sb.terminate();
  return EXIT_SUCCESS;
} catch (modal::Error const& e) {
  std::cerr << "error: " << e.what() << "\n";
  return EXIT_FAILURE;
}
