// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
//
// Fuzzes the command line of `modal-emulator`: the input is the argument list after argv[0],
// NUL-separated as in /proc/PID/cmdline, given to parse_command_line() (which also parses
// --secret values). It reports errors as a Status and documents no exception, so nothing is
// caught: any exception, crash or sanitizer report is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "server/cli.h"

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls.
extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  std::vector<std::string> args;
  std::string const input(reinterpret_cast<char const*>(data), size);
  std::size_t start = 0;
  while (start < input.size()) {
    auto end = input.find('\0', start);
    if (end == std::string::npos) end = input.size();
    args.push_back(input.substr(start, end - start));
    start = end + 1;
  }
  auto const parsed = modal::emulator::parse_command_line(args);
  if (parsed.ok()) {
    if (parsed->options.port < 0 || parsed->options.port > 65535) std::abort();
  } else if (parsed.status().message().empty()) {
    std::abort();  // every rejection says why
  }
  return 0;
}
