// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_FS_TOOLS_PROTOCOL_H
#define MODAL_INTERNAL_FS_TOOLS_PROTOCOL_H

// The protocol of Modal's filesystem tool, `/__modal/.bin/modal-sandbox-fs-tools '<json>'`,
// as Modal's SDKs speak it: the JSON commands, the FileInfo and watch-event replies on
// stdout and the JSON error payload on stderr (docs/filesystem.md, "The protocol").
// Pure functions: no I/O, no RPCs. Every parser takes outside input and never crashes on
// it (tests/fuzz/fs_tools_reply_fuzzer.cc).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "modal/sandbox_filesystem.h"

namespace modal::internal::fs_tools {

inline constexpr char kToolPath[] = "/__modal/.bin/modal-sandbox-fs-tools";

/// The tool's commands. Each maps the tool's error kinds onto exceptions differently.
enum class Command { kReadFile, kWriteFile, kListFiles, kMakeDirectory, kRemove, kStat, kWatch };

std::string read_file_command(std::string_view path);
std::string write_file_command(std::string_view path);
std::string list_files_command(std::string_view path);
std::string make_directory_command(std::string_view path, bool parents);
std::string remove_command(std::string_view path, bool recursive);
std::string stat_command(std::string_view path);
/// `filter` as the SDKs send it: Modify also asks for Rename, RenameFrom and RenameTo.
/// The timeout is sent in whole seconds, rounded down.
std::string watch_command(std::string_view path, SandboxFilesystemWatchParams const& params);

/// The tool's structured failure on stderr: `{"error_kind", "message"[, "detail"]}`.
struct ErrorPayload {
  std::string kind{};
  std::string message{};
  std::string detail{};
};
/// The payload if `stderr_text` (whitespace-trimmed) is exactly one JSON object with a
/// string `error_kind`, a non-blank string `message` and, if present, a string `detail`;
/// nullopt for anything else.
std::optional<ErrorPayload> parse_error_payload(std::string_view stderr_text);

/// Throws the exception for a tool exit `exit_code` != 0 with `stderr_text`, as upstream
/// maps it for `command`: a SandboxFilesystem*Error "<message>: <path>", InvalidError for
/// NotSupported, SandboxFilesystemError(<message>) for a kind the command does not map,
/// and SandboxFilesystemError("Operation on '<path>' failed with exit code N") when stderr
/// is no payload.
[[noreturn]] void throw_tool_error(Command command, std::string const& path, int exit_code,
                                   std::string_view stderr_text);

/// ListFiles' stdout: a JSON array of FileInfo objects.
/// @throws SandboxFilesystemError for a reply that is not one.
std::vector<FileInfo> parse_file_list(std::string_view stdout_text, std::string const& path);
/// Stat's stdout: one FileInfo object. @throws SandboxFilesystemError as parse_file_list.
FileInfo parse_file_info(std::string_view stdout_text, std::string const& path);

/// One line of Watch's stdout. nullopt for a blank line, an event without paths, or a line
/// that is not a watch event (the caller logs those). Rename, RenameFrom and RenameTo are
/// reported as kModify, an unknown event type as kUnknown.
std::optional<WatchEvent> parse_watch_line(std::string_view line, bool* malformed = nullptr);

/// "Sandbox.filesystem.<op>() currently only supports absolute remote_path values" unless
/// `path` starts with '/'. @throws InvalidError.
void validate_remote_path(std::string_view op, std::string_view path);

}  // namespace modal::internal::fs_tools

#endif  // MODAL_INTERNAL_FS_TOOLS_PROTOCOL_H
