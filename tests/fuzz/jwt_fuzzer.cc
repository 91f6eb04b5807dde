// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
//
// Fuzzes JWT decoding: parse_jwt() on the input as a token. It documents no exception (a bad
// token is nullopt), so nothing is caught: any exception, crash or sanitizer report is a
// finding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "internal/jwt.h"

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls.
extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  std::string_view const token(reinterpret_cast<char const*>(data), size);
  auto claims = modal::internal::parse_jwt(token);
  if (claims && claims->expires_at) {
    // Use the value, so the conversion is not optimized away.
    volatile auto ticks = claims->expires_at->time_since_epoch().count();
    (void)ticks;
  }
  return 0;
}
