// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Uses an installed modal-cpp: constructs a Client with explicit options (which does not
// connect) and prints what it sees. tests/packaging checks the output.
#include <exception>
#include <iostream>

#include <modal/client.h>
#include <modal/errors.h>
#include <modal/version.h>

int main() {
  try {
    modal::ClientOptions options;
    options.token_id = "ak-consumer";
    options.token_secret = "as-consumer";
    options.server_url = "http://127.0.0.1:9";
    options.environment = "consumer-env";
    modal::Client client(options);
    std::cout << "version=" << modal::version() << "\n"
              << "server_url=" << client.server_url() << "\n"
              << "environment=" << client.environment() << "\n"
              << "status=" << modal::to_string(modal::StatusCode::kNotFound) << "\n";
    client.close();
    return 0;
  } catch (modal::Error const& e) {
    std::cerr << "modal::Error: " << e.what() << "\n";
  } catch (std::exception const& e) {
    std::cerr << "exception: " << e.what() << "\n";
  }
  return 1;
}
