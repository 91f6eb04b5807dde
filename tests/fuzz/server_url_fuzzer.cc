// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
//
// Fuzzes the server URL parser (MODAL_SERVER_URL, `server_url` in ~/.modal.toml):
// parse_server_url() on the input. Its documented failure, ConfigError, is caught; anything
// else (another exception, a crash, a sanitizer report) is a finding. A parsed address must
// be a usable gRPC target.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "internal/config.h"
#include "modal/errors.h"

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls.
extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  std::string const url(reinterpret_cast<char const*>(data), size);
  try {
    auto const address = modal::internal::parse_server_url(url);
    // "host:port" with a non-empty host and a port.
    if (address.host.empty() || address.target.size() < address.host.size() + 2 ||
        address.target.back() == ':') {
      std::abort();
    }
  } catch (modal::ConfigError const&) {
    // A rejected URL: the documented outcome.
  }
  return 0;
}
