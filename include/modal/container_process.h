// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_CONTAINER_PROCESS_H
#define MODAL_CONTAINER_PROCESS_H

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "modal/secret.h"
#include "modal/streams.h"

namespace modal {
namespace internal {
struct ContainerProcessState;
}  // namespace internal

/// What happens to a process's stdout or stderr.
enum class StdioBehavior {
  /// Captured; read it through the process's stream.
  kPipe,
  /// Discarded; the stream reads as empty.
  kIgnore,
};

/// Options of `Sandbox::exec`.
struct SandboxExecParams {
  /// What happens to the command's stdout.
  StdioBehavior stdout_behavior = StdioBehavior::kPipe;
  /// What happens to the command's stderr.
  StdioBehavior stderr_behavior = StdioBehavior::kPipe;
  /// Absolute working directory; empty uses the Sandbox's.
  std::string workdir{};
  /// Kill the command after this long (whole seconds); unset means no limit.
  std::optional<std::chrono::milliseconds> timeout{};
  /// Extra environment variables.
  std::map<std::string, std::string> env{};
  /// Secrets whose variables the command sees.
  std::vector<Secret> secrets{};
  /// Run under a pseudo-terminal.
  bool pty = false;
};

/**
 * A command running in a Sandbox, returned by `Sandbox::exec`.
 *
 * @par Thread Safety
 * Copies share one process. Read stdout and stderr from different threads to consume
 * both at once; reading only one of them never blocks the process on the other.
 */
class ContainerProcess {
 public:
  /// The command's standard output (empty if not piped). @throws ExecTimeoutError.
  StreamReader stdout_stream() const;
  /// The command's standard error (empty if not piped). @throws ExecTimeoutError.
  StreamReader stderr_stream() const;
  /// The command's standard input; `close()` sends EOF.
  StreamWriter stdin_stream() const;

  /// Blocks until the command exits; returns its exit code, or 128 + signal number.
  /// @throws ExecTimeoutError if the exec timeout killed the command (its output up to
  ///   then stays readable from the streams).
  int wait() const;
  /// Like wait(), giving up after `timeout`: nullopt if the command is still running.
  /// `timeout` zero checks once. @throws InvalidError for a negative timeout,
  ///   ExecTimeoutError as wait().
  std::optional<int> wait_for(std::chrono::milliseconds timeout) const;
  /// The exit code if the command has finished, else nullopt. Does not block.
  std::optional<int> poll() const;

  /// The client-generated exec id.
  std::string const& exec_id() const;

 private:
  friend struct internal::ContainerProcessState;
  explicit ContainerProcess(std::shared_ptr<internal::ContainerProcessState> state)
      : state_(std::move(state)) {}
  std::shared_ptr<internal::ContainerProcessState> state_;
};

}  // namespace modal

#endif  // MODAL_CONTAINER_PROCESS_H
