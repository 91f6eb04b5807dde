// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_UUID_H
#define MODAL_INTERNAL_UUID_H

#include <string>

namespace modal::internal {

/// A random (version 4) UUID in canonical 8-4-4-4-12 lower-case form. Thread-safe.
std::string uuid4();

}  // namespace modal::internal

#endif  // MODAL_INTERNAL_UUID_H
