// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "control/dockerfile.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace modal::emulator {
namespace {

using Kind = DockerfileInstruction::Kind;

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

/// Joins continuation lines (a trailing backslash) and drops comment lines, as Docker's
/// parser does.
std::string logical_line(absl::string_view command) {
  std::string out;
  while (!command.empty()) {
    auto const nl = command.find('\n');
    absl::string_view line = command.substr(0, nl);
    command = nl == absl::string_view::npos ? absl::string_view() : command.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    absl::string_view const trimmed = absl::StripLeadingAsciiWhitespace(line);
    if (!out.empty() && absl::StartsWith(trimmed, "#")) continue;  // comment inside
    absl::string_view const body = absl::StripTrailingAsciiWhitespace(line);
    if (absl::EndsWith(body, "\\")) {
      absl::StrAppend(&out, body.substr(0, body.size() - 1));
      continue;
    }
    absl::StrAppend(&out, line);
    if (!command.empty()) out.push_back('\n');
  }
  return out;
}

absl::Status invalid(absl::string_view command, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("Dockerfile command '", command, "': ", why));
}

/// A JSON array of strings, or nullopt when `text` is not one (then it is shell form).
std::optional<std::vector<std::string>> exec_form(absl::string_view text) {
  if (!absl::StartsWith(text, "[")) return std::nullopt;
  auto parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_array()) return std::nullopt;
  std::vector<std::string> out;
  for (auto const& item : parsed) {
    if (!item.is_string()) return std::nullopt;
    out.push_back(item.get<std::string>());
  }
  return out;
}

/// One word of an ENV/ARG line: quotes and backslashes as a shell treats them.
absl::StatusOr<std::string> take_word(absl::string_view& rest) {
  std::string word;
  char quote = 0;
  size_t i = 0;
  for (; i < rest.size(); ++i) {
    char const c = rest[i];
    if (quote == 0 && std::isspace(static_cast<unsigned char>(c)) != 0) break;
    if (c == '\\' && quote != '\'' && i + 1 < rest.size()) {
      word.push_back(rest[++i]);
      continue;
    }
    if ((c == '"' || c == '\'') && (quote == 0 || quote == c)) {
      quote = quote == 0 ? c : '\0';
      continue;
    }
    word.push_back(c);
  }
  if (quote != 0) return absl::InvalidArgumentError("unterminated quote");
  rest = absl::StripLeadingAsciiWhitespace(rest.substr(i));
  return word;
}

