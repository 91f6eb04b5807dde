// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_ROUTER_EXEC_REGISTRY_H
#define MODAL_EMULATOR_SRC_ROUTER_EXEC_REGISTRY_H

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"
#include "runtime/input_sink.h"
#include "runtime/output_buffer.h"
#include "runtime/process.h"
#include "runtime/types.h"

namespace modal::emulator {

/**
 * One exec of TaskExecStart: a runtime process inside a sandbox, or — when the command
 * could not be started (no such executable, bad workdir) — a finished stand-in that
 * behaves like a container's failed exec (exit code 127 or 126, the reason on stderr).
 */
class ExecRecord {
 public:
  ExecRecord(std::string task_id, std::string exec_id, std::shared_ptr<runtime::Process> process);
  /// A stand-in for a command that could not start.
  ExecRecord(std::string task_id, std::string exec_id, int exit_code, std::string const& message);

  std::string const& task_id() const { return task_id_; }
  std::string const& exec_id() const { return exec_id_; }

  runtime::OutputBuffer& output(bool stderr_stream) const;
  runtime::InputSink& input() const;
  /// The exit status, waiting until `deadline`.
  std::optional<runtime::ExitStatus> wait(runtime::Deadline deadline) const;
  std::optional<runtime::ExitStatus> poll() const;
  void kill() const;

  /// TaskExecStdinWriteStream eviction: a new stream, and TaskExecStdinStatus, take the
  /// next generation; a stream whose generation is no longer current stops.
  std::uint64_t evict_stdin_streams() const { return ++stdin_generation_; }
  bool stdin_stream_current(std::uint64_t generation) const {
    return stdin_generation_.load() == generation;
  }

 private:
  std::string const task_id_;
  std::string const exec_id_;
  std::shared_ptr<runtime::Process> const process_;  // nullptr for a stand-in
  std::shared_ptr<runtime::OutputBuffer> out_;
  std::shared_ptr<runtime::OutputBuffer> err_;
  std::shared_ptr<runtime::InputSink> in_;
  std::optional<runtime::ExitStatus> fixed_status_;
  mutable std::atomic<std::uint64_t> stdin_generation_{0};
};

/**
 * The execs of every task, by (task id, exec id). TaskExecStart is idempotent: a retried
 * start with an exec id that already exists returns the existing exec. Thread-safe.
 */
class ExecRegistry {
 public:
  using Starter = std::function<absl::StatusOr<std::shared_ptr<ExecRecord>>()>;

  /// The exec `exec_id` of `task_id`, started with `start` unless it exists. Starts are
  /// serialized (the runtime spawns one process at a time anyway).
  absl::StatusOr<std::shared_ptr<ExecRecord>> get_or_start(std::string const& task_id,
                                                           std::string const& exec_id,
                                                           Starter const& start);
  std::shared_ptr<ExecRecord> find(std::string_view task_id, std::string_view exec_id) const;
  std::size_t size() const;

 private:
  std::mutex start_mu_;
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<ExecRecord>, std::less<>> execs_;
};

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_ROUTER_EXEC_REGISTRY_H
