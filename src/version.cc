// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "modal/version.h"

namespace modal {

std::string version() { return MODAL_VERSION_STRING; }

}  // namespace modal
