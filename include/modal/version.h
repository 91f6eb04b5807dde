// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_VERSION_H
#define MODAL_VERSION_H

#include <string>

#define MODAL_VERSION_MAJOR 0
#define MODAL_VERSION_MINOR 1
#define MODAL_VERSION_PATCH 0

namespace modal {

/// The SDK version, "MAJOR.MINOR.PATCH".
std::string version();

}  // namespace modal

#endif  // MODAL_VERSION_H