absl::Status parse_pairs(absl::string_view command, absl::string_view args, bool arg,
                         DockerfileInstruction& out) {
  absl::string_view rest = args;
  bool const legacy = !arg && [&] {
    // `ENV NAME value with spaces`: the first word has no '='.
    auto const end = args.find_first_of(" \t");
    return args.substr(0, end).find('=') == absl::string_view::npos &&
           end != absl::string_view::npos;
  }();
  if (legacy) {
    auto const end = args.find_first_of(" \t");
    std::string name(args.substr(0, end));
    absl::string_view value = absl::StripAsciiWhitespace(args.substr(end));
    out.pairs.emplace_back(std::move(name), std::string(value));
  } else {
    while (!rest.empty()) {
      auto word = take_word(rest);
      if (!word.ok()) return invalid(command, word.status().message());
      auto const eq = word->find('=');
      if (eq == std::string::npos) {
        if (!arg) return invalid(command, absl::StrCat("'", *word, "' is not NAME=VALUE"));
        out.pairs.emplace_back(*word, "");
      } else {
        out.pairs.emplace_back(word->substr(0, eq), word->substr(eq + 1));
      }
    }
  }
  if (out.pairs.empty()) return invalid(command, "no variable given");
  for (auto const& [name, value] : out.pairs) {
    if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0])) != 0 ||
        !std::all_of(name.begin(), name.end(), is_name_char)) {
      return invalid(command, absl::StrCat("'", name, "' is not a variable name"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<DockerfileInstruction> parse_dockerfile_instruction(std::string_view command_in) {
  absl::string_view const command(command_in.data(), command_in.size());
  std::string const line = logical_line(command);
  absl::string_view text = absl::StripAsciiWhitespace(line);
  DockerfileInstruction out;
  if (text.empty() || absl::StartsWith(text, "#")) return out;
  auto const end = text.find_first_of(" \t\n");
  out.keyword = absl::AsciiStrToUpper(text.substr(0, end));
  absl::string_view const args = end == absl::string_view::npos
                                     ? absl::string_view()
                                     : absl::StripAsciiWhitespace(text.substr(end + 1));
  std::string const& kw = out.keyword;
  auto const needs_args = [&]() -> absl::Status {
    if (args.empty()) return invalid(command, absl::StrCat(kw, " needs an argument"));
    return absl::OkStatus();
  };
  if (kw == "FROM") {
    if (auto st = needs_args(); !st.ok()) return st;
    out.kind = Kind::kFrom;
    // FROM <image> [AS <name>]
    out.value = std::string(args.substr(0, args.find_first_of(" \t")));
    return out;
  }
  if (kw == "RUN" || kw == "CMD" || kw == "ENTRYPOINT" || kw == "SHELL") {
    if (auto st = needs_args(); !st.ok()) return st;
    out.kind = kw == "RUN"          ? Kind::kRun
               : kw == "CMD"        ? Kind::kCmd
               : kw == "ENTRYPOINT" ? Kind::kEntrypoint
                                    : Kind::kShell;
    if (out.kind == Kind::kRun && absl::StartsWith(args, "--")) {
      return invalid(command, "RUN options (--mount, --network, ...) are not supported");
    }
    if (auto argv = exec_form(args)) {
      if (argv->empty() && out.kind != Kind::kCmd && out.kind != Kind::kEntrypoint) {
        return invalid(command, "an empty command");
      }
      out.argv = *std::move(argv);
      return out;
    }
    if (out.kind == Kind::kShell) return invalid(command, "SHELL takes a JSON array of strings");
    out.shell_form = true;
    out.argv = {"", std::string(args)};
    return out;
  }
  if (kw == "ENV" || kw == "ARG") {
    if (auto st = needs_args(); !st.ok()) return st;
    out.kind = kw == "ENV" ? Kind::kEnv : Kind::kArg;
    if (auto st = parse_pairs(command, args, out.kind == Kind::kArg, out); !st.ok()) return st;
    return out;
  }
  if (kw == "WORKDIR" || kw == "USER") {
    if (auto st = needs_args(); !st.ok()) return st;
    out.kind = kw == "WORKDIR" ? Kind::kWorkdir : Kind::kUser;
    out.value = std::string(args);
    return out;
  }
  if (kw == "LABEL" || kw == "EXPOSE" || kw == "VOLUME" || kw == "STOPSIGNAL" ||
      kw == "HEALTHCHECK" || kw == "MAINTAINER") {
    out.kind = Kind::kNoop;
    return out;
  }
  if (kw == "COPY" || kw == "ADD") {
    if (absl::StartsWith(absl::AsciiStrToLower(args), "--from=")) {
      return invalid(command,
                     "COPY --from= (copying out of another image) is not supported by "
                     "modal-emulator");
    }
    return invalid(command, absl::StrCat(kw,
                                         " copies from a local build context, which Modal's "
                                         "dockerfile_commands (and modal-emulator) do not have"));
  }
  return invalid(command, absl::StrCat("unsupported instruction ", kw));
}

std::string expand_variables(std::string_view text,
                             std::map<std::string, std::string> const& vars) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    char const c = text[i];
    if (c == '\\' && i + 1 < text.size() && text[i + 1] == '$') {
      out.push_back('$');
      ++i;
      continue;
    }
    if (c != '$' || i + 1 >= text.size()) {
      out.push_back(c);
      continue;
    }
    std::string name;
    size_t j = i + 1;
    if (text[j] == '{') {
      auto const close = text.find('}', j);
      if (close == std::string_view::npos) {
        out.push_back(c);
        continue;
      }
      name = std::string(text.substr(j + 1, close - j - 1));
      j = close + 1;
    } else {
      while (j < text.size() && is_name_char(text[j])) name.push_back(text[j++]);
      if (name.empty()) {
        out.push_back(c);
        continue;
      }
    }
    if (auto it = vars.find(name); it != vars.end()) out += it->second;
    i = j - 1;
  }
  return out;
}

}  // namespace modal::emulator
