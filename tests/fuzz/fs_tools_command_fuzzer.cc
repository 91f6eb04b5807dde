// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
//
// Fuzzes the command parser of modal-sandbox-fs-tools (the JSON argument a Sandbox's
// filesystem tool receives from any SDK, i.e. outside input). parse_command() documents
// only UsageError; any other exception, crash or sanitizer report is a finding, and so is a
// parsed command that breaks its contract (an empty path, or one with a NUL byte).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fs_tools/command.h"

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls.
extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  std::string_view const input(reinterpret_cast<char const*>(data), size);
  try {
    modal::fs_tools::Command const cmd = modal::fs_tools::parse_command(input);
    if (cmd.path.empty() || cmd.path.find('\0') != std::string_view::npos) std::abort();
    if (modal::fs_tools::command_name(cmd.kind) == "?") std::abort();
  } catch (modal::fs_tools::UsageError const& e) {
    if (std::string_view(e.what()).empty()) std::abort();  // every rejection says why
  }
  return 0;
}
