// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "server/cli.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace modal::emulator {
namespace {

absl::Status bad(std::string msg) { return absl::InvalidArgumentError(std::move(msg)); }

absl::StatusOr<std::int64_t> parse_int(std::string const& flag, std::string const& value,
                                       std::int64_t min, std::int64_t max) {
  std::int64_t n = 0;
  if (!absl::SimpleAtoi(value, &n) || n < min || n > max) {
    return bad(
        absl::StrCat(flag, ": expected an integer in [", min, ", ", max, "], got '", value, "'"));
  }
  return n;
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
      "                                 (repeatable; a repeated NAME adds keys)\n"
      "  --proxy NAME                   create Proxy NAME in environment 'main' at startup\n"
      "                                 (repeatable; ProxyGet finds only these)\n"
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
  std::string const rest = value.substr(colon + 1);
  auto& env = secrets[name];
  if (rest.empty()) return absl::OkStatus();  // a Secret with no keys
  for (absl::string_view pair : absl::StrSplit(rest, ',')) {
    auto const eq = pair.find('=');
    if (eq == absl::string_view::npos || eq == 0) {
      return bad(absl::StrCat("--secret ", name, ": expected KEY=VALUE, got '", pair, "'"));
    }
    env[std::string(pair.substr(0, eq))] = std::string(pair.substr(eq + 1));
  }
  return absl::OkStatus();
}

absl::StatusOr<CommandLine> parse_command_line(std::vector<std::string> const& args) {
  CommandLine cl;
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
    } else if (flag == "--proxy") {
      auto v = value();
      if (!v.ok()) return v.status();
      if (v->empty()) return bad("--proxy: must not be empty");
      cl.options.proxies.push_back(*v);
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
