// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_TESTING_UTIL_SHELL_H
#define MODAL_TESTING_UTIL_SHELL_H

// For tests that check a codec against Python's own (pickle, cbor2): run a command, and
// pass bytes through it as hex.

#include <string>
#include <string_view>

namespace modal::testing_util {

/// The standard output of `sh -c command`. @throws std::runtime_error if it cannot start.
std::string run_command(std::string const& command);

/// Lower-case hex of `bytes`.
std::string to_hex(std::string_view bytes);

/// The bytes of hex text (pairs of digits; whitespace is not allowed).
/// @throws std::invalid_argument for anything else.
std::string from_hex(std::string_view hex);

}  // namespace modal::testing_util

#endif  // MODAL_TESTING_UTIL_SHELL_H
