// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_FS_TOOLS_COMMAND_H
#define MODAL_EMULATOR_SRC_FS_TOOLS_COMMAND_H

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace modal::fs_tools {

/// One command of `modal-sandbox-fs-tools`, as Modal's SDKs send it: the program's only
/// argument is a JSON object with exactly one key, the command's name, whose value holds
/// its arguments, e.g. `{"MakeDirectory":{"path":"/a/b","parents":true}}`.
struct Command {
  enum class Kind { kReadFile, kWriteFile, kListFiles, kMakeDirectory, kRemove, kStat, kWatch };
  Kind kind = Kind::kStat;
  /// The path the command acts on, as sent (the SDKs check it is absolute).
  std::string path{};
  /// MakeDirectory: create missing parents (absent: true).
  bool parents = true;
  /// Remove: a directory with its contents; Watch: all nested directories (absent: false).
  bool recursive = false;
  /// Watch: the raw event types to report (nullopt, or JSON null: all of them).
  std::optional<std::vector<std::string>> filter{};
  /// Watch: stop after this many seconds (nullopt, or JSON null: when stdin ends).
  std::optional<std::int64_t> timeout_secs{};
};

/// The command line was not a command: the message says why (printed as plain text).
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Parses the program's argument. @throws UsageError on anything but one well-formed
/// command: invalid JSON, not exactly one key, an unknown command, a missing or non-string
/// `path`, or an argument of the wrong JSON type. Unknown argument keys are ignored (the
/// SDKs only ever add fields).
Command parse_command(std::string_view json);

/// The command's name as it appears on the wire ("ReadFile", ...).
std::string_view command_name(Command::Kind kind);

}  // namespace modal::fs_tools

#endif  // MODAL_EMULATOR_SRC_FS_TOOLS_COMMAND_H
