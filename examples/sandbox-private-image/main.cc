// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Runs a Sandbox on an Image from a private AWS Elastic Container Registry: the registry
// credentials travel as a Secret (Images.from_aws_ecr), which the server checks before it
// pulls. The Sandbox mirrors its stdin to its stdout with a Python one-liner.
//
//   scripts/run-example.sh sandbox-private-image
//
// On the emulator the Secret comes from emulator.args; a Secret without the two AWS keys
// fails the build. Against Modal, create a Secret named modal-cpp-aws-ecr-test with
// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, and use a tag of your own registry.
#include <iostream>
#include <string>

#include "modal/modal.h"

int main() try {
  modal::Client client;
  modal::App app = client.apps().from_name("modal-cpp-example", {.create_if_missing = true});

  //! [private-image]
  modal::Secret secret = client.secrets().from_name(
      "modal-cpp-aws-ecr-test", {.required_keys = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}});
  modal::Image image = client.images().from_aws_ecr(
      "459781239556.dkr.ecr.us-east-1.amazonaws.com/ecr-private-registry-test-7522615:python",
      secret);
  modal::Sandbox sb = client.sandboxes().create(
      app, image, {.command = {"python3", "-c", "import sys; sys.stdout.write(sys.stdin.read())"}});
  //! [private-image]
  std::cout << "Sandbox: " << sb.sandbox_id() << "\n";

  modal::StreamWriter in = sb.stdin_stream();
  in.write("this is input that should be mirrored by the Python one-liner");
  in.close();
  std::cout << "output: " << sb.stdout_stream().read_all() << "\n";
  sb.terminate();
  return 0;
} catch (modal::Error const& e) {
  std::cerr << "error: " << e.what() << "\n";
  return 1;
}
