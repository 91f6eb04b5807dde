// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// A user's GoogleTest test against an installed modal-cpp: the code under test runs a command
// in a Sandbox; the tests give it the Client of a private in-process emulator, inject a
// fault and read the call log. tests/packaging builds and runs it; docs/testing.md quotes it.
//! [example]
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include <modal/emulator.h>
#include <modal/modal.h>

// The code under test takes the Client it should use, so a test can pass the emulator's.
std::string greet(modal::Client const& client, std::string const& name) {
  modal::App app = client.apps().from_name("greeter", {.create_if_missing = true});
  modal::Image image = client.images().from_registry("alpine:3.21");
  modal::Sandbox sb = client.sandboxes().create(app, image);
  modal::ContainerProcess proc = sb.exec({"echo", "hello " + name});
  std::string out = proc.stdout_stream().read_all();
  int const exit_code = proc.wait();
  sb.terminate();
  if (exit_code != 0) throw std::runtime_error("echo failed");
  return out;
}

TEST(GreetTest, RunsEchoInASandbox) {
  modal::emulator::Emulator emu;  // serving at once, on a free loopback port
  EXPECT_EQ(greet(emu.client(), "world"), "hello world\n");
}

TEST(GreetTest, RetriesATransientFailure) {
  modal::emulator::Emulator emu;
  emu.inject_fault("AppGetOrCreate", {.count = 1, .code = 14});  // UNAVAILABLE, once
  EXPECT_EQ(greet(emu.client(), "again"), "hello again\n");

  auto calls = emu.received_calls("AppGetOrCreate");
  ASSERT_EQ(calls.size(), 2U);  // the failed call and its retry
  EXPECT_EQ(calls[0].code, 14);
  EXPECT_EQ(calls[1].code, 0);
  auto const attempt = calls[1].metadata.find("x-retry-attempt");
  ASSERT_NE(attempt, calls[1].metadata.end());
  EXPECT_EQ(attempt->second, "1");
}

TEST(SecretsTest, SeededSecretsAreFound) {
  modal::emulator::EmulatorOptions options;
  options.secrets["api-keys"] = {{"API_KEY", "test-key"}};
  modal::emulator::Emulator emu(options);
  modal::Client client = emu.client();

  modal::Secret secret = client.secrets().from_name("api-keys", {.required_keys = {"API_KEY"}});
  EXPECT_EQ(secret.secret_id().rfind("st-", 0), 0U);
  EXPECT_THROW(client.secrets().from_name("no-such-secret"), modal::NotFoundError);
}
//! [example]
