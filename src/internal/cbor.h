// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_CBOR_H
#define MODAL_INTERNAL_CBOR_H

// CBOR (RFC 8949) for modal::Value: the payload format of Function inputs and outputs
// (DATA_FORMAT_CBOR), as Modal's Python side (cbor2) reads and writes it. Our own, not
// nlohmann-json's: that one drops tags 0 to 23 (bignums would read as bytes) and only
// knows text map keys; docs/values.md has the mapping and the reasons.

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "modal/value.h"

namespace modal::internal {

/// Limits of cbor_decode.
struct CborLimits {
  /// Deepest nesting of arrays and maps.
  int max_depth = 1000;
  /// Most values in the decoded tree.
  std::size_t max_values = 10'000'000;
};

/// The value as CBOR, as cbor2 writes it: None → null, bool, int (beyond CBOR's 64-bit
/// major types: tag 2/3 bignum), float (float64; NaN and infinities as float16), str →
/// text string, bytes → byte string, list and tuple → array, dict → map.
/// @throws InvalidError for what CBOR through this codec cannot carry (named in the
/// message), e.g. a str that is not valid UTF-8.
std::string cbor_encode(Value const& value);

/// A Function call's input payload: the CBOR array `[args, kwargs]`.
std::string cbor_encode_call(std::vector<Value> const& args,
                             std::map<std::string, Value> const& kwargs);

/// The value of a CBOR item (a set, tag 258, reads as a list). Never trusts the input:
/// truncation, trailing bytes, invalid UTF-8, items with no Value kind (datetimes,
/// undefined, other tags) and anything beyond `limits` are InvalidError.
Value cbor_decode(std::string_view data, CborLimits const& limits = {});

}  // namespace modal::internal

#endif  // MODAL_INTERNAL_CBOR_H
