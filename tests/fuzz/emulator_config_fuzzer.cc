// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
//
// Fuzzes the emulator's preload file (`modal-emulator --config`, server/config_file.h): the
// input is the file's text, given to parse_config(). It reports errors as a Status whose
// message starts with the file's name and a location, and documents no exception, so
// nothing is caught: any exception, crash or sanitizer report is a finding. Paths in the
// input are resolved against a directory that does not exist, so nothing of the host's
// file system is named by a successful parse but "/" and what absolute paths name.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "server/config_file.h"

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls.
extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  std::string_view const text(reinterpret_cast<char const*>(data), size);
  std::string const path = "/nonexistent/modal-fuzz/fixtures.toml";
  auto const parsed = modal::emulator::parse_config(text, path);
  if (parsed.ok()) {
    for (auto const& env : parsed->environments) {
      if (!modal::emulator::is_preload_name(env.name)) std::abort();
      for (auto const& q : env.queues) {
        for (auto const& [key, items] : q.partitions) {
          if (key.size() > 64) std::abort();
          for (auto const& item : items) (void)item.repr();
        }
      }
    }
  } else if (parsed.status().message().rfind(path + ":", 0) != 0) {
    std::abort();  // every rejection is located in the file
  }
  return 0;
}
