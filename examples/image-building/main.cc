// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Builds an Image from Dockerfile commands: each dockerfile_commands() call is a layer,
// built on the server (every RUN really runs; on the emulator, in a build Sandbox on the
// layers below it) with its build log streamed back, then runs a Sandbox on it. A Secret
// is visible to a layer's build steps only; ENV and WORKDIR stay with the Image. A step
// that fails fails the build with its output.
//
//   scripts/run-example.sh image-building
#include <iostream>
#include <string>
#include <string_view>

#include "modal/modal.h"

int main() try {
  modal::Client client;
  modal::App app = client.apps().from_name("modal-cpp-example", {.create_if_missing = true});

  //! [image-layers]
  modal::Secret build_secret = client.secrets().from_map({{"TOOL_VERSION", "1.4.2"}});
  auto print_steps = [](std::string_view line) {
    if (line.starts_with("=> ")) {
      std::cout << "build: " << line << "\n";
    }
  };
  modal::Image image =
      client.images()
          .from_registry("alpine:3.21", {.build_log = print_steps})
          .dockerfile_commands(
              {"RUN mkdir -p /opt/tool && echo \"tool $TOOL_VERSION\" > /opt/tool/VERSION"},
              {.secrets = {build_secret}})
          .dockerfile_commands({"ENV GREETING=\"hello from a layer\"", "WORKDIR /opt/tool"});
  std::string const image_id = image.build(app);
  //! [image-layers]
  std::cout << "Built Image: " << image_id.substr(0, 3) << "...\n";

  //! [image-names]
  image.publish("tool-image:v1");  // "[prefix/]name[:tag]", tag "latest" by default
  modal::Image by_name = client.images().from_name("tool-image:v1");
  modal::Image by_id = client.images().from_id(image_id);
  std::cout << "Published and found again: " << std::boolalpha
            << (by_name.image_id() == image_id && by_id.image_id() == image_id) << "\n";
  //! [image-names]

  modal::Sandbox sb = client.sandboxes().create(app, image);
  auto run = [&](std::string const& script) {
    modal::ContainerProcess p = sb.exec({"sh", "-c", script});
    std::string out = p.stdout_stream().read_all();
    p.wait();
    return out;
  };
  std::cout << "Sandbox output: " << run("echo \"$GREETING in $(pwd): $(cat VERSION)\"");
  std::cout << "TOOL_VERSION in the Sandbox: \"" << run("printf %s \"$TOOL_VERSION\"") << "\"\n";
  sb.terminate();
  client.images().remove(image_id);  // Sandboxes and Images built on it keep working

  //! [image-build-failure]
  modal::Image broken = client.images()
                            .from_registry("alpine:3.21")
                            .dockerfile_commands({"RUN echo checking && test -e /no/such/file"});
  try {
    broken.build(app);
  } catch (modal::RemoteError const& e) {
    std::string const what = e.what();
    std::cout << "Build failed: " << what.substr(what.find("The command")) << "\n";
  }
  //! [image-build-failure]
  return 0;
} catch (modal::Error const& e) {
  std::cerr << "error: " << e.what() << "\n";
  return 1;
}
