// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
//
// Fuzzes the CBOR decoder (Function outputs from Python). Bad input must be InvalidError,
// nothing else; what decodes must survive re-encoding: decode(encode(v)) prints as v.
// (repr, not ==, so that NaN compares equal to itself.) The value limit is lowered so
// that one input stays fast; the decoder's own limits are what is under test.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "internal/cbor.h"
#include "modal/errors.h"

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls.
extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  std::string_view const input(reinterpret_cast<char const*>(data), size);
  modal::internal::CborLimits limits;
  limits.max_values = 100'000;
  modal::Value value;
  try {
    value = modal::internal::cbor_decode(input, limits);
  } catch (modal::InvalidError const&) {
    return 0;
  }
  auto const again = modal::internal::cbor_decode(modal::internal::cbor_encode(value), limits);
  if (again.repr() != value.repr()) std::abort();
  return 0;
}
