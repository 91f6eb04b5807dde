// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Snapshots one directory of a Sandbox into an Image (Sandbox::snapshot_directory) and
// mounts that Image into a second, running Sandbox (Sandbox::mount_image), then unmounts
// it. A way to keep a user's project apart from the Image with the shared system
// dependencies, and to update each on its own.
//
//   scripts/run-example.sh sandbox-directory-snapshot
#include <iostream>
#include <string>
#include <vector>

#include "modal/modal.h"

namespace {

/// Runs `argv` in `sb` and returns its stdout; throws if it fails.
std::string run(modal::Sandbox const& sb, std::vector<std::string> argv) {
  modal::ContainerProcess p = sb.exec(std::move(argv));
  std::string out = p.stdout_stream().read_all();
  if (int const code = p.wait(); code != 0) {
    throw std::runtime_error("command failed with exit code " + std::to_string(code) + ": " +
                             p.stderr_stream().read_all());
  }
  return out;
}

}  // namespace

int main() try {
  modal::Client client;
  modal::App app = client.apps().from_name("modal-cpp-example", {.create_if_missing = true});
  modal::Image base = client.images().from_registry("alpine:3.21");

  modal::Sandbox sb = client.sandboxes().create(app, base);
  std::cout << "Started first Sandbox: " << sb.sandbox_id() << "\n";
  // A small project with some history.
  run(sb, {"sh", "-c",
           "mkdir -p /repo && cd /repo && git init -q && echo '# demo' > README.md && "
           "mkdir src && echo 'int main() {}' > src/main.cc && git add . && "
           "git -c user.name=demo -c user.email=demo@example.com commit -qm 'First commit'"});

  //! [snapshot-directory]
  modal::Image repo = sb.snapshot_directory("/repo");
  std::cout << "Took a snapshot of the /repo directory, Image ID: " << repo.image_id() << "\n";
  sb.terminate();

  // A new Sandbox from the base Image, with the project mounted where it was.
  modal::Sandbox sb2 = client.sandboxes().create(app, base);
  sb2.mount_image("/repo", repo);
  //! [snapshot-directory]
  std::cout << "Started second Sandbox: " << sb2.sandbox_id() << "\n";
  std::cout << "Contents of /repo directory in the second Sandbox:\n" << run(sb2, {"ls", "/repo"});
  std::cout << "Its history: " << run(sb2, {"git", "-C", "/repo", "log", "--format=%s"});

  //! [unmount-image]
  sb2.unmount_image("/repo");
  //! [unmount-image]
  std::cout << "Unmounted the snapshot from /repo; entries left: "
            << run(sb2, {"sh", "-c", "ls -A /repo | wc -l"});
  sb2.terminate();
  return 0;
} catch (std::exception const& e) {
  std::cerr << "error: " << e.what() << "\n";
  return 1;
}
