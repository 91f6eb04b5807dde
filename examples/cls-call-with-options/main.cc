// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Overrides a deployed class's configuration at runtime: a Secret and input concurrency.
//
//   scripts/run-example.sh cls-call-with-options
#include <cstdlib>
#include <iostream>

#include "modal/modal.h"

int main() try {
  modal::Client client;

  //! [options]
  modal::Cls cls = client.cls().from_name("libmodal-test-support", "EchoClsParametrized");
  modal::Function method = cls.instance().method("echo_env_var");

  modal::Secret secret = client.secrets().from_map({{"SECRET_MESSAGE", "hello, Secret"}});
  modal::Function method_with_options = cls.with_options({.secrets = {secret}})
                                            .with_concurrency({.max_inputs = 1})
                                            .instance()
                                            .method("echo_env_var");

  // Without the Secret, the variable is unset.
  std::cout << method.remote({"SECRET_MESSAGE"}) << "\n";
  // With the overrides, the Secret is there.
  std::cout << method_with_options.remote({"SECRET_MESSAGE"}) << "\n";
  //! [options]
  return EXIT_SUCCESS;
} catch (modal::Error const& e) {
  std::cerr << "error: " << e.what() << "\n";
  return EXIT_FAILURE;
}
