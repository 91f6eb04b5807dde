// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// A user's GoogleTest test against an installed modal-cpp: starts the emulator in process,
// runs a command in a Sandbox, and sees an injected fault retried. tests/packaging runs it.
#include <gtest/gtest.h>

#include <string>

#include <modal/emulator.h>
#include <modal/modal.h>

namespace {

std::string metadata(modal::emulator::ReceivedCall const& call, std::string const& key) {
  auto it = call.metadata.find(key);
  return it == call.metadata.end() ? std::string() : it->second;
}

TEST(EmulatorConsumerTest, ExecsInASandbox) {
  modal::emulator::Emulator emu;
  modal::Client client = emu.client();
  modal::App app = client.apps().from_name("consumer-app", {.create_if_missing = true});
  modal::Image image = client.images().from_registry("alpine:3.21");
  modal::Sandbox sb = client.sandboxes().create(app, image);

  modal::ContainerProcess proc = sb.exec({"echo", "hello"});
  EXPECT_EQ(proc.stdout_stream().read_all(), "hello\n");
  EXPECT_EQ(proc.wait(), 0);
  sb.terminate();
}

TEST(EmulatorConsumerTest, InjectedFaultIsRetried) {
  modal::emulator::Emulator emu;
  emu.inject_fault("AppGetOrCreate", {.count = 1, .code = 14, .message = "try again"});
  modal::Client client = emu.client();
  modal::App app = client.apps().from_name("consumer-app", {.create_if_missing = true});
  EXPECT_EQ(app.name, "consumer-app");

  auto calls = emu.received_calls("AppGetOrCreate");
  ASSERT_EQ(calls.size(), 2U);
  EXPECT_EQ(calls[0].code, 14);  // UNAVAILABLE
  EXPECT_EQ(calls[1].code, 0);
  EXPECT_EQ(metadata(calls[0], "x-retry-attempt"), "0");
  EXPECT_EQ(metadata(calls[1], "x-retry-attempt"), "1");
}

}  // namespace
