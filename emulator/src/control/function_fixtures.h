// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_CONTROL_FUNCTION_FIXTURES_H
#define MODAL_EMULATOR_SRC_CONTROL_FUNCTION_FIXTURES_H

// The built-in App "libmodal-test-support" (deployed in every environment), as upstream's
// SDK tests deploy it (modal-client test-support/test_support.py), and "test-support-1-1",
// a Function deployed before CBOR (PICKLE inputs only). Bodies read CBOR [args, kwargs]
// and bind them as Python binds a call (missing, surplus and unexpected arguments are
// TypeErrors, answered as GENERIC_STATUS_FAILURE with the exception's repr):
//
//   echo_string(s: str) -> "output: " + s
//   identity_with_repr(s) -> (s, repr(s))
//   sleep(t: int | float) -> None after t seconds (stops when cancelled)
//   bytelength(buf: bytes) -> len(buf)
//   input_plane(s: str) -> "output: " + s, served through the input plane
//   EchoCls.echo_string(s), EchoClsInputPlane.echo_string(s) (input plane)
//   EchoClsParametrized(name: str = "test"): echo_parameter() -> "output: " + name,
//     echo_env_var(var_name) -> "output: VAR='value'" (or '[not set]')
//   web_endpoint_echo(s) -> "output: " + s, a web endpoint (GET web_url?s=...)
//   test-support-1-1/identity_with_repr: PICKLE only

#include <map>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "store/functions.h"

namespace modal::emulator {

class Core;

inline constexpr char kTestSupportApp[] = "libmodal-test-support";

/// Adds the fixtures to `store`.
absl::Status add_test_support_fixtures(FunctionStore& store);

/// A web endpoint's GET (BlobServer's /web/APP/FUNCTION): its result as JSON, or 404.
std::pair<int, std::string> serve_web_endpoint(Core& core, std::string const& app,
                                               std::string const& function,
                                               std::map<std::string, std::string> const& query);

/// Python's repr of an exception of type `type` with `message`: TypeError('...').
std::string python_exception(std::string_view type, std::string const& message);

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_CONTROL_FUNCTION_FIXTURES_H
