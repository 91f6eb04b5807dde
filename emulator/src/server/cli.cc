// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "server/cli.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "internal/validation.h"

namespace modal::emulator {
namespace {

absl::Status bad(std::string const& msg) { return absl::InvalidArgumentError(msg); }

absl::StatusOr<std::int64_t> parse_int(std::string const& flag, std::string const& value,
                                       std::int64_t min, std::int64_t max) {
  std::int64_t n = 0;
  if (!absl::SimpleAtoi(value, &n) || n < min || n > max) {
    return bad(
        absl::StrCat(flag, ": expected an integer in [", min, ", ", max, "], got '", value, "'"));
  }
  return n;
}

/// Keys of Secrets: ^[A-Za-z_][A-Za-z0-9_]*$, the SDK's own check.
using modal::internal::is_env_var_name;

/// `\,` or `\\` at `s[i]`.
bool escape_at(std::string_view s, std::size_t i) {
  return s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == ',' || s[i + 1] == '\\');
}

/// Whether the comma at s[i] separates two pairs: another '=' follows before the next
/// (unescaped) comma. Otherwise the comma is part of a value.
bool separates_pairs(std::string_view s, std::size_t i) {
  for (std::size_t j = i + 1; j < s.size(); ++j) {
    if (escape_at(s, j)) {
      ++j;
    } else if (s[j] == ',') {
      return false;
    } else if (s[j] == '=') {
      return true;
    }
  }
  return false;
}

/// Splits the KEY=VALUE list of a --secret flag into its pairs, unescaping `\,` and `\\`.
std::vector<std::string> split_secret_pairs(std::string_view s) {
  std::vector<std::string> pairs(1);
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (escape_at(s, i)) {
      pairs.back().push_back(s[++i]);
    } else if (s[i] == ',' && separates_pairs(s, i)) {
      pairs.emplace_back();
    } else {
      pairs.back().push_back(s[i]);
    }
  }
  return pairs;
}

}  // namespace

std::string usage() {
  EmulatorOptions const d;
  return absl::StrCat(
      "Usage: modal-emulator [FLAGS]\n"
      "\n"
      "An offline server speaking Modal's gRPC protocol (modal.client.ModalClient and\n"
      "modal.task_command_router.TaskCommandRouter on one plaintext port). Point an SDK at it\n"
      "with MODAL_SERVER_URL=http://HOST:PORT and the token id/secret below.\n"
      "Once listening it prints one line, 'modal-emulator listening on HOST:PORT'.\n"
      "SIGINT or SIGTERM shuts it down cleanly (exit status 0).\n"
      "\n"
      "Flags (also accepted as --flag=value):\n"
      "  --config FILE                  preload file (TOML): environments, Secrets, Volumes\n"
      "                                 (seeded from directories), Queues with items,\n"
      "                                 Proxies, deployed Apps, --image and --bucket\n"
      "                                 mappings; see docs/emulator.md. Paths in it are\n"
      "                                 relative to its directory. Other flags apply on top:\n"
      "                                 --secret adds or replaces keys of its Secrets,\n"
      "                                 --image/--bucket replace its mapping of a tag/bucket.\n"
      "                                 A bad file: 'FILE:LINE:COL: what', exit status 2\n"
      "  --host HOST                    address to bind (default ",
      d.host, ")\n", "  --port PORT                    port to bind; 0 picks a free one (default ",
      d.port, ")\n",
      "  --port-file PATH               once listening, write the bound port to PATH\n"
      "                                 (atomically, via a temporary file and rename)\n"
      "  --token-id ID                  credential clients must send as x-modal-token-id\n"
      "                                 (default ",
      d.token_id, ")\n",
      "  --token-secret SECRET          credential clients must send as x-modal-token-secret\n"
      "                                 (default ",
      d.token_secret, ")\n",
      "  --auth-token-lifetime SECONDS  lifetime of AuthTokenGet JWTs (default ",
      d.auth_token_lifetime.count(), ", min 1)\n",
      "  --router-token-lifetime SECONDS\n"
      "                                 lifetime of command-router JWTs (default ",
      d.router_token_lifetime.count(), ", min 1)\n",
      "  --secret NAME:KEY=VALUE[,KEY=VALUE...]\n"
      "                                 create Secret NAME in environment 'main' at startup\n"
      "                                 (repeatable: a repeated NAME adds keys, the last value\n"
      "                                 of a KEY wins). KEY matches [A-Za-z_][A-Za-z0-9_]*.\n"
      "                                 A comma starts a new pair only if an '=' follows\n"
      "                                 before the next comma; other commas are part of the\n"
      "                                 value (--secret 'n:JSON={\"a\":1,\"b\":2}' is one key).\n"
      "                                 \\, is a literal comma, \\\\ a literal backslash: with\n"
      "                                 those two escapes any value can be given\n"
      "  --image TAG=PATH               run Sandboxes of registry tag TAG in the local image\n"
      "                                 at PATH (an OCI image layout directory, or a `docker\n"
      "                                 save` archive); repeatable\n"
      "  --bucket NAME=DIR              mount the local directory DIR where Sandboxes mount\n"
      "                                 cloud bucket NAME (repeatable); unmapped buckets\n"
      "                                 are accepted but not mounted\n"
      "  --state-dir DIR                keep the emulator's state (objects, Volume contents,\n"
      "                                 Queue items, images) in DIR, created when missing,\n"
      "                                 so that it survives a restart; every change is on\n"
      "                                 disk before its call returns\n"
      "  --proxy NAME                   create Proxy NAME in environment 'main' at startup\n"
      "                                 (repeatable; ProxyGet finds only these)\n"
      "  --unsafe-host-filesystem       where Sandboxes cannot be isolated (not root, no\n"
      "                                 overlayfs), run them on the host's file system\n"
      "                                 instead of refusing them\n"
      "  --fs-tools PATH                the modal-sandbox-fs-tools put at /__modal/.bin/ in\n"
      "                                 every Sandbox (default: the installed one, else the\n"
      "                                 build tree's)\n"
      "  --ephemeral-timeout SECONDS    delete ephemeral Queues and Volumes (contents and\n"
      "                                 all) once no heartbeat arrived for this long; clients\n"
      "                                 heartbeat every 300 s (default ",
      std::chrono::duration_cast<std::chrono::seconds>(d.ephemeral_timeout).count(), ", min 1)\n",
      "  --queue-max-partition-items N  items a Queue partition may hold; a put beyond it\n"
      "                                 fails with RESOURCE_EXHAUSTED (default ",
      d.queue_max_partition_items, ", Modal's limit; min 1)\n",
      "  --verbose                      log every call to stderr\n"
      "  --help                         show this help and exit\n");
}

