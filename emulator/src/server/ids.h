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

/// Random [0-9A-Za-z] characters (thread-safe).
std::string random_alnum(std::size_t length);

/// True when `id` is `<prefix>-` followed by 22 characters of [0-9A-Za-z].
bool is_id(std::string_view id, std::string_view prefix);

/// Seconds since the Unix epoch (wall clock, fractional): creation and finish times.
double unix_now();

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_SERVER_IDS_H
