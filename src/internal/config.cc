// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "internal/config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "modal/errors.h"

namespace modal::internal {
namespace {

std::optional<std::string> non_empty(std::optional<std::string> v) {
  if (v && v->empty()) return std::nullopt;
  return v;
}

// First set value wins; options take `std::optional`, env and profile likewise.
template <typename... T>
std::optional<std::string> first_of(T const&... values) {
  std::optional<std::string> out;
  ((out = out ? out : values), ...);
  return out;
}

std::string default_config_path(EnvLookup const& env) {
  auto home = non_empty(env("HOME"));
  return (home ? *home : std::string(".")) + "/.modal.toml";
}

Profile read_profile(toml::table const& table, std::string const& path, std::string const& name) {
  Profile p;
  auto get = [&](char const* key) -> std::optional<std::string> {
    auto node = table.get(key);
    if (node == nullptr) return std::nullopt;
    if (auto s = node->value<std::string>()) return *s;
    auto const& src = node->source();
    throw ConfigError("invalid config file " + path + " line " + std::to_string(src.begin.line) +
                      ": key '" + key + "' of profile '" + name + "' must be a string");
  };
  p.server_url = get("server_url");
  p.token_id = get("token_id");
  p.token_secret = get("token_secret");
  p.environment = get("environment");
  p.image_builder_version = get("image_builder_version");
  p.loglevel = get("loglevel");
  if (auto node = table.get("sandbox_v2")) {
    if (auto const* b = node->as_boolean()) {
      p.sandbox_v2 = b->get();
    } else if (auto const* text = node->as_string()) {
      p.sandbox_v2 = parse_boolean_flag(text->get());
    } else {
      throw ConfigError(
          "invalid config file " + path + " line " + std::to_string(node->source().begin.line) +
          ": key 'sandbox_v2' of profile '" + name + "' must be a boolean or a string");
    }
  }
  if (auto node = table.get("active")) {
    if (auto b = node->value<bool>()) {
      p.active = *b;
    } else {
      throw ConfigError("invalid config file " + path + " line " +
                        std::to_string(node->source().begin.line) + ": key 'active' of profile '" +
                        name + "' must be a boolean");
    }
  }
  return p;
}

// Reads the file; a missing file is no config (nullopt). A character device (such as
// /dev/null, which people use to ignore ~/.modal.toml) is an empty one, and is not read.
std::optional<toml::table> read_config_file(std::string const& path) {
  std::error_code ec;
  auto const status = std::filesystem::status(path, ec);
  if (ec || status.type() == std::filesystem::file_type::not_found) return std::nullopt;
  if (status.type() == std::filesystem::file_type::character) return toml::table{};
  if (status.type() != std::filesystem::file_type::regular) {
    throw ConfigError("cannot read config file " + path +
                      ": not a regular file (an empty file or /dev/null means no profiles)");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ConfigError("cannot read config file " + path + ": " + std::strerror(errno));
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  try {
    return toml::parse(buffer.str(), path);
  } catch (toml::parse_error const& err) {
    throw ConfigError("invalid config file " + path + " line " +
                      std::to_string(err.source().begin.line) + ": " +
                      std::string(err.description()));
  }
}

}  // namespace

EnvLookup process_env() {
  return [](char const* name) -> std::optional<std::string> {
    if (char const* v = std::getenv(name)) return std::string(v);
    return std::nullopt;
  };
}

bool is_loopback_host(std::string const& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

ServerAddress parse_server_url(std::string const& url) {
  ServerAddress out;
  std::string rest;
  std::string default_port;
  if (url.rfind("https://", 0) == 0) {
    out.tls = true;
    rest = url.substr(8);
    default_port = "443";
  } else if (url.rfind("http://", 0) == 0) {
    out.tls = false;
    rest = url.substr(7);
    default_port = "80";
  } else {
    throw ConfigError("invalid server URL '" + url +
                      "': it must start with https:// (TLS) or http:// (plaintext)");
  }
  if (auto slash = rest.find('/'); slash != std::string::npos) {
    if (rest.find_first_not_of('/', slash) != std::string::npos) {
      throw ConfigError("invalid server URL '" + url + "': it must not contain a path");
    }
    rest.resize(slash);
  }
  if (rest.empty()) throw ConfigError("invalid server URL '" + url + "': no host");
  std::string host = rest;
  std::string port;
  if (rest.front() == '[') {  // [v6]:port
    auto close = rest.find(']');
    if (close == std::string::npos) throw ConfigError("invalid server URL '" + url + "'");
    host = rest.substr(1, close - 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') throw ConfigError("invalid server URL '" + url + "'");
      port = rest.substr(close + 2);
    }
  } else if (auto colon = rest.rfind(':'); colon != std::string::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.empty()) throw ConfigError("invalid server URL '" + url + "': no host");
  if (!port.empty() && (port.size() > 5 || !std::all_of(port.begin(), port.end(), ::isdigit) ||
                        std::stoi(port) == 0 || std::stoi(port) > 65535)) {
    throw ConfigError("invalid server URL '" + url + "': bad port '" + port + "'");
  }
  if (port.empty()) port = default_port;
  out.host = host;
  out.target = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + port;
  return out;
}

LogLevel parse_log_level(std::string const& text, std::string const& source) {
  std::string upper = text;
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (upper == "DEBUG") return LogLevel::kDebug;
  if (upper == "INFO") return LogLevel::kInfo;
  if (upper == "WARN" || upper == "WARNING") return LogLevel::kWarn;
  if (upper == "ERROR") return LogLevel::kError;
  throw ConfigError("invalid log level '" + text + "' in " + source +
                    ": use DEBUG, INFO, WARN or ERROR");
}

ResolvedConfig resolve_config(ClientOptions const& options, EnvLookup const& env) {
  ResolvedConfig cfg;
  cfg.config_path = options.config_path
                        ? *options.config_path
                        : non_empty(env("MODAL_CONFIG_PATH")).value_or(default_config_path(env));

  Profile profile;
  auto const file = read_config_file(cfg.config_path);
  // ClientOptions::profile = "" asks for no profile, whatever MODAL_PROFILE says.
  std::optional<std::string> wanted =
      options.profile ? non_empty(*options.profile) : non_empty(env("MODAL_PROFILE"));
  if (wanted && !file) {
    throw ConfigError("profile '" + *wanted + "' not found: config file " + cfg.config_path +
                      " does not exist");
  }
  if (file) {
    if (wanted) {
      auto node = file->get(*wanted);
      if (node == nullptr || !node->is_table()) {
        throw ConfigError("profile '" + *wanted + "' not found in config file " + cfg.config_path);
      }
      profile = read_profile(*node->as_table(), cfg.config_path, *wanted);
      cfg.profile_name = *wanted;
    } else {
      // toml++ keeps keys ordered, so "first active" is deterministic (alphabetical).
      for (auto const& [key, node] : *file) {
        if (!node.is_table()) continue;
        auto p = read_profile(*node.as_table(), cfg.config_path, std::string(key.str()));
        if (!p.active) continue;
        if (!cfg.profile_name.empty()) {
          cfg.warnings.push_back("several profiles in " + cfg.config_path + " are active; using '" +
                                 cfg.profile_name + "'");
          break;
        }
        profile = std::move(p);
        cfg.profile_name = std::string(key.str());
      }
    }
  }

  cfg.server_url =
      first_of(options.server_url, non_empty(env("MODAL_SERVER_URL")), profile.server_url)
          .value_or(kDefaultServerUrl);
  cfg.server = parse_server_url(cfg.server_url);
  cfg.token_id =
      first_of(options.token_id, non_empty(env("MODAL_TOKEN_ID")), profile.token_id).value_or("");
  cfg.token_secret =
      first_of(options.token_secret, non_empty(env("MODAL_TOKEN_SECRET")), profile.token_secret)
          .value_or("");
  cfg.environment =
      first_of(options.environment, non_empty(env("MODAL_ENVIRONMENT")), profile.environment)
          .value_or("");
  cfg.image_builder_version =
      first_of(options.image_builder_version, non_empty(env("MODAL_IMAGE_BUILDER_VERSION")),
               profile.image_builder_version)
          .value_or("");
  if (options.log_level) {
    cfg.log_level = *options.log_level;
  } else if (auto v = non_empty(env("MODAL_LOGLEVEL"))) {
    cfg.log_level = parse_log_level(*v, "MODAL_LOGLEVEL");
  } else if (profile.loglevel && !profile.loglevel->empty()) {
    cfg.log_level = parse_log_level(*profile.loglevel, "config file " + cfg.config_path);
  }
  if (options.max_throttle_wait) {
    if (options.max_throttle_wait->count() < 0) {
      throw ConfigError("max_throttle_wait must not be negative");
    }
    cfg.max_throttle_wait = options.max_throttle_wait;
  } else if (auto v = non_empty(env("MODAL_MAX_THROTTLE_WAIT"))) {
    bool const digits = v->size() <= 9 && std::all_of(v->begin(), v->end(), ::isdigit);
    if (digits) {
      cfg.max_throttle_wait = std::chrono::seconds(std::stol(*v));
    } else {
      cfg.warnings.push_back("ignoring MODAL_MAX_THROTTLE_WAIT='" + *v +
                             "': expected a non-negative whole number of seconds");
    }
  }
  if (options.sandbox_v2) {
    cfg.sandbox_v2 = *options.sandbox_v2;
  } else if (auto v = env("MODAL_SANDBOX_V2"); v && !v->empty()) {
    cfg.sandbox_v2 = parse_boolean_flag(*v);
  } else if (profile.sandbox_v2) {
    cfg.sandbox_v2 = *profile.sandbox_v2;
  }
  return cfg;
}

bool parse_boolean_flag(std::string const& text) {
  std::string lower = text;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return !(lower.empty() || lower == "0" || lower == "false");
}

}  // namespace modal::internal