absl::Status parse_secret_flag(std::string const& value,
                               std::map<std::string, std::map<std::string, std::string>>& secrets) {
  auto const colon = value.find(':');
  if (colon == std::string::npos || colon == 0) {
    return bad(absl::StrCat("--secret: expected NAME:KEY=VALUE[,KEY=VALUE...], got '", value, "'"));
  }
  std::string const name = value.substr(0, colon);
  std::string_view const rest = std::string_view(value).substr(colon + 1);
  // Check everything before adding anything: a bad flag leaves `secrets` unchanged.
  std::vector<std::string> pairs;
  if (!rest.empty()) pairs = split_secret_pairs(rest);
  std::vector<std::pair<std::string, std::string>> entries;
  for (auto const& pair : pairs) {
    auto const eq = pair.find('=');
    if (eq == std::string::npos) {
      return bad(absl::StrCat("--secret ", name, ": expected KEY=VALUE, got '", pair, "'"));
    }
    std::string key = pair.substr(0, eq);
    if (!is_env_var_name(key)) {
      return bad(
          absl::StrCat("--secret ", name, ": invalid key '", key,
                       "': keys must be environment variable names matching [A-Za-z_][A-Za-z0-9_]*",
                       pairs.size() > 1 ? " (a comma inside a value is written \\,)" : ""));
    }
    entries.emplace_back(std::move(key), pair.substr(eq + 1));
  }
  auto& env = secrets[name];  // a Secret with no keys when `rest` is empty
  for (auto& [key, val] : entries) env[key] = std::move(val);
  return absl::OkStatus();
}

