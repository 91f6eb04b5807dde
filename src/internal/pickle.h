// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_PICKLE_H
#define MODAL_INTERNAL_PICKLE_H

// Python's pickle format for modal::Value (docs/values.md has the type mapping).

#include <cstddef>
#include <string>
#include <string_view>

#include "modal/value.h"

namespace modal::internal {

/// Limits of pickle_encode / pickle_decode.
struct PickleLimits {
  /// Deepest nesting of containers (Python's own pickler stops near 1,000).
  int max_depth = 1000;
  /// Most values in the decoded tree, counting a shared value once per place it appears
  /// (bounds what repr(), == and re-encoding of the result may cost).
  std::size_t max_values = 10'000'000;
};

/// The value as a pickle of protocol 2 (the Go SDK's; every Python 3 reads it). Shared
/// containers are written once and referenced through the memo.
/// @throws InvalidError for a str that is not valid UTF-8 or nesting beyond the limit.
std::string pickle_encode(Value const& value, PickleLimits const& limits = {});

/// The value of a pickle of protocol 0 to 5 holding only the types Value has (sets and
/// frozensets read as lists). Never trusts the input: truncation, unknown or unsupported
/// opcodes, globals other than the few builtins Python uses for bytes and sets,
/// self-referencing containers and anything beyond `limits` are InvalidError.
Value pickle_decode(std::string_view data, PickleLimits const& limits = {});

}  // namespace modal::internal

#endif  // MODAL_INTERNAL_PICKLE_H
