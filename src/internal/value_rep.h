// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_VALUE_REP_H
#define MODAL_INTERNAL_VALUE_REP_H

// The representation of modal::Value, shared by value.cc and the pickle codec.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "modal/value.h"

namespace modal {

/// What a Value points at. Immutable once a Value holds it, except while the pickle
/// decoder builds containers it has not handed out yet.
struct Value::Rep {
  Value::Kind kind = Value::Kind::kNull;
  bool b = false;
  /// An int that fits 64 bits (big == false).
  std::int64_t i = 0;
  /// An int beyond 64 bits: `text` holds its normalized decimal digits.
  bool big = false;
  double d = 0;
  /// str (UTF-8), bytes, or a big int's decimal text.
  std::string text;
  /// list and tuple items.
  std::vector<Value> items;
  /// dict entries, in order.
  std::vector<std::pair<Value, Value>> dict;
};

/// Access to a Value's representation (internal).
struct ValueAccess {
  static Value wrap(std::shared_ptr<Value::Rep const> rep) { return Value(std::move(rep)); }
  static Value::Rep const* rep(Value const& v) { return v.rep_.get(); }
};

namespace internal {

/// Normalizes decimal integer text ("-0012" → "-12", "-0" → "0").
/// @throws InvalidError if it is not [+-]?[0-9]+ or has more than Value::kMaxIntDigits digits.
std::string normalize_decimal(std::string_view text);
/// The int64 value of normalized decimal text, if it fits.
bool decimal_to_int64(std::string const& normalized, std::int64_t& out);
/// Normalized decimal text of a little-endian two's-complement integer (pickle LONG1/4).
std::string decimal_from_twos_complement(std::string_view le_bytes);
/// The shortest little-endian two's-complement encoding of normalized decimal text, as
/// Python's encode_long ("" for 0).
std::string twos_complement_from_decimal(std::string const& normalized);
/// Whether `s` is well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF): what
/// CBOR text strings and pickled str must be.
bool valid_utf8(std::string_view s);
/// An int Value from normalized decimal text (small when it fits 64 bits).
Value int_from_decimal(std::string normalized);

}  // namespace internal
}  // namespace modal

#endif  // MODAL_INTERNAL_VALUE_REP_H
