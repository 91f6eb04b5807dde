// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Emulator::client(): an SDK Client pointed at the emulator. Kept apart from emulator.cc so
// that programs not calling it (the modal-emulator binary) do not pull in the SDK.
#include <chrono>
#include <string>
#include <utility>

#include "modal/emulator.h"

namespace modal::emulator {
namespace {

// "/dev/null" is not a directory, so this file can never exist: the Client reads no config
// file, and MODAL_PROFILE has no profile to select.
constexpr char kNoConfigFile[] = "/dev/null/modal-emulator-client.toml";

template <typename T, typename V>
void set_unless_given(std::optional<T>& field, V value) {
  if (!field.has_value()) field = std::move(value);
}

}  // namespace

modal::Client Emulator::client() const { return client(modal::ClientOptions{}); }

modal::Client Emulator::client(modal::ClientOptions extra) const {
  // Every setting the environment or a config file could supply is set here, so that
  // neither is read.
  set_unless_given(extra.server_url, server_url());
  set_unless_given(extra.token_id, options().token_id);
  set_unless_given(extra.token_secret, options().token_secret);
  set_unless_given(extra.environment, std::string());  // the server's default ("main")
  set_unless_given(extra.config_path, std::string(kNoConfigFile));
  set_unless_given(extra.profile, std::string());                // "" ignores MODAL_PROFILE
  set_unless_given(extra.image_builder_version, std::string());  // the environment's
  set_unless_given(extra.log_level, modal::LogLevel::kWarn);
  set_unless_given(extra.max_throttle_wait,
                   std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::hours(24)));
  return modal::Client(std::move(extra));
}

}  // namespace modal::emulator
