// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// modal-sandbox-fs-tools: the filesystem tool the emulator puts into every Sandbox at
// /__modal/.bin/ (fs_tools.h).
#include <csignal>

#include "fs_tools/fs_tools.h"

int main(int argc, char** argv) {
  // A reader that goes away (a stopped Watch) is an EPIPE from write(), not a signal.
  std::signal(SIGPIPE, SIG_IGN);
  return modal::fs_tools::main_entry(argc, argv, {});
}
