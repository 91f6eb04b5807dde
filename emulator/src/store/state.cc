// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "store/state.h"

#include "server/ids.h"
#include "server/jwt.h"

namespace modal::emulator {

EnvironmentRecord& State::add_environment(std::string const& name) {
  EnvironmentRecord rec;
  rec.id = new_id("en");
  rec.name = name;
  rec.created_at = unix_now();
  return environments[name] = std::move(rec);
}

}  // namespace modal::emulator
