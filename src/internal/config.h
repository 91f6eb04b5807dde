// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_CONFIG_H
#define MODAL_INTERNAL_CONFIG_H

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "modal/client.h"

namespace modal::internal {

inline constexpr char kDefaultServerUrl[] = "https://api.modal.com:443";

/// Looks up an environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(char const* name)>;

/// The process environment.
EnvLookup process_env();

/// One table of the config file. Unset keys are nullopt.
struct Profile {
  std::optional<std::string> server_url{};
  std::optional<std::string> token_id{};
  std::optional<std::string> token_secret{};
  std::optional<std::string> environment{};
  std::optional<std::string> image_builder_version{};
  std::optional<std::string> loglevel{};
  /// `sandbox_v2`: a boolean, or a string read as MODAL_SANDBOX_V2 is.
  std::optional<bool> sandbox_v2{};
  bool active = false;
};

/// The server URL split into transport and gRPC target.
struct ServerAddress {
  bool tls = true;
  /// "host:port" (port defaulted from the scheme when absent).
  std::string target{};
  /// The host alone, without brackets for IPv6.
  std::string host{};
};

/// Settings after applying options > environment > profile > defaults.
struct ResolvedConfig {
  std::string server_url{};
  ServerAddress server{};
  std::string token_id{};
  std::string token_secret{};
  std::string environment{};
  std::string image_builder_version{};
  LogLevel log_level = LogLevel::kWarn;
  std::optional<std::chrono::milliseconds> max_throttle_wait{};
  /// ClientOptions::sandbox_v2, resolved.
  bool sandbox_v2 = true;
  /// Path of the config file consulted (it may not exist).
  std::string config_path{};
  /// Name of the profile used; empty if none.
  std::string profile_name{};
  /// Problems worth a WARN once a logger exists (never containing secrets).
  std::vector<std::string> warnings{};
};

/// Resolves the configuration. @throws ConfigError naming the file (and line) or setting.
ResolvedConfig resolve_config(ClientOptions const& options, EnvLookup const& env);

/// Parses "http(s)://host[:port]". @throws ConfigError for any other scheme or no host.
ServerAddress parse_server_url(std::string const& url);

/// Parses DEBUG, INFO, WARN/WARNING, ERROR (any case). @throws ConfigError otherwise.
LogLevel parse_log_level(std::string const& text, std::string const& source);

/// True for localhost, 127.0.0.0/8 and ::1.
bool is_loopback_host(std::string const& host);

/// MODAL_SANDBOX_V2's reading (as npm modal's parseBooleanFlag): "", "0" and "false" in any
/// case are false, everything else true.
bool parse_boolean_flag(std::string const& text);

}  // namespace modal::internal

#endif  // MODAL_INTERNAL_CONFIG_H
