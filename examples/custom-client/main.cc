// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// A Client with credentials given in code instead of the environment or ~/.modal.toml.
// They come from CUSTOM_MODAL_ID / CUSTOM_MODAL_SECRET here; when those are unset it falls
// back to MODAL_TOKEN_ID / MODAL_TOKEN_SECRET (which scripts/with-emulator.sh sets), so
// that it runs as a test against the emulator.
//
//   scripts/run-example.sh custom-client
#include <cstdlib>
#include <iostream>
#include <string>

#include "modal/modal.h"

namespace {
std::string env_or(char const* name, char const* fallback) {
  if (char const* v = std::getenv(name); v && *v) return v;
  if (char const* v = std::getenv(fallback); v && *v) return v;
  return {};
}
}  // namespace

int main() try {
  std::string const id = env_or("CUSTOM_MODAL_ID", "MODAL_TOKEN_ID");
  if (id.empty()) {
    std::cerr << "CUSTOM_MODAL_ID environment variable not set\n";
    return EXIT_FAILURE;
  }
  std::string const secret = env_or("CUSTOM_MODAL_SECRET", "MODAL_TOKEN_SECRET");
  if (secret.empty()) {
    std::cerr << "CUSTOM_MODAL_SECRET environment variable not set\n";
    return EXIT_FAILURE;
  }

  //! [client]
  modal::Client client(modal::ClientOptions{.token_id = id, .token_secret = secret});
  modal::Function echo = client.functions().from_name("libmodal-test-support", "echo_string");
  std::cout << "Function: " << echo.function_id() << "\n";
  //! [client]
  return EXIT_SUCCESS;
} catch (modal::Error const& e) {
  std::cerr << "error: " << e.what() << "\n";
  return EXIT_FAILURE;
}
