// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_RUNTIME_ENGINE_H
#define MODAL_EMULATOR_RUNTIME_ENGINE_H

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "absl/status/statusor.h"
#include "runtime/io_loop.h"
#include "runtime/process.h"
#include "runtime/runtime.h"
#include "runtime/sandbox.h"
#include "runtime/spawner.h"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace modal::emulator::runtime::internal {

/// Shared state behind Runtime, Process and Sandbox (internal).
class Engine : public std::enable_shared_from_this<Engine> {
 public:
  explicit Engine(RuntimeOptions options);
  ~Engine();

  /// How launch() creates the process.
  struct Launch {
    SpawnRequest::Kind kind = SpawnRequest::Kind::kPlain;
    std::string tmp_source;
    int mnt_ns_fd = -1;
    int pid_ns_fd = -1;
    bool pause_forever = false;
    bool kill_group_on_exit = false;
    /// Called (I/O thread) whenever output arrives.
    std::function<void()> on_output;
  };
  /// Starts a process. `raw` (optional) receives the spawner's result.
  absl::StatusOr<std::shared_ptr<Process>> launch(ProcessSpec spec, Launch const& launch,
                                                  SpawnResult* raw = nullptr);
  absl::StatusOr<std::shared_ptr<Sandbox>> create_sandbox(SandboxSpec spec);
  void shutdown();

  std::map<std::string, std::string> with_defaults(std::map<std::string, std::string> env) const;
  IoLoop& loop() { return loop_; }
  spdlog::logger& log() { return *logger_; }
  void sandbox_finished(Sandbox const* sandbox);

  std::optional<bool> namespaces_available() const;
  std::string const& state_dir() const { return state_dir_; }
  size_t running_process_count() const;
  size_t running_sandbox_count() const;

 private:
  struct OutputPump {
    int fd = -1;
    uint64_t watch = 0;  // 0 while paused (not in epoll)
    std::shared_ptr<OutputBuffer> buffer;
    std::function<void()> on_output;
  };
  struct InputPump {
    int fd = -1;
    uint64_t watch = 0;  // 0 while idle (not in epoll)
    std::shared_ptr<InputSink> sink;
    bool pty = false;
  };

  // I/O thread.
  void add_output_pump(int fd, std::shared_ptr<OutputBuffer> buffer,
                       std::function<void()> on_output);
  uint64_t add_input_pump(int fd, std::shared_ptr<InputSink> sink, bool pty);
  void on_output_ready(uint64_t id);
  void resume_output(uint64_t id);
  void on_input_ready(uint64_t id);
  void activate_input(uint64_t id);
  void close_output_pump(uint64_t id);
  void close_input_pump(uint64_t id, bool broken);
  void watch_process(std::shared_ptr<Process> const& process);
  void handle_exit(std::shared_ptr<Process> const& process);
  void poll_exits();
  void close_all_streams();

  RuntimeOptions const options_;
  std::shared_ptr<spdlog::logger> logger_;
  std::string state_dir_;
  bool owns_state_dir_ = false;
  std::string default_path_;
  std::string default_home_;
  std::string sleep_path_;
  int devnull_ = -1;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool shut_down_ = false;
  std::optional<bool> namespaces_ok_;
  bool proc_warning_logged_ = false;
  std::unordered_map<pid_t, std::shared_ptr<Process>> running_;
  std::unordered_map<Sandbox const*, std::shared_ptr<Sandbox>> sandboxes_;
  uint64_t sandbox_counter_ = 0;

  // I/O-thread state.
  std::unordered_map<uint64_t, OutputPump> output_pumps_;
  std::unordered_map<uint64_t, InputPump> input_pumps_;
  std::unordered_map<pid_t, std::shared_ptr<Process>> polled_;  // without pidfd
  bool poll_timer_armed_ = false;
  uint64_t next_pump_ = 1;

  Spawner spawner_;
  IoLoop loop_;
};

}  // namespace modal::emulator::runtime::internal

#endif  // MODAL_EMULATOR_RUNTIME_ENGINE_H
