// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_CONTROL_USER_FUNCTIONS_H
#define MODAL_EMULATOR_SRC_CONTROL_USER_FUNCTIONS_H

// Functions of the preload file backed by local programs (PreloadedFunction,
// modal/emulator.h; the contract is in docs/emulator.md): each input runs the program in a
// Sandbox of its own (SandboxRegistry), its CBOR payload on stdin, its stdout the CBOR
// result; a non-zero exit is GENERIC_STATUS_FAILURE with its stderr as the exception; a
// cancelled call terminates the Sandbox.

#include <string>

#include "modal/emulator.h"
#include "store/functions.h"

namespace modal::emulator {

class Core;

/// The definition of `spec`, deployed in `environment`.
FunctionDef user_function(Core& core, std::string const& environment, PreloadedFunction spec);

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_CONTROL_USER_FUNCTIONS_H
