// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
//
// Fuzzes the SDK's parsers of the filesystem tool's replies (src/internal/fs_tools_protocol.h),
// which come from inside a Sandbox: the error payload on stderr, ListFiles / Stat on stdout
// and watch-event lines. SandboxFilesystemError is their documented answer to a malformed
// reply; anything else escaping, a crash or a sanitizer report is a finding.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "internal/fs_tools_protocol.h"
#include "modal/errors.h"

namespace fst = modal::internal::fs_tools;

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls.
extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  std::string_view const text(reinterpret_cast<char const*>(data), size);
  (void)fst::parse_error_payload(text);
  (void)fst::parse_watch_line(text);
  try {
    (void)fst::parse_file_list(text, "/p");
  } catch (modal::SandboxFilesystemError const&) {
  }
  try {
    (void)fst::parse_file_info(text, "/p");
  } catch (modal::SandboxFilesystemError const&) {
  }
  try {
    fst::throw_tool_error(fst::Command::kWriteFile, "/p", 1, text);
  } catch (modal::Error const&) {
  }
  return 0;
}
