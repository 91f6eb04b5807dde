// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_RUNTIME_STATE_DIR_H
#define MODAL_EMULATOR_RUNTIME_STATE_DIR_H

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

/// What the runtime leaves on disk (its state directory, its cgroups) is named after its
/// owner, "<pid>.<start time>" of the emulator process, so that a later runtime can tell
/// a crashed emulator's leftovers from a live one's and remove them (internal).
namespace modal::emulator::runtime::internal {

/// This process: "<pid>.<start time in clock ticks after boot>".
std::string owner_tag();

/// Whether the process `tag` names still runs (false for malformed tags).
bool owner_alive(std::string_view tag);

/// The owner tag in a name "modal-emulator.<pid>.<start>[.<suffix>]", or "" if `name`
/// is not one.
std::string owner_of(std::string_view name);

/// A new directory <base>/modal-emulator.<owner_tag()>.XXXXXX (mode 0700).
absl::StatusOr<std::string> make_state_dir(std::string const& base);

/// Removes every <base>/modal-emulator.<owner>.* whose owner is gone (with everything
/// in it: overlay upper and work directories of sandboxes that died with it). Returns how
/// many were removed.
size_t remove_stale_state_dirs(std::string const& base);

}  // namespace modal::emulator::runtime::internal

#endif  // MODAL_EMULATOR_RUNTIME_STATE_DIR_H
