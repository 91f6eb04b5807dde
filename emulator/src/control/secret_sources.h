// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_CONTROL_SECRET_SOURCES_H
#define MODAL_EMULATOR_SRC_CONTROL_SECRET_SOURCES_H

#include <map>
#include <string>

#include "absl/status/status.h"
#include "modal_proto/api.pb.h"

namespace modal::emulator {

class Core;

/// Applies `secret_sources` (what npm `modal` 0.11.x sends for exec, sidecar and V2 Sandbox
/// environments; proto/README.md) onto `env`, in order, later entries winning: a
/// `secret_id` contributes that Secret's variables, an `env` map its contents. A source
/// with neither is INVALID_ARGUMENT; an unknown Secret is NOT_FOUND. Every caller applies
/// the older fields (`secret_ids`, then `env`) first, so a client that sends only one form
/// gets the same environment either way.
absl::Status apply_secret_sources(
    Core& core, google::protobuf::RepeatedPtrField<modal::client::SecretSource> const& sources,
    std::map<std::string, std::string>& env);

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_CONTROL_SECRET_SOURCES_H
