// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
//
// Fuzzes the emulator's parser of Dockerfile commands (ImageGetOrCreate's
// image.dockerfile_commands, sent by any client): parse_dockerfile_instruction() on the
// input, then expand_variables() on every value it returns. Errors are a Status that says
// why; no exception is documented, so nothing is caught.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>

#include "control/dockerfile.h"

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls.
extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  std::string const input(reinterpret_cast<char const*>(data), size);
  auto parsed = modal::emulator::parse_dockerfile_instruction(input);
  if (!parsed.ok()) {
    if (parsed.status().message().empty()) std::abort();  // every rejection says why
    return 0;
  }
  std::map<std::string, std::string> vars = {{"HOME", "/root"}};
  for (auto const& [name, value] : parsed->pairs) {
    if (name.empty()) std::abort();
    vars[name] = modal::emulator::expand_variables(value, vars);
  }
  (void)modal::emulator::expand_variables(parsed->value, vars);
  if (parsed->kind == modal::emulator::DockerfileInstruction::Kind::kRun && parsed->argv.empty()) {
    std::abort();  // a RUN always has a command
  }
  return 0;
}
