// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Images: lazy builds (ImageGetOrCreate + ImageJoinStreaming), build logs, failures.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

#include "sandbox_test_util.h"

namespace modal::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::StartsWith;

struct LineCollector {
  std::mutex mu;
  std::vector<std::string> lines{};
  BuildLogCallback callback() {
    return [this](std::string_view line) {
      std::lock_guard lock(mu);
      lines.emplace_back(line);
    };
  }
};

TEST_F(SandboxTest, ImagesAreBuiltLazilyOnceAndReused) {
  auto img = c().images().from_registry("alpine:3.21");
  EXPECT_EQ(img.tag(), "alpine:3.21");
  EXPECT_EQ(img.image_id(), "");
  EXPECT_TRUE(emu().received_calls("ImageGetOrCreate").empty());  // nothing sent yet
  auto sb = c().sandboxes().create(app(), img, {.command = {"true"}});
  EXPECT_THAT(img.image_id(), ::testing::MatchesRegex("im-[0-9A-Za-z]{22}"));
  EXPECT_EQ(emu().received_calls("ImageGetOrCreate").size(), 1u);
  EXPECT_GE(emu().received_calls("ImageJoinStreaming").size(), 1u);
  auto copy = img;  // NOLINT(performance-unnecessary-copy-initialization): a copy on purpose
  auto sb2 = c().sandboxes().create(app(), copy, {.command = {"true"}});
  EXPECT_EQ(emu().received_calls("ImageGetOrCreate").size(), 1u);
  EXPECT_EQ(img.build(app()), img.image_id());
  EXPECT_EQ(sb.wait(), 0);
  EXPECT_EQ(sb2.wait(), 0);
}

TEST_F(SandboxTest, BuildLogLinesReachTheCallbackAndTheLog) {
  LogCapture logs;
  auto o = fast_options();
  o.log_level = LogLevel::kInfo;
  o.log_sink = logs.sink();
  Client logged(o);
  LineCollector lines;
  auto img = logged.images().from_registry("python:3.13-slim", {.build_log = lines.callback()});
  auto const id = img.build(app());
  EXPECT_THAT(lines.lines, Contains("Building image " + id));
  EXPECT_THAT(lines.lines, Contains("=> Step 0: FROM python:3.13-slim"));
  EXPECT_THAT(lines.lines, Contains("Image saved, took 0.00s"));
  EXPECT_THAT(logs.joined(), HasSubstr("Building image " + id));
}

TEST_F(SandboxTest, AnIdenticalDefinitionIsCachedByTheServer) {
  auto const first = c().images().from_registry("debian:12").build(app());
  emu().clear_received_calls();
  LineCollector lines;
  auto const second =
      c().images().from_registry("debian:12", {.build_log = lines.callback()}).build(app());
  EXPECT_EQ(first, second);
  EXPECT_EQ(emu().received_calls("ImageGetOrCreate").size(), 1u);
  EXPECT_TRUE(emu().received_calls("ImageJoinStreaming").empty());
  EXPECT_TRUE(lines.lines.empty());
}

TEST_F(SandboxTest, BuildFailureIsARemoteErrorWithTheServersText) {
  LineCollector lines;
  auto img =
      c().images().from_registry("example/does-not-exist:1.0", {.build_log = lines.callback()});
  try {
    img.build(app());
    FAIL() << "expected RemoteError";
  } catch (RemoteError const& e) {
    EXPECT_THAT(e.what(), HasSubstr("failed"));
    EXPECT_THAT(e.what(), HasSubstr("manifest unknown"));
    EXPECT_THAT(e.server_message(), HasSubstr("Failed to pull image 'example/does-not-exist:1.0'"));
  }
  EXPECT_THAT(
      lines.lines,
      Contains("Error: manifest for example/does-not-exist:1.0 not found: manifest unknown"));
  EXPECT_EQ(img.image_id(), "");
  // Creating a Sandbox with it fails the same way, before SandboxCreate.
  EXPECT_THROW(c().sandboxes().create(app(), img), RemoteError);
  EXPECT_TRUE(emu().received_calls("SandboxCreate").empty());
  EXPECT_TRUE(emu().received_calls("SandboxCreateV2").empty());
  // Failures are not cached: every use tries again.
  EXPECT_EQ(emu().received_calls("ImageGetOrCreate").size(), 2u);
}

