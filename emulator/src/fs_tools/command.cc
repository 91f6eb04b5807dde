// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "fs_tools/command.h"

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <utility>

namespace modal::fs_tools {
namespace {

using Json = nlohmann::json;

constexpr int kMaxDepth = 8;

constexpr std::array<std::pair<std::string_view, Command::Kind>, 7> kCommands = {{
    {"ReadFile", Command::Kind::kReadFile},
    {"WriteFile", Command::Kind::kWriteFile},
    {"ListFiles", Command::Kind::kListFiles},
    {"MakeDirectory", Command::Kind::kMakeDirectory},
    {"Remove", Command::Kind::kRemove},
    {"Stat", Command::Kind::kStat},
    {"Watch", Command::Kind::kWatch},
}};

/// A boolean argument, or `fallback` when it is absent.
bool bool_arg(Json const& args, char const* key, bool fallback) {
  auto const it = args.find(key);
  if (it == args.end()) return fallback;
  if (!it->is_boolean()) throw UsageError(std::string("'") + key + "' must be a boolean");
  return it->get<bool>();
}

}  // namespace

std::string_view command_name(Command::Kind kind) {
  for (auto const& [name, k] : kCommands) {
    if (k == kind) return name;
  }
  return "?";
}

Command parse_command(std::string_view json) {
  // No command nests deeper than {"Watch":{"filter":["..."]}}: refuse deeper input early.
  auto const limit_depth = [](int depth, Json::parse_event_t /*event*/, Json& /*parsed*/) {
    if (depth > kMaxDepth) throw UsageError("the argument nests too deeply");
    return true;
  };
  Json doc = Json::parse(json.begin(), json.end(), limit_depth, /*allow_exceptions=*/false);
  if (doc.is_discarded()) throw UsageError("the argument is not valid JSON");
  if (!doc.is_object() || doc.size() != 1) {
    throw UsageError("the argument must be a JSON object with exactly one key, the command");
  }
  auto const entry = doc.cbegin();
  std::string const& name = entry.key();
  Json const& args = entry.value();
  Command cmd;
  bool known = false;
  for (auto const& [n, kind] : kCommands) {
    if (n == name) {
      cmd.kind = kind;
      known = true;
    }
  }
  if (!known) throw UsageError("unknown command: " + name);
  if (!args.is_object()) throw UsageError("the arguments of " + name + " must be a JSON object");
  auto const path = args.find("path");
  if (path == args.end() || !path->is_string()) {
    throw UsageError(name + " needs a string 'path'");
  }
  cmd.path = path->get<std::string>();
  if (cmd.path.empty()) throw UsageError(name + ": 'path' is empty");
  if (cmd.path.find('\0') != std::string::npos) throw UsageError(name + ": 'path' contains NUL");
  cmd.parents = bool_arg(args, "parents", true);
  cmd.recursive = bool_arg(args, "recursive", false);
  if (auto const it = args.find("filter"); it != args.end() && !it->is_null()) {
    if (!it->is_array()) throw UsageError("'filter' must be null or an array of strings");
    std::vector<std::string> filter;
    for (auto const& e : *it) {
      if (!e.is_string()) throw UsageError("'filter' must be null or an array of strings");
      filter.push_back(e.get<std::string>());
    }
    cmd.filter = std::move(filter);
  }
  if (auto const it = args.find("timeout_secs"); it != args.end() && !it->is_null()) {
    if (!it->is_number_integer() ||
        (it->is_number_unsigned() && it->get<std::uint64_t>() > std::uint64_t{INT64_MAX})) {
      throw UsageError("'timeout_secs' must be null or a 64-bit integer");
    }
    cmd.timeout_secs = it->get<std::int64_t>();
  }
  return cmd;
}

}  // namespace modal::fs_tools
