// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_CONTAINER_PROCESS_STATE_H
#define MODAL_INTERNAL_CONTAINER_PROCESS_STATE_H

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "internal/exec_channel.h"
#include "internal/exec_stdio.h"
#include "modal/container_process.h"

namespace modal::internal {

/// The shared state behind a modal::ContainerProcess and its copies.
struct ContainerProcessState {
  std::shared_ptr<ExecChannel> channel;
  std::string exec_id;
  /// The client-side exec deadline (start + timeout), when a timeout was given.
  ExecDeadline deadline;

  /// nullptr when the stream is ignored.
  std::shared_ptr<ExecOutput> out;
  std::shared_ptr<ExecOutput> err;
  std::optional<StreamReader> stdout_reader;
  std::optional<StreamReader> stderr_reader;
  std::optional<StreamWriter> stdin_writer;

  std::mutex mu;
  std::optional<int> exit_code;  // guarded by mu; cached once known
  bool timed_out = false;        // guarded by mu; the exec timeout killed it

  ~ContainerProcessState();

  /// A handle for an exec that TaskExecStart accepted.
  static ContainerProcess make(std::shared_ptr<ExecChannel> channel, std::string exec_id,
                               SandboxExecParams const& params, ExecDeadline deadline);
  static ContainerProcessState& of(ContainerProcess const& p) { return *p.state_; }

  /// Starts fetching every piped output nobody reads yet (a caller is blocked).
  static void drain_unread(std::weak_ptr<ExecOutput> const& a, std::weak_ptr<ExecOutput> const& b);

  /// wait(); throws ExecTimeoutError if the exec timeout killed the command.
  int wait();
  /// The exit code if known (poll() does not throw ExecTimeoutError; it reports 137).
  std::optional<int> poll();
  /// After the deadline: whether the timeout killed the command (waits briefly for it).
  bool killed_by_timeout();
};

}  // namespace modal::internal

#endif  // MODAL_INTERNAL_CONTAINER_PROCESS_STATE_H
