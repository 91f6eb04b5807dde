// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// An image's USER against its /etc/passwd and /etc/group (emulator/src/runtime/user.h):
// the input is "USER\0PASSWD\0GROUP".
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "runtime/user.h"

extern "C" int LLVMFuzzerTestOneInput(uint8_t const* data, size_t size) {
  std::string_view const in(reinterpret_cast<char const*>(data), size);
  auto const a = in.find('\0');
  std::string_view const user = in.substr(0, a);
  std::string_view rest = a == std::string_view::npos ? std::string_view() : in.substr(a + 1);
  auto const b = rest.find('\0');
  std::string_view const passwd = rest.substr(0, b);
  std::string_view const group =
      b == std::string_view::npos ? std::string_view() : rest.substr(b + 1);
  auto ids = modal::emulator::runtime::resolve_user(user, passwd, group);
  if (ids.ok() && ids->uid == 0xffffffffu) __builtin_trap();  // never "unchanged"
  return 0;
}
