// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// modal-emulator: runs the emulator until SIGINT/SIGTERM. See `modal-emulator --help`.
#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "modal/emulator.h"
#include "server/cli.h"

int main(int argc, char** argv) {
  using modal::emulator::Emulator;
  std::vector<std::string> const args(argv + 1, argv + argc);
  auto cl = modal::emulator::parse_command_line(args);
  if (!cl.ok()) {
    std::fprintf(::stderr, "modal-emulator: %s\n\n%s", std::string(cl.status().message()).c_str(),
                 modal::emulator::usage().c_str());
    return 2;
  }
  if (!cl->help && !cl->config_file.empty()) {
    // The preload file first, the flags again on top of it (they take precedence).
    modal::emulator::EmulatorOptions base;
    try {
      base = modal::emulator::load_config_file(cl->config_file);
    } catch (std::invalid_argument const& e) {
      std::fprintf(::stderr, "%s\n", e.what());  // FILE:LINE:COL: what is wrong
      return 2;
    }
    cl = modal::emulator::parse_command_line(args, std::move(base));
    if (!cl.ok()) {
      std::fprintf(::stderr, "modal-emulator: %s\n", std::string(cl.status().message()).c_str());
      return 2;
    }
  }
  if (cl->help) {
    std::fputs(modal::emulator::usage().c_str(), ::stdout);
    return 0;
  }

  // Block the shutdown signals before any thread exists (gRPC's threads inherit the mask);
  // this thread then receives them synchronously with sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // A client vanishing mid-write must not kill the server.
  signal(SIGPIPE, SIG_IGN);

  std::unique_ptr<Emulator> emulator;
  try {
    emulator = std::make_unique<Emulator>(cl->options);
  } catch (std::exception const& e) {
    std::fprintf(::stderr, "modal-emulator: %s\n", e.what());
    return 1;
  }
  if (!cl->port_file.empty()) {
    if (auto st = modal::emulator::write_port_file(cl->port_file, emulator->port()); !st.ok()) {
      std::fprintf(::stderr, "modal-emulator: %s\n", std::string(st.message()).c_str());
      return 1;
    }
  }
  std::printf("modal-emulator listening on %s\n", emulator->address().c_str());
  std::fflush(::stdout);

  int sig = 0;
  while (sigwait(&signals, &sig) != 0) {
  }
  if (cl->options.verbose) {
    std::fprintf(::stderr, "[modal-emulator] received %s, shutting down\n",
                 sig == SIGINT ? "SIGINT" : "SIGTERM");
  }
  emulator->shutdown();
  emulator.reset();
  return 0;
}
