// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_CONTAINER_PROCESS_STATE_H
#define MODAL_INTERNAL_CONTAINER_PROCESS_STATE_H

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "internal/exec_channel.h"
#include "internal/exec_stdio.h"
#include "internal/exec_wait.h"
#include "modal/container_process.h"
#include "modal/errors.h"

namespace modal::internal {

/// The shared state behind a modal::ContainerProcess and its copies.
struct ContainerProcessState {
  std::shared_ptr<ExecChannel> channel{};
  std::string exec_id{};
  /// The client-side exec deadline (start + timeout), when a timeout was given.
  ExecDeadline deadline{};
  /// The exec timeout (whole seconds), for messages.
  std::chrono::seconds timeout{0};

  /// nullptr when the stream is ignored.
  std::shared_ptr<ExecOutput> out{};
  std::shared_ptr<ExecOutput> err{};
  std::optional<StreamReader> stdout_reader{};
  std::optional<StreamReader> stderr_reader{};
  std::optional<StreamWriter> stdin_writer{};

  std::mutex mu;
  std::optional<int> exit_code{};  // guarded by mu; cached once known
  bool timed_out = false;          // guarded by mu; the exec timeout killed it

  ~ContainerProcessState();

  /// A handle for an exec that TaskExecStart accepted.
  static ContainerProcess make(std::shared_ptr<ExecChannel> channel, std::string exec_id,
                               SandboxExecParams const& params, ExecDeadline deadline);
  static ContainerProcessState& of(ContainerProcess const& p) { return *p.state_; }

  /// Starts fetching every piped output nobody reads yet (a caller is blocked).
  static void drain_unread(std::weak_ptr<ExecOutput> const& a, std::weak_ptr<ExecOutput> const& b);

  /// Waits for the exit (at most `timeout` when given: nullopt if it expires).
  /// @throws ExecTimeoutError if the exec timeout killed the command.
  std::optional<int> wait(std::optional<Clock::duration> timeout);
  /// The exit code if known (poll() does not throw ExecTimeoutError; it reports 137).
  std::optional<int> poll();

 private:
  ExecTimeoutError timeout_error() const;
  /// The cached exit code; @throws ExecTimeoutError if the timeout killed the command.
  std::optional<int> known_exit();
  /// Caches `exit` and returns its code; @throws ExecTimeoutError as known_exit().
  int record(ExecExit const& exit);
};

}  // namespace modal::internal

#endif  // MODAL_INTERNAL_CONTAINER_PROCESS_STATE_H
