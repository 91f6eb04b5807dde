// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_FS_TOOLS_FS_TOOLS_H
#define MODAL_EMULATOR_SRC_FS_TOOLS_FS_TOOLS_H

#include <cstdint>
#include <string>

#include "fs_tools/command.h"

/// The emulator's `modal-sandbox-fs-tools`: the program Modal's SDKs run inside a Sandbox
/// (at /__modal/.bin/modal-sandbox-fs-tools) for every filesystem operation. It speaks the
/// protocol of Modal's own tool (emulator/README.md, "The filesystem tool"):
///   - one argument, a JSON command (command.h);
///   - on success exit 0 with the command's output on stdout: ReadFile the file's bytes,
///     ListFiles a JSON array of FileInfo objects, Stat one FileInfo, Watch one JSON event
///     per line (`{"event_type":"Create","paths":["/d/f"]}`), the others nothing;
///   - on failure exit 1 with one JSON object on stderr,
///     `{"version":1,"error_kind":"NotFound","message":"...","detail":"..."}`;
///   - WriteFile copies stdin to the file until EOF; Watch ends at its timeout, at EOF on
///     stdin, or when stdout is closed.
namespace modal::fs_tools {

/// The file descriptors a run uses (the process's own by default; tests pass pipes).
struct Io {
  int in = 0;
  int out = 1;
  int err = 2;
};

/// ReadFile refuses files larger than this (as Modal's tool does, at some GiB).
inline constexpr std::uint64_t kDefaultMaxReadBytes = std::uint64_t{5} << 30;

/// Runs `cmd`; returns the exit status (0, or 1 after writing the error object to io.err).
/// `max_read_bytes` bounds ReadFile.
int run(Command const& cmd, Io io, std::uint64_t max_read_bytes = kDefaultMaxReadBytes);

/// The program: checks the arguments (exactly one, a command), then run(). A malformed
/// command line is reported as plain text on io.err with exit status 2. The environment
/// variable MODAL_FS_TOOLS_MAX_READ_BYTES overrides the ReadFile limit.
int main_entry(int argc, char const* const* argv, Io io);

/// `path` with "." and ".." resolved lexically, repeated and trailing slashes dropped
/// ("/a/./b/../c/" -> "/a/c"); ListFiles names its entries this way.
std::string normalize_path(std::string const& path);

}  // namespace modal::fs_tools

#endif  // MODAL_EMULATOR_SRC_FS_TOOLS_FS_TOOLS_H
