// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_RUNTIME_ENGINE_H
#define MODAL_EMULATOR_RUNTIME_ENGINE_H

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "absl/status/statusor.h"
#include "runtime/cgroups.h"
#include "runtime/io_loop.h"
#include "runtime/process.h"
#include "runtime/runtime.h"
#include "runtime/sandbox.h"
#include "runtime/spawner.h"
#include "runtime/unique_fd.h"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace modal::emulator::runtime::internal {

/// The process runtime's engine, shared by Runtime, Process and Sandbox (internal): launches
/// processes and sandboxes, and runs their I/O on the IoLoop thread.
class Engine : public std::enable_shared_from_this<Engine> {
 public:
  explicit Engine(RuntimeOptions options);
  ~Engine();

  /// How launch() creates the process.
  struct Launch {
    SpawnRequest::Kind kind = SpawnRequest::Kind::kPlain;
    /// kNewNamespaces: see SpawnRequest.
    int extra_namespaces = 0;
    std::vector<MountStep> mounts{};
    bool loopback_up = false;
    /// kJoinNamespaces: the namespaces to enter.
    std::vector<NamespaceFd> join{};
    /// A PTY comes from this devpts instance (the sandbox's); -1 = the host's (openpty).
    int devpts_fd = -1;
    int cgroup_procs_fd = -1;
    uint64_t keep_capabilities = ~uint64_t{0};
    bool pause_forever = false;
    /// See SpawnRequest.
    int64_t uid = -1;
    int64_t gid = -1;
    std::vector<gid_t> groups{};
    bool kill_group_on_exit = false;
    /// Called (I/O thread) whenever output arrives.
    std::function<void()> on_output;
  };
  /// Starts a process. `raw` (optional) receives the spawner's result.
  absl::StatusOr<std::shared_ptr<Process>> launch(ProcessSpec spec, Launch const& how,
                                                  SpawnResult* raw = nullptr);
  absl::StatusOr<std::shared_ptr<Sandbox>> create_sandbox(SandboxSpec spec);
  /// Runs `steps` in the namespaces `join` (SpawnRequest::Kind::kRunSteps).
  SpawnResult run_steps(std::vector<NamespaceFd> join, std::vector<MountStep> steps);
  void shutdown();

  std::map<std::string, std::string> with_defaults(std::map<std::string, std::string> env) const;
  IoLoop& loop() { return loop_; }
  spdlog::logger& log() { return *logger_; }
  void sandbox_finished(Sandbox const* sandbox);

  std::optional<bool> namespaces_available() const;
  absl::Status resource_limits_status() const;
  std::string const& state_dir() const { return state_dir_; }
  /// Runtime::layer_store().
  absl::StatusOr<std::string> layer_store();
  size_t running_process_count() const;
  size_t running_sandbox_count() const;

 private:
  // launch(), in order.
  /// A process's stdio: the ends the runtime keeps (invalid when not captured) and the
  /// fds the child gets as 0, 1, 2 (its own ends are closed once it is spawned).
  struct Stdio {
    UniqueFd out{}, err{}, in{};
    UniqueFd out_child{}, err_child{}, in_child{};
    int child[3] = {-1, -1, -1};
  };
  /// Checks the command and its environment; the spawner's request without stdio.
  absl::StatusOr<SpawnRequest> spawn_request(ProcessSpec const& spec, Launch const& how) const;
  absl::Status open_pty(ProcessSpec const& spec, int devpts_fd, Stdio& stdio) const;
  absl::Status open_pipes(ProcessSpec const& spec, Stdio& stdio) const;
  static absl::Status spawn_error(SpawnResult const& result, ProcessSpec const& spec);
  std::shared_ptr<Process> new_process(pid_t pid, ProcessSpec const& spec, Launch const& how,
                                       Stdio const& stdio) const;
  /// Registers a spawned process; false (after killing and reaping it) when shutdown()
  /// won the race.
  bool track(std::shared_ptr<Process> const& process);
  void arm_timeout(std::shared_ptr<Process> const& process, std::chrono::milliseconds timeout);
  /// Hands the kept ends to the I/O thread (pumps) and watches for the exit.
  void start_pumps(std::shared_ptr<Process> const& process, Stdio stdio,
                   std::function<void()> on_output);

  // create_sandbox(), in order.
  struct Entrypoint {
    ProcessSpec spec{};
    Launch how{};
  };
  struct Started {
    std::shared_ptr<Process> process{};
    bool isolated = false;
    std::string workdir{};
    // Isolated only.
    UniqueFd devpts{};
    std::unique_ptr<SandboxCgroup> cgroup{};
    bool network_blocked = false;
  };
  /// A fresh <state_dir>/<sanitized id>[-N] holding the sandbox's tmp/ (mode 1777) and,
  /// when `isolated`, the overlay's upper/, work/ and root/ (its mount point).
  absl::StatusOr<std::filesystem::path> make_sandbox_dir(std::string const& id, bool isolated);
  /// The entrypoint (or the idle placeholder) with its environment; output counts as
  /// activity.
  Entrypoint entrypoint(SandboxSpec const& spec, std::map<std::string, std::string> const& env,
                        std::shared_ptr<std::atomic<int64_t>> const& activity) const;
  /// In new namespaces on an overlay root. UNAVAILABLE (internal: saying why) when the
  /// machine does not allow that; other errors are the launch's.
  absl::StatusOr<Started> launch_isolated(Entrypoint const& entry, SandboxSpec const& spec,
                                          std::filesystem::path const& dir);
  absl::StatusOr<Started> launch_plain(Entrypoint entry, std::string const& workdir,
                                       std::string const& tmp_dir);
  /// The namespaces of a just started isolated init, for execs to join; empty if it is
  /// already gone.
  static std::vector<NamespaceFd> open_namespaces(Process& init, bool network);
  /// Lifetime and idle timers, and the entrypoint's exit.
  void watch_sandbox(std::shared_ptr<Sandbox> const& sandbox,
                     std::optional<std::chrono::milliseconds> timeout);

  struct OutputPump {
    int fd = -1;
    uint64_t watch = 0;  // 0 while paused (not in epoll)
    std::shared_ptr<OutputBuffer> buffer{};
    std::function<void()> on_output;
  };
  struct InputPump {
    int fd = -1;
    uint64_t watch = 0;  // 0 while idle (not in epoll)
    std::shared_ptr<InputSink> sink{};
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
  /// Covered in sandboxes: the state directory's parent, where every emulator keeps its
  /// sandboxes' upper layers.
  std::string hidden_dir_;
  std::unique_ptr<Cgroups> cgroups_;
  std::string default_path_;
  std::string default_home_;
  std::string sleep_path_;
  int devnull_ = -1;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool shut_down_ = false;
  std::optional<bool> namespaces_ok_;
  bool unsafe_warning_logged_ = false;
  bool limits_warning_logged_ = false;
  std::unordered_map<pid_t, std::shared_ptr<Process>> running_;
  std::unordered_map<Sandbox const*, std::shared_ptr<Sandbox>> sandboxes_;
  uint64_t sandbox_counter_ = 0;
  UniqueFd layer_store_;  // new_layer_store(), on first use

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
