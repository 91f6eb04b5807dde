// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_SERVER_IDS_H
#define MODAL_EMULATOR_SRC_SERVER_IDS_H

#include <string>
#include <string_view>

namespace modal::emulator {

/// Length of the random part of an object id (as in Modal's ids).
inline constexpr std::size_t kIdSuffixLength = 22;

/// A fresh random object id shaped like Modal's: `<prefix>-` followed by exactly 22
/// characters of [0-9A-Za-z], e.g. new_id("ap") -> "ap-1a2B3c...". Common prefixes: ap (App),
/// st (Secret), sb (Sandbox), en (Environment), im (Image), ta (task). Thread-safe.
std::string new_id(std::string_view prefix);

/// A fresh id shaped like Modal's V2 Sandbox ids: `<prefix>-` and a 26-character ULID in
/// Crockford's base32 (48-bit millisecond timestamp, 80 random bits), e.g.
/// "sb-01ARZ3NDEKTSV4RRFFQ69G5FAV". Clients tell V1 from V2 Sandboxes by the id's shape
/// alone: a V1 id is is_id(id, "sb"), anything else is V2. Thread-safe.
std::string new_ulid_id(std::string_view prefix);

/// Random [0-9A-Za-z] characters (thread-safe).
std::string random_alnum(std::size_t length);

/// True when `id` is `<prefix>-` followed by 22 characters of [0-9A-Za-z].
bool is_id(std::string_view id, std::string_view prefix);

/// Seconds since the Unix epoch (wall clock, fractional): creation and finish times.
double unix_now();

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_SERVER_IDS_H
