// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_CONTROL_DOCKERFILE_H
#define MODAL_EMULATOR_SRC_CONTROL_DOCKERFILE_H

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "store/images.h"

namespace modal::emulator {

/// One Dockerfile instruction of ImageGetOrCreateRequest.image.dockerfile_commands.
struct DockerfileInstruction {
  enum class Kind { kFrom, kRun, kEnv, kArg, kWorkdir, kUser, kEntrypoint, kCmd, kShell, kNoop };
  Kind kind = Kind::kNoop;
  /// The instruction word, upper case ("RUN").
  std::string keyword{};
  /// kFrom: the image reference; kWorkdir, kUser: the value (variables not yet expanded).
  std::string value{};
  /// kRun: the command in exec form (a shell-form command is {"", command}: the shell is
  /// the image's, see ImageConfig::shell); kEntrypoint, kCmd, kShell: the argv.
  std::vector<std::string> argv{};
  bool shell_form = false;
  /// kEnv, kArg: name and value pairs, in order (values not yet expanded; an ARG without
  /// a default has the value "").
  std::vector<std::pair<std::string, std::string>> pairs{};
};

/**
 * Parses one dockerfile command as Docker does: the instruction word is case-insensitive,
 * a backslash at the end of a line continues it, `#` lines are comments, exec forms are
 * JSON arrays of strings. Supported: FROM, RUN, ENV (`K=V ...` with quotes, or `K V`),
 * ARG, WORKDIR, USER, ENTRYPOINT, CMD, SHELL, and the metadata-only LABEL, EXPOSE,
 * VOLUME, STOPSIGNAL, HEALTHCHECK, MAINTAINER (kNoop). INVALID_ARGUMENT, naming the
 * command, for anything else: COPY and ADD need a build context the emulator does not
 * have, ONBUILD is not supported, and malformed lines are rejected. An empty or comment
 * line is a kNoop.
 */
absl::StatusOr<DockerfileInstruction> parse_dockerfile_instruction(std::string_view command);

/// `text` with $NAME and ${NAME} replaced from `vars` (unknown names become ""; `\$` is
/// a literal dollar), as Docker expands ENV, WORKDIR and USER values.
std::string expand_variables(std::string_view text, std::map<std::string, std::string> const& vars);

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_CONTROL_DOCKERFILE_H
