// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// The preload file (server/config_file.h): TOML through toml++, checked against the schema
// with every error located at the offending key or value.
#include "server/config_file.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <toml++/toml.h>

#include "internal/validation.h"

namespace modal::emulator {
namespace {

/// The parts' text, concatenated (std::string_view included, which absl::StrCat of this
/// abseil does not take).
template <typename... Parts>
std::string cat(Parts const&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}

/// A located schema error, turned into a Status by parse_config().
struct ConfigError {
  std::string message;
};

/// Keys of Secrets: ^[A-Za-z_][A-Za-z0-9_]*$, the SDK's own check.
using modal::internal::is_env_var_name;

/// The TOML type of a node, for messages.
std::string_view type_name(toml::node const& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

/// Queue items and their partitions accept at most this many nested arrays and tables.
constexpr int kMaxItemDepth = 100;

class Parser {
 public:
  Parser(std::string path, std::filesystem::path dir)
      : path_(std::move(path)), dir_(std::move(dir)) {}

  [[noreturn]] void fail(toml::source_region const& where, std::string_view what) const {
    throw ConfigError{cat(path_, ":", where.begin.line, ":", where.begin.column, ": ", what)};
  }

  void parse(toml::table const& root, EmulatorOptions& out) {
    for (auto const& [key, node] : root) {
      if (key.str() == "images") {
        parse_mapping(table(node, "images"), "image", out.images, /*directory=*/false);
      } else if (key.str() == "buckets") {
        parse_mapping(table(node, "buckets"), "bucket", out.buckets, /*directory=*/true);
      } else if (key.str() == "environments") {
        for (auto const& [env_key, env_node] : table(node, "environments")) {
          std::string const env_name(env_key.str());
          check_name(env_key, "environment");
          parse_environment(env_name, table(env_node, "environments." + env_name), out);
        }
      } else {
        unknown(key, "", "images, buckets, environments");
      }
    }
  }

 private:
  [[noreturn]] void unknown(toml::key const& key, std::string_view where,
                            std::string_view known) const {
    fail(key.source(), cat("unknown key '", key.str(), "'", where.empty() ? "" : cat(" in ", where),
                           " (expected one of: ", known, ")"));
  }

  void check_name(toml::key const& key, std::string_view kind) const {
    if (!is_preload_name(key.str())) {
      fail(key.source(), cat("invalid ", kind, " name '", key.str(),
                             "': names are 1 to 64 letters, digits, '-', '_' and '.'"));
    }
  }

  toml::table const& table(toml::node const& node, std::string_view what) const {
    if (auto const* t = node.as_table()) return *t;
    fail(node.source(), cat(what, ": expected a table, got ", type_name(node)));
  }

  toml::array const& array(toml::node const& node, std::string_view what) const {
    if (auto const* a = node.as_array()) return *a;
    fail(node.source(), cat(what, ": expected an array, got ", type_name(node)));
  }

  std::string string(toml::node const& node, std::string_view what) const {
    if (auto const* s = node.as_string()) return s->get();
    fail(node.source(), cat(what, ": expected a string, got ", type_name(node)));
  }

  /// `value` as an absolute path (relative ones start at the file's directory).
  std::string resolve(std::string const& value) const {
    std::filesystem::path p(value);
    if (p.is_relative()) p = dir_ / p;
    return std::filesystem::absolute(p).lexically_normal().string();
  }

  /// A path-valued string that must name an existing directory (or, when `directory` is
  /// false, anything that exists).
  std::string existing_path(toml::node const& node, std::string_view what, bool directory) const {
    std::string const value = string(node, what);
    if (value.empty()) fail(node.source(), cat(what, ": must not be empty"));
    std::string path = resolve(value);
    std::error_code ec;
    if (directory ? !std::filesystem::is_directory(path, ec) : !std::filesystem::exists(path, ec)) {
      fail(node.source(),
           cat(what, ": '", path, "' ", directory ? "is not a directory" : "does not exist"));
    }
    return path;
  }

  /// [images] and [buckets]: NAME = "path", replacing base's mapping of NAME.
  void parse_mapping(toml::table const& t, std::string_view kind,
                     std::map<std::string, std::string>& out, bool directory) const {
    for (auto const& [key, node] : t) {
      std::string const name(key.str());
      if (name.empty()) fail(key.source(), cat("empty ", kind, " name"));
      out[name] = existing_path(node, cat(kind, " '", name, "'"), directory);
    }
  }

  /// An array of object names (apps, proxies), each given once.
  std::vector<std::string> names(toml::node const& node, std::string const& what,
                                 std::string_view kind) const {
    std::vector<std::string> out;
    for (auto const& item : array(node, what)) {
      std::string name = string(item, what);
      if (!is_preload_name(name)) {
        fail(item.source(), cat("invalid ", kind, " name '", name,
                                "': names are 1 to 64 letters, digits, '-', '_' and '.'"));
      }
      if (std::find(out.begin(), out.end(), name) != out.end()) {
        fail(item.source(), cat(kind, " '", name, "' is given twice"));
      }
      out.push_back(std::move(name));
    }
    return out;
  }

  PreloadedEnvironment& environment(std::string const& name, EmulatorOptions& out) const {
    for (auto& env : out.environments) {
      if (env.name == name) return env;
    }
    out.environments.push_back(PreloadedEnvironment{.name = name});
    return out.environments.back();
  }

  void parse_environment(std::string const& name, toml::table const& t, EmulatorOptions& out) {
    PreloadedEnvironment& env = environment(name, out);
    bool const main = name == kMain;
    std::string const where = "environments." + name;
    for (auto const& [key, node] : t) {
      std::string const field = where + "." + std::string(key.str());
      if (key.str() == "apps") {
        for (auto& app : names(node, field, "App")) {
          if (std::find(env.apps.begin(), env.apps.end(), app) != env.apps.end()) {
            fail(node.source(), cat("App '", app, "' is already defined"));
          }
          env.apps.push_back(std::move(app));
        }
      } else if (key.str() == "proxies") {
        auto& proxies = main ? out.proxies : env.proxies;
        for (auto& proxy : names(node, field, "Proxy")) {
          if (std::find(proxies.begin(), proxies.end(), proxy) == proxies.end()) {
            proxies.push_back(std::move(proxy));
          }
        }
      } else if (key.str() == "secrets") {
        auto& secrets = main ? out.secrets : env.secrets;
        for (auto const& [secret_key, secret_node] : table(node, field)) {
          check_name(secret_key, "Secret");
          std::string const secret(secret_key.str());
          auto& values = secrets[secret];
          for (auto const& [k, v] : table(secret_node, cat(field, ".", secret))) {
            if (!is_env_var_name(k.str())) {
              fail(k.source(),
                   cat("Secret '", secret, "': invalid key '", k.str(),
                       "': keys are environment variable names, [A-Za-z_][A-Za-z0-9_]*"));
            }
            values[std::string(k.str())] = string(v, cat("Secret '", secret, "' key ", k.str()));
          }
        }
      } else if (key.str() == "volumes") {
        for (auto const& [vol_key, vol_node] : table(node, field)) {
          check_name(vol_key, "Volume");
          std::string const vol_name(vol_key.str());
          for (auto const& v : env.volumes) {
            if (v.name == vol_name) {
              fail(vol_key.source(), cat("Volume '", vol_name, "' is already defined"));
            }
          }
          PreloadedVolume vol{.name = vol_name};
          for (auto const& [k, v] : table(vol_node, cat(field, ".", vol_name))) {
            if (k.str() != "seed") unknown(k, "Volume '" + vol_name + "'", "seed");
            vol.seed_dir = existing_path(v, cat("Volume '", vol_name, "' seed"), true);
          }
          env.volumes.push_back(std::move(vol));
        }
      } else if (key.str() == "queues") {
        for (auto const& [q_key, q_node] : table(node, field)) {
          check_name(q_key, "Queue");
          std::string const q_name(q_key.str());
          for (auto const& q : env.queues) {
            if (q.name == q_name) {
              fail(q_key.source(), cat("Queue '", q_name, "' is already defined"));
            }
          }
          env.queues.push_back(parse_queue(q_name, table(q_node, cat(field, ".", q_name))));
        }
      } else if (key.str() == "functions") {
        for (auto const& [app_key, app_node] : table(node, field)) {
          check_name(app_key, "App");
          std::string const app(app_key.str());
          for (auto const& [fn_key, fn_node] : table(app_node, cat(field, ".", app))) {
            std::string const fn(fn_key.str());
            for (auto const& f : env.functions) {
              if (f.app == app && f.name == fn) {
                fail(fn_key.source(), cat("Function '", app, "/", fn, "' is already defined"));
              }
            }
            env.functions.push_back(
                parse_function(app, fn, fn_node, table(fn_node, cat(field, ".", app, ".", fn))));
          }
        }
      } else {
        unknown(key, "environment '" + name + "'",
                "apps, proxies, secrets, volumes, queues, functions");
      }
    }
  }

  PreloadedFunction parse_function(std::string const& app, std::string const& name,
                                   toml::node const& where, toml::table const& t) const {
    PreloadedFunction f{.app = app, .name = name};
    std::string const what = "Function '" + app + "/" + name + "'";
    if (name.empty() || name.find('.') != std::string::npos || name.size() > 64) {
      fail(where.source(), cat(what, ": names are 1 to 64 characters without '.'"));
    }
    for (auto const& [key, node] : t) {
      if (key.str() == "command") {
        for (auto const& item : array(node, what + " command")) {
          f.command.push_back(string(item, what + " command"));
        }
      } else if (key.str() == "env") {
        for (auto const& [k, v] : table(node, what + " env")) {
          if (!is_env_var_name(k.str())) {
            fail(k.source(), cat(what, ": invalid env key '", k.str(), "'"));
          }
          f.env[std::string(k.str())] = string(v, cat(what, " env ", k.str()));
        }
      } else if (key.str() == "secrets") {
        f.secrets = names(node, what + " secrets", "Secret");
      } else if (key.str() == "volumes") {
        for (auto const& [k, v] : table(node, what + " volumes")) {
          if (k.str().empty() || k.str().front() != '/' || k.str() == "/") {
            fail(k.source(), cat(what, ": a Volume's mount path must be absolute, not '/'"));
          }
          f.volumes[std::string(k.str())] = string(v, cat(what, " volume ", k.str()));
        }
      } else if (key.str() == "timeout") {
        auto const* secs = node.as_integer();
        if (secs == nullptr || secs->get() < 1) {
          fail(node.source(), cat(what, " timeout: expected a positive integer (seconds)"));
        }
        f.timeout = std::chrono::seconds(secs->get());
      } else if (key.str() == "image") {
        f.image = string(node, what + " image");
        if (f.image.empty()) fail(node.source(), cat(what, " image: expected a registry tag"));
      } else {
        unknown(key, what, "command, env, secrets, volumes, timeout, image");
      }
    }
    if (f.command.empty()) fail(where.source(), cat(what, ": 'command' is required and not empty"));
    return f;
  }

  PreloadedQueue parse_queue(std::string const& name, toml::table const& t) const {
    PreloadedQueue q{.name = name};
    std::string const what = "Queue '" + name + "'";
    for (auto const& [key, node] : t) {
      if (key.str() == "items") {
        q.partitions[""] = items(node, what + " items");
      } else if (key.str() == "partitions") {
        for (auto const& [p_key, p_node] : table(node, what + " partitions")) {
          if (p_key.str().empty() || p_key.str().size() > 64) {
            fail(p_key.source(),
                 cat(what, ": partition keys are 1 to 64 bytes, got ", p_key.str().size()));
          }
          q.partitions[std::string(p_key.str())] =
              items(p_node, cat(what, " partition '", p_key.str(), "'"));
        }
      } else {
        unknown(key, what, "items, partitions");
      }
    }
    return q;
  }

  std::vector<modal::Value> items(toml::node const& node, std::string const& what) const {
    std::vector<modal::Value> out;
    for (auto const& item : array(node, what)) out.push_back(value(item, what, 0));
    return out;
  }

  /// A TOML value as a modal::Value: strings, integers, floats, booleans, arrays (lists)
  /// and tables (dicts with str keys). Dates and times have no Value.
  modal::Value value(toml::node const& node, std::string const& what, int depth) const {
    if (depth > kMaxItemDepth) {
      fail(node.source(), cat(what, ": nested deeper than ", kMaxItemDepth, " levels"));
    }
    switch (node.type()) {
      case toml::node_type::string:
        return {node.as_string()->get()};
      case toml::node_type::integer:
        return {node.as_integer()->get()};
      case toml::node_type::floating_point:
        return {node.as_floating_point()->get()};
      case toml::node_type::boolean:
        return {node.as_boolean()->get()};
      case toml::node_type::array: {
        std::vector<modal::Value> list;
        for (auto const& item : *node.as_array()) list.push_back(value(item, what, depth + 1));
        return modal::Value::list(std::move(list));
      }
      case toml::node_type::table: {
        std::vector<std::pair<modal::Value, modal::Value>> entries;
        for (auto const& [k, v] : *node.as_table()) {
          entries.emplace_back(modal::Value(std::string(k.str())), value(v, what, depth + 1));
        }
        return modal::Value::dict(std::move(entries));
      }
      default:
        break;
    }
    fail(node.source(), cat(what, ": ", type_name(node),
                            " cannot be a Queue item (strings, integers, floats, "
                            "booleans, arrays and tables can)"));
  }

  static constexpr std::string_view kMain = "main";
  std::string path_;
  std::filesystem::path dir_;
};

}  // namespace

bool is_preload_name(std::string_view name) {
  // The SDK's rule for object names (which also refuses names shaped like App ids).
  return !name.empty() && modal::internal::is_object_name(name);
}

absl::StatusOr<EmulatorOptions> parse_config(std::string_view text, std::string const& path,
                                             EmulatorOptions base) {
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (toml::parse_error const& err) {
    return absl::InvalidArgumentError(cat(path, ":", err.source().begin.line, ":",
                                          err.source().begin.column, ": ", err.description()));
  }
  Parser parser(path, std::filesystem::path(path).parent_path());
  try {
    parser.parse(root, base);
  } catch (ConfigError const& err) {
    return absl::InvalidArgumentError(err.message);
  }
  return base;
}

EmulatorOptions load_config_file(std::string const& path, EmulatorOptions base) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw std::invalid_argument(path + ": is a directory, not a preload file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument(path + ": cannot read: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw std::invalid_argument(path + ": cannot read");
  auto parsed = parse_config(text.str(), path, std::move(base));
  if (!parsed.ok()) throw std::invalid_argument(std::string(parsed.status().message()));
  return *std::move(parsed);
}

}  // namespace modal::emulator
