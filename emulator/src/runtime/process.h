// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_RUNTIME_PROCESS_H
#define MODAL_EMULATOR_RUNTIME_PROCESS_H

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "runtime/input_sink.h"
#include "runtime/output_buffer.h"
#include "runtime/types.h"

namespace modal::emulator::runtime {

namespace internal {
class Engine;
}  // namespace internal

/// Where a process's stdout/stderr goes.
enum class StdioMode {
  /// Captured into the process's OutputBuffer.
  kPipe,
  /// /dev/null; the buffer is empty and closed from the start.
  kDevNull,
  /// stderr only: the same pipe as stdout (2>&1); the stderr buffer is empty and closed.
  kMergeWithStdout,
};

/// Pseudo-terminal settings (PTYInfo). Under a PTY, stdin/stdout/stderr are the terminal
/// (stderr unless kDevNull): everything the terminal prints, echo included, is stdout;
/// the stderr buffer is empty and closed; stdin EOF sends ^D.
struct PtyOptions {
  uint16_t rows = 24;
  uint16_t cols = 80;
  /// Exported as TERM / COLORTERM unless the environment sets them ("" = don't).
  std::string term = "xterm-256color";
  std::string colorterm{};
};

/// What to run.
struct ProcessSpec {
  /// argv[0] is looked up in the PATH of `env` unless it contains '/'. No shell.
  std::vector<std::string> argv{};
  /// The complete environment. Nothing is inherited from the emulator except PATH and
  /// HOME when absent here (RuntimeOptions::default_path/default_home). For
  /// Sandbox::exec this is laid over the sandbox's environment (these entries win).
  std::map<std::string, std::string> env{};
  /// Working directory ("" = the emulator's cwd for Runtime::start_process, the
  /// sandbox's workdir for Sandbox::exec). Must exist.
  std::string workdir{};
  std::optional<PtyOptions> pty{};
  StdioMode stdout_mode = StdioMode::kPipe;
  StdioMode stderr_mode = StdioMode::kPipe;
  /// false: stdin is /dev/null and the sink discards everything.
  bool stdin_enabled = true;
  /// When set, the process group is SIGKILLed after this long (ExitStatus::timed_out).
  std::optional<std::chrono::milliseconds> timeout{};
  OutputBufferOptions output_options{};
  InputSinkOptions input_options{};
};

/**
 * A running (or finished) local process: the leader of its own session and process
 * group, with PR_SET_PDEATHSIG(SIGKILL). Created by Runtime::start_process or
 * Sandbox::exec. The runtime reaps it (never call waitpid on it yourself) and keeps
 * it alive while it runs even if every handle is dropped; Runtime::shutdown kills it.
 *
 * Thread-safe.
 */
class Process {
 public:
  ~Process();
  Process(Process const&) = delete;
  Process& operator=(Process const&) = delete;

  /// Host pid (also the process group and session id).
  pid_t pid() const { return pid_; }
  /// Output captured from the process (see StdioMode). The buffers outlive the process.
  OutputBuffer& stdout_buffer() const { return *stdout_; }
  OutputBuffer& stderr_buffer() const { return *stderr_; }
  /// Offset-addressed stdin (TaskExecStdinWrite / TaskExecStdinStatus).
  InputSink& stdin_sink() const { return *stdin_; }
  bool has_pty() const { return has_pty_; }

  /// The exit status once the process has exited and been reaped (output may still be
  /// draining), or nullopt at the deadline / stop request.
  std::optional<ExitStatus> wait(Deadline deadline = kNoDeadline, std::stop_token stop = {}) const;
  std::optional<ExitStatus> poll() const;
  bool running() const { return !poll().has_value(); }

  /// SIGKILL to the whole process group (and the process itself). No-op once exited.
  void kill();

  /// Runs `callback` once with the exit status: on the runtime's I/O thread when the
  /// process is reaped, or right away on this thread if it already was. Must not block.
  void on_exit(std::function<void(ExitStatus const&)> callback);

 private:
  friend class internal::Engine;
  Process(pid_t pid, std::shared_ptr<OutputBuffer> out, std::shared_ptr<OutputBuffer> err,
          std::shared_ptr<InputSink> in, bool pty);

  pid_t const pid_;
  std::shared_ptr<OutputBuffer> const stdout_;
  std::shared_ptr<OutputBuffer> const stderr_;
  std::shared_ptr<InputSink> const stdin_;
  bool const has_pty_;

  mutable std::mutex mu_;
  mutable std::condition_variable_any cv_;
  std::optional<ExitStatus> status_;
  /// waitpid() succeeded: the pid may be reused, never signal it again.
  bool reaped_ = false;
  bool timed_out_ = false;
  /// Kill the process group right before reaping (sandbox entrypoints without namespaces).
  bool kill_group_on_exit_ = false;
  std::vector<std::function<void(ExitStatus const&)>> exit_callbacks_;
  // I/O-thread state.
  int pidfd_ = -1;
  /// A PTY master reference held until the process is reaped: closing the last one
  /// hangs the terminal up (SIGHUP) while the process may still be exiting.
  int pty_hold_fd_ = -1;
  uint64_t pidfd_watch_ = 0;
  uint64_t stdin_pump_ = 0;
  uint64_t timeout_timer_ = 0;
};

}  // namespace modal::emulator::runtime

#endif  // MODAL_EMULATOR_RUNTIME_PROCESS_H
