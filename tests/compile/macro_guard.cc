// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Some C libraries define stdin/stdout/stderr (and Windows min/max) as macros. Defining
// them as something that cannot compile proves no public identifier uses these names.
// (Standard headers are included first: they legitimately use them, e.g. libstdc++'s
// <stop_token> calls time_point::max().)
#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <iostream>
#include <istream>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

// NOLINTBEGIN(readability-identifier-naming): the names are the point.
#undef stdin
#undef stdout
#undef stderr
#define stdin @modal_must_not_use_stdin @
#define stdout @modal_must_not_use_stdout @
#define stderr @modal_must_not_use_stderr @
#define min(a, b) @modal_must_not_use_min @
#define max(a, b) @modal_must_not_use_max @
// NOLINTEND(readability-identifier-naming)

#include "modal/modal.h"
