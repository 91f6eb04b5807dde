// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// V2 Sandboxes: experimental_create (what create() does by default, as Modal's newest
// official client), an exec right after it, the entrypoint's stdio through the router,
// lookup by name (also of a finished one) and listing, beside a V1 Sandbox.
//
//   scripts/run-example.sh sandbox-v2
#include <cstdlib>
#include <iostream>
#include <string>

#include "modal/modal.h"

int main() try {
  modal::Client client;
  modal::App app = client.apps().from_name("modal-cpp-example", {.create_if_missing = true});
  modal::Image image = client.images().from_registry("alpine:3.21");

  //! [v2-create]
  // A V2 Sandbox. Its create reply names the task and its command router, so this first
  // exec goes straight to the router.
  modal::Sandbox sb = client.sandboxes().experimental_create(
      app, image, {.command = {"cat"}, .env = {{"GREETING", "hello from V2"}}, .name = "v2-demo"});
  modal::ContainerProcess p = sb.exec({"sh", "-c", "echo $GREETING"});
  std::cout << "exec: " << p.stdout_stream().read_all();
  //! [v2-create]
  std::cout << "V2 id: " << (sb.sandbox_id().size() == 29 ? "sb- and a ULID" : sb.sandbox_id())
            << "\n";

  //! [v2-stdio]
  // The entrypoint's stdin and stdout work as for V1 Sandboxes (through the router).
  modal::StreamWriter in = sb.stdin_stream();
  in.write("echoed by cat\n");
  in.close();
  std::cout << "stdout: " << sb.stdout_stream().read_all();
  std::cout << "exit code: " << sb.wait() << "\n";
  //! [v2-stdio]

  //! [v2-from-name]
  // Finished: a plain lookup finds nothing, include_terminated finds the latest.
  modal::Sandbox last =
      client.sandboxes().experimental_from_name(app.name, "v2-demo", {.include_terminated = true});
  std::cout << "found the finished one: " << (last.sandbox_id() == sb.sandbox_id()) << "\n";
  //! [v2-from-name]

  //! [v2-list]
  // A V1 Sandbox beside it: experimental_list (list() by default) has both kinds; a client
  // with sandbox_v2 off creates V1 Sandboxes and lists only those.
  modal::Client v1_client(modal::ClientOptions{.sandbox_v2 = false});
  modal::Sandbox v1 = v1_client.sandboxes().create(app, image, {.command = {"sleep", "60"}});
  modal::Sandbox v2 = client.sandboxes().create(app, image, {.command = {"sleep", "60"}});
  int both = 0, v1_only = 0;
  for (modal::Sandbox const& s : client.sandboxes().list({.app_id = app.app_id})) {
    both += (s.sandbox_id() == v1.sandbox_id() || s.sandbox_id() == v2.sandbox_id());
  }
  for (modal::Sandbox const& s : v1_client.sandboxes().list({.app_id = app.app_id})) {
    v1_only += (s.sandbox_id() == v1.sandbox_id() || s.sandbox_id() == v2.sandbox_id());
  }
  std::cout << "listed: " << both << " by the V2 listing, " << v1_only << " by the V1 one\n";
  //! [v2-list]
  v1.terminate();
  v2.terminate();
  return EXIT_SUCCESS;
} catch (modal::Error const& e) {
  std::cerr << "error: " << e.what() << "\n";
  return EXIT_FAILURE;
}
