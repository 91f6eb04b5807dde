// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_SERVER_CLI_H
#define MODAL_EMULATOR_SRC_SERVER_CLI_H

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "modal/emulator.h"

namespace modal::emulator {

/// The parsed command line of `modal-emulator`.
struct CommandLine {
  EmulatorOptions options{};
  /// --port-file: where to write the bound port once listening ("" = don't).
  std::string port_file{};
  /// --help was given.
  bool help = false;
  /// --config: the preload file (load_config_file()), "" = none. parse_command_line()
  /// only records it; the caller loads it and parses the flags again on top of it.
  std::string config_file{};
};

/// Parses the arguments after argv[0] on top of `base` (the preload file's options).
/// Accepts `--flag value` and `--flag=value`. Flags take precedence over `base`: scalar
/// flags replace its values, --secret adds keys to (and replaces same-named keys of) its
/// Secrets of environment "main", --image and --bucket replace its mapping of the same tag
/// or bucket, --proxy adds Proxies. INVALID_ARGUMENT (with a one-line message) on unknown
/// flags or bad values.
absl::StatusOr<CommandLine> parse_command_line(std::vector<std::string> const& args,
                                               EmulatorOptions base = {});

/// Parses one `--secret` value, `NAME:KEY=VALUE[,KEY=VALUE...]`, into `secrets` (adding
/// to the keys NAME already has; the last value of a key wins). A comma separates two
/// pairs only if an '=' follows before the next comma, so `n:JSON={"a":1,"b":2}` is one
/// key; `\,` is a literal comma and `\\` a literal backslash (any other backslash is
/// kept as is). Keys must match ^[A-Za-z_][A-Za-z0-9_]*$ (as the SDK checks them).
/// INVALID_ARGUMENT, with `secrets` unchanged, on a malformed value.
absl::Status parse_secret_flag(std::string const& value,
                               std::map<std::string, std::map<std::string, std::string>>& secrets);

/// The --help text.
std::string usage();

/// Writes `port` followed by a newline to `path` atomically (temp file + rename).
absl::Status write_port_file(std::string const& path, int port);

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_SERVER_CLI_H
