// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_SERVER_CONFIG_FILE_H
#define MODAL_EMULATOR_SRC_SERVER_CONFIG_FILE_H

// The emulator's preload file (`modal-emulator --config FILE`, load_config_file() of
// modal/emulator.h): TOML, documented in docs/emulator.md.
//
//     [images]                      # registry tag = local image (as --image TAG=PATH)
//     [buckets]                     # bucket name = local directory (as --bucket NAME=DIR)
//     [environments.NAME]           # created at startup ("main" always exists)
//     apps = ["..."]                # deployed Apps
//     proxies = ["..."]             # Proxies
//     [environments.NAME.secrets.SECRET]   KEY = "value" ...
//     [environments.NAME.volumes.VOLUME]   seed = "dir" (optional)
//     [environments.NAME.queues.QUEUE]     items = [...], partitions = { key = [...] }

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "modal/emulator.h"

namespace modal::emulator {

/// Parses the text of a preload file on top of `base` (see load_config_file()). `path`
/// names the file in messages, and its directory is where relative paths start (the
/// current directory when it has none). INVALID_ARGUMENT "PATH:LINE:COLUMN: what is wrong"
/// for a TOML syntax error or a file that does not follow the schema. Directories and
/// images the file names must exist (they are checked here); nothing is created.
absl::StatusOr<EmulatorOptions> parse_config(std::string_view text, std::string const& path,
                                             EmulatorOptions base = {});

/// Whether `name` can name an environment or an object of the preload file: 1 to 64
/// letters, digits, '-', '_' and '.'.
bool is_preload_name(std::string_view name);

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_SERVER_CONFIG_FILE_H