TEST_F(SandboxTest, RegistryCredentialsComeFromASecret) {
  auto good = c().secrets().from_map({{"REGISTRY_USERNAME", "u"}, {"REGISTRY_PASSWORD", "p"}});
  auto img = c().images().from_registry("registry.example.com/private:1", {.secret = good});
  EXPECT_THAT(img.build(app()), StartsWith("im-"));
  EXPECT_THAT(good.secret_id(), StartsWith("st-"));

  auto bad = c().secrets().from_map({{"USER", "u"}});
  auto failing = c().images().from_registry("registry.example.com/private:2", {.secret = bad});
  EXPECT_THAT([&] { failing.build(app()); },
              ::testing::ThrowsMessage<RemoteError>(HasSubstr("REGISTRY_USERNAME")));
}

TEST_F(SandboxTest, ConcurrentFirstUsesBuildOnce) {
  auto img = c().images().from_registry("alpine:3.20");
  std::vector<std::thread> threads;
  threads.reserve(4);
  std::vector<std::string> ids(4);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] { ids[static_cast<std::size_t>(i)] = img.build(app()); });
  }
  for (auto& t : threads) t.join();
  for (auto const& id : ids) EXPECT_EQ(id, ids[0]);
  EXPECT_EQ(emu().received_calls("ImageGetOrCreate").size(), 1u);
}

TEST_F(SandboxTest, ImageArgumentsAreChecked) {
  EXPECT_THROW(c().images().from_registry(""), InvalidError);
  EXPECT_THROW(c().images().from_registry("alpine").build(App{}), InvalidError);
}

TEST_F(SandboxTest, BuilderVersionComesFromTheEnvironmentUnlessConfigured) {
  c().images().from_registry("busybox:1").build(app());
  c().images().from_registry("busybox:1.1").build(app());
  // Looked up once per environment and cached by the client.
  EXPECT_EQ(emu().received_calls("EnvironmentGetOrCreate").size(), 1u);
  EXPECT_EQ(emu().received_calls("ImageGetOrCreate").size(), 2u);
  emu().clear_received_calls();
  auto o = fast_options();
  o.image_builder_version = "2025.06";
  Client configured(o);
  configured.images().from_registry("busybox:2").build(app());
  EXPECT_TRUE(emu().received_calls("EnvironmentGetOrCreate").empty());
  EXPECT_EQ(emu().received_calls("ImageGetOrCreate").size(), 1u);
}

class ImageStreamBreakTest : public SandboxTest {
 protected:
  emulator::EmulatorOptions emulator_options() override {
    emulator::EmulatorOptions o;
    o.stream_break_after = 1;
    return o;
  }
};

TEST_F(ImageStreamBreakTest, BuildLogResumesFromTheLastEntry) {
  LineCollector lines;
  auto img = c().images().from_registry("alpine:3.19", {.build_log = lines.callback()});
  auto const id = img.build(app());
  ASSERT_GE(lines.lines.size(), 4u);
  EXPECT_EQ(lines.lines.front(), "Building image " + id);
  EXPECT_EQ(lines.lines.back(), "Image saved, took 0.00s");
  std::set<std::string> const unique(lines.lines.begin(), lines.lines.end());
  EXPECT_EQ(unique.size(), lines.lines.size());  // nothing repeated
  EXPECT_GE(emu().received_calls("ImageJoinStreaming").size(), lines.lines.size());
}

}  // namespace
}  // namespace modal::testing
