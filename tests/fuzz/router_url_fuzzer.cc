// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
//
// Fuzzes router URL parsing (the URL TaskGetCommandRouterAccess returns): router_target() on
// the input. Its documented failure, modal::Error, is caught; anything else (another
// exception, a crash, a sanitizer report) is a finding. A result must be "host:port".
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "internal/router_client.h"
#include "modal/errors.h"

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls.
extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  std::string const url(reinterpret_cast<char const*>(data), size);
  try {
    std::string const target = modal::internal::router_target(url);
    auto const colon = target.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == target.size()) std::abort();
  } catch (modal::Error const&) {
    // A rejected URL: the documented outcome.
  }
  return 0;
}