absl::StatusOr<CommandLine> parse_command_line(std::vector<std::string> const& args,
                                               EmulatorOptions base) {
  CommandLine cl;
  cl.options = std::move(base);
  // Tags and buckets mapped by flags: a flag replaces the preload file's mapping, but one
  // given twice on the command line is an error.
  std::set<std::string> flag_images;
  std::set<std::string> flag_buckets;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i];
    std::optional<std::string> inline_value;
    if (auto const eq = flag.find('='); flag.rfind("--", 0) == 0 && eq != std::string::npos) {
      inline_value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    }
    auto const value = [&]() -> absl::StatusOr<std::string> {
      if (inline_value) return *inline_value;
      if (i + 1 >= args.size()) return bad(absl::StrCat(flag, ": missing value"));
      return args[++i];
    };
    auto const no_value = [&]() -> absl::Status {
      if (inline_value) return bad(absl::StrCat(flag, " takes no value"));
      return absl::OkStatus();
    };

    if (flag == "--help" || flag == "-h") {
      if (auto st = no_value(); !st.ok()) return st;
      cl.help = true;
    } else if (flag == "--verbose") {
      if (auto st = no_value(); !st.ok()) return st;
      cl.options.verbose = true;
    } else if (flag == "--unsafe-host-filesystem") {
      if (auto st = no_value(); !st.ok()) return st;
      cl.options.unsafe_host_filesystem = true;
    } else if (flag == "--fs-tools") {
      auto v = value();
      if (!v.ok()) return v.status();
      if (v->empty()) return bad("--fs-tools: must not be empty");
      cl.options.fs_tools_path = *v;
    } else if (flag == "--host") {
      auto v = value();
      if (!v.ok()) return v.status();
      if (v->empty()) return bad("--host: must not be empty");
      cl.options.host = *v;
    } else if (flag == "--port") {
      auto v = value();
      if (!v.ok()) return v.status();
      auto n = parse_int(flag, *v, 0, 65535);
      if (!n.ok()) return n.status();
      cl.options.port = static_cast<int>(*n);
    } else if (flag == "--port-file") {
      auto v = value();
      if (!v.ok()) return v.status();
      if (v->empty()) return bad("--port-file: must not be empty");
      cl.port_file = *v;
    } else if (flag == "--token-id") {
      auto v = value();
      if (!v.ok()) return v.status();
      cl.options.token_id = *v;
    } else if (flag == "--token-secret") {
      auto v = value();
      if (!v.ok()) return v.status();
      cl.options.token_secret = *v;
    } else if (flag == "--auth-token-lifetime" || flag == "--router-token-lifetime") {
      auto v = value();
      if (!v.ok()) return v.status();
      auto n = parse_int(flag, *v, 1, std::int64_t{10} * 365 * 24 * 3600);
      if (!n.ok()) return n.status();
      (flag == "--auth-token-lifetime" ? cl.options.auth_token_lifetime
                                       : cl.options.router_token_lifetime) =
          std::chrono::seconds(*n);
    } else if (flag == "--ephemeral-timeout") {
      auto v = value();
      if (!v.ok()) return v.status();
      auto n = parse_int(flag, *v, 1, std::int64_t{10} * 365 * 24 * 3600);
      if (!n.ok()) return n.status();
      cl.options.ephemeral_timeout = std::chrono::seconds(*n);
    } else if (flag == "--queue-max-partition-items") {
      auto v = value();
      if (!v.ok()) return v.status();
      auto n = parse_int(flag, *v, 1, std::numeric_limits<int>::max());
      if (!n.ok()) return n.status();
      cl.options.queue_max_partition_items = static_cast<int>(*n);
    } else if (flag == "--proxy") {
      auto v = value();
      if (!v.ok()) return v.status();
      if (v->empty()) return bad("--proxy: must not be empty");
      cl.options.proxies.push_back(*v);
    } else if (flag == "--image") {
      auto v = value();
      if (!v.ok()) return v.status();
      auto const eq = v->find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == v->size()) {
        return bad(absl::StrCat("--image: expected TAG=PATH, got '", *v, "'"));
      }
      std::string const tag = v->substr(0, eq);
      if (!flag_images.insert(tag).second) {
        return bad(absl::StrCat("--image: tag '", tag, "' is mapped twice"));
      }
      cl.options.images[tag] = v->substr(eq + 1);
    } else if (flag == "--state-dir") {
      auto v = value();
      if (!v.ok()) return v.status();
      if (v->empty()) return bad("--state-dir: must not be empty");
      cl.options.state_dir = *v;
    } else if (flag == "--bucket") {
      auto v = value();
      if (!v.ok()) return v.status();
      auto const eq = v->find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == v->size()) {
        return bad(absl::StrCat("--bucket: expected NAME=DIR, got '", *v, "'"));
      }
      std::string const name = v->substr(0, eq);
      if (!flag_buckets.insert(name).second) {
        return bad(absl::StrCat("--bucket: bucket '", name, "' is mapped twice"));
      }
      cl.options.buckets[name] = v->substr(eq + 1);
    } else if (flag == "--config") {
      auto v = value();
      if (!v.ok()) return v.status();
      if (v->empty()) return bad("--config: must not be empty");
      if (!cl.config_file.empty()) return bad("--config: given twice");
      cl.config_file = *v;
    } else if (flag == "--secret") {
      auto v = value();
      if (!v.ok()) return v.status();
      if (auto st = parse_secret_flag(*v, cl.options.secrets); !st.ok()) return st;
    } else {
      return bad(absl::StrCat("unknown flag '", args[i], "'"));
    }
  }
  return cl;
}

absl::Status write_port_file(std::string const& path, int port) {
  std::string const tmp = absl::StrCat(path, ".tmp.", ::getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << port << "\n";
    out.flush();
    if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", tmp));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    int const err = errno;
    std::remove(tmp.c_str());
    return absl::UnavailableError(
        absl::StrCat("cannot rename ", tmp, " to ", path, ": ", std::strerror(err)));
  }
  return absl::OkStatus();
}

}  // namespace modal::emulator
