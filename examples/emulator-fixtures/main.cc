// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// A program written against objects that already exist, as in a Modal workspace: a
// deployed App, a Secret, a Volume with files, a Queue with work in it, a bucket and a
// second environment. On Modal they are the workspace's; against the emulator the preload
// file fixtures.toml creates them at startup (emulator.args: `--config fixtures.toml`), so a
// CI job starts from the same state every time. See docs/emulator.md.
//
//   scripts/run-example.sh emulator-fixtures
#include <cstdlib>
#include <iostream>

#include "modal/modal.h"

int main() try {
  modal::Client client;
  //! [use]
  // No create_if_missing: these exist (preloaded by the emulator, deployed on Modal).
  modal::App app = client.apps().from_name("fixtures-app");
  modal::Secret db = client.secrets().from_name("fixtures-db", {.required_keys = {"DB_USER"}});
  modal::Volume models = client.volumes().from_name("fixtures-models");
  modal::Queue jobs = client.queues().from_name("fixtures-jobs");

  modal::Sandbox sb = client.sandboxes().create(
      app, client.images().from_registry("alpine:3.21"),
      {.secrets = {db},
       .volumes = {{"/models", models}},
       .cloud_bucket_mounts = {{"/bucket", modal::CloudBucketMount::create("fixture-bucket")}}});
  auto run = [&sb](char const* script) {
    modal::ContainerProcess p = sb.exec({"sh", "-c", script});
    std::string out = p.stdout_stream().read_all();
    p.wait();
    return out;
  };
  std::cout << "App fixtures-app: " << app.app_id << "\n";
  std::cout << "Secret in the Sandbox: " << run("echo $DB_USER");
  std::cout << "Seeded Volume: " << run("cat /models/models/weights.txt");
  std::cout << "Bucket: " << run("cat /bucket/readme.txt");
  sb.terminate();

  std::cout << "Queue jobs:";
  for (int i = 0; i < 4; ++i) std::cout << " " << jobs.get();
  std::cout << "\nUrgent: " << jobs.get({.partition = "urgent"}) << "\n";
  //! [use]

  // Another environment: a Client of it sees its objects.
  modal::Client staging(modal::ClientOptions{.environment = "staging"});
  modal::Sandbox st = staging.sandboxes().create(
      staging.apps().from_name("fixtures-app"), staging.images().from_registry("alpine:3.21"),
      {.command = {"sh", "-c", "echo $DB_USER"},
       .secrets = {staging.secrets().from_name("fixtures-db")}});
  std::cout << "Staging Secret: " << st.stdout_stream().read_all();
  st.wait();
  st.terminate();
  return EXIT_SUCCESS;
} catch (modal::Error const& e) {
  std::cerr << "error: " << e.what() << "\n";
  return EXIT_FAILURE;
}
