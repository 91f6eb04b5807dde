// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// The code snippets of docs/sandboxes.md (between "//! [name]" markers), run against the
// emulator so that the documentation stays correct.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <iostream>

#include "sandbox_test_util.h"

namespace modal::testing {
namespace {

class SandboxDocsTest : public SandboxTest {
 protected:
  emulator::EmulatorOptions emulator_options() override {
    emulator::EmulatorOptions o;
    o.proxies = {"my-proxy"};
    return o;
  }
};

TEST_F(SandboxDocsTest, Lifecycle) {
  modal::Client& client = c();
  modal::App const& app = this->app();
  modal::Image image = this->image();

  //! [lifecycle]
  modal::Sandbox sb =
      client.sandboxes().create(app, image,
                                {.timeout = std::chrono::minutes(10),  // default 5 minutes
                                 .idle_timeout = std::chrono::minutes(2),
                                 .command = {"sh", "-c", "echo starting; sleep 600"}});
  std::optional<int> running = sb.poll();                  // nullopt while it runs
  std::optional<int> code = sb.terminate({.wait = true});  // 137: killed
  //! [lifecycle]
  EXPECT_EQ(running, std::nullopt);
  EXPECT_EQ(code, 137);
  EXPECT_EQ(sb.poll(), 137);  // wait and poll still answer after terminate()
  EXPECT_THROW(sb.exec({"true"}), ClientClosedError);
}

TEST_F(SandboxDocsTest, ExitCodes) {
  modal::Client& client = c();
  modal::App const& app = this->app();
  modal::Image image = this->image();

  //! [exit-codes]
  modal::Sandbox quick = client.sandboxes().create(app, image, {.command = {"sh", "-c", "exit 3"}});
  int exit_code = quick.wait();  // 3

  modal::Sandbox slow = client.sandboxes().create(
      app, image, {.timeout = std::chrono::seconds(1), .command = {"sleep", "60"}});
  int timed_out = slow.wait();  // 124: the lifetime timeout ended it
  //! [exit-codes]
  EXPECT_EQ(exit_code, 3);
  EXPECT_EQ(timed_out, 124);
}

TEST_F(SandboxDocsTest, Stdio) {
  modal::Client& client = c();
  modal::App const& app = this->app();
  modal::Image image = this->image();

  //! [stdio]
  modal::Sandbox sb = client.sandboxes().create(
      app, image, {.command = {"sh", "-c", "while read line; do echo \"got $line\"; done"}});
  modal::StreamWriter in = sb.stdin_stream();
  in.write("one\ntwo\n");
  in.close();  // EOF: the loop ends
  for (std::string const& line : sb.stdout_stream().lines()) {
    std::cout << line << "\n";  // "got one", "got two"
  }
  //! [stdio]
  EXPECT_EQ(sb.wait(), 0);
}

TEST_F(SandboxDocsTest, NamesTagsAndListing) {
  modal::Client& client = c();
  modal::App const& app = this->app();
  modal::Image image = this->image();

  //! [names-tags-list]
  modal::Sandbox sb = client.sandboxes().create(
      app, image, {.name = "build-worker-1", .tags = {{"team", "ci"}, {"job", "build"}}});

  // Elsewhere (another process, later): find it again.
  modal::Sandbox same = client.sandboxes().from_name(app.name, "build-worker-1");
  same.set_tags({{"team", "ci"}, {"job", "test"}});  // replaces all tags

  for (modal::Sandbox const& s :
       client.sandboxes().list({.app_id = app.app_id, .tags = {{"team", "ci"}}})) {
    std::cout << s.sandbox_id() << " " << s.get_tags().at("job") << "\n";
  }
  same.detach();  // this handle is done; the Sandbox keeps running
  //! [names-tags-list]
  EXPECT_EQ(same.sandbox_id(), sb.sandbox_id());
  EXPECT_EQ(sb.get_tags().at("job"), "test");
  sb.terminate();
}

TEST_F(SandboxDocsTest, ResourcesVolumesProxiesProbes) {
  modal::Client& client = c();
  modal::App const& app = this->app();
  modal::Image image = this->image();

  //! [resources]
  modal::Volume data = client.volumes().from_name("my-data", {.create_if_missing = true});
  modal::Proxy proxy = client.proxies().from_name("my-proxy");
  modal::Secret secret = client.secrets().from_map({{"API_KEY", "..."}});

  modal::SandboxCreateParams params;
  params.cpu = 2.0;
  params.memory_mib = 4096;
  params.gpu = "A100:2";
  params.workdir = "/";
  params.env = {{"MODE", "batch"}};
  params.secrets = {secret};
  params.volumes.emplace("/data", data);
  params.cloud_bucket_mounts.emplace(
      "/bucket", modal::CloudBucketMount::create("my-bucket", {.read_only = true}));
  params.proxy = proxy;
  params.readiness_probe = modal::Probe::tcp(8080);
  modal::Sandbox sb = client.sandboxes().create(app, image, params);
  //! [resources]
  EXPECT_EQ(sb.poll(), std::nullopt);
  sb.terminate();
}

TEST_F(SandboxDocsTest, ImageBuildFailures) {
  modal::Client& client = c();
  modal::App const& app = this->app();

  //! [image-errors]
  modal::Image image = client.images().from_registry("example/does-not-exist:1.0");
  try {
    image.build(app);  // or the first sandboxes().create with it
  } catch (modal::RemoteError const& e) {
    std::cerr << "build failed: " << e.server_message() << "\n";
  }
  //! [image-errors]
  EXPECT_EQ(image.image_id(), "");
}

}  // namespace
}  // namespace modal::testing
