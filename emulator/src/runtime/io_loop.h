// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_RUNTIME_IO_LOOP_H
#define MODAL_EMULATOR_RUNTIME_IO_LOOP_H

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "runtime/types.h"

namespace modal::emulator::runtime::internal {

/**
 * One epoll thread (all signals blocked) multiplexing the runtime's pipes, PTYs and
 * pidfds, plus timers. Internal to the runtime.
 *
 * post(), add_timer() and cancel_timer() are thread-safe; the fd functions must be called
 * on the loop thread (from a handler, a timer or a posted task).
 */
class IoLoop {
 public:
  using Handler = std::function<void(uint32_t events)>;
  using TimerId = uint64_t;

  IoLoop();
  ~IoLoop();
  IoLoop(IoLoop const&) = delete;
  IoLoop& operator=(IoLoop const&) = delete;

  /// Runs `task` on the loop thread. Tasks posted after stop() are dropped.
  void post(std::function<void()> task);
  TimerId add_timer(Deadline when, std::function<void()> callback);
  void cancel_timer(TimerId id);

  /// Loop thread only. Level-triggered. Returns the watch id, 0 if epoll refused the fd.
  uint64_t add_fd(int fd, uint32_t events, Handler handler);
  void set_events(uint64_t watch, uint32_t events);
  /// Unregisters (does not close) the fd. Safe to call from its own handler.
  void remove_fd(uint64_t watch);

  bool in_loop_thread() const;
  /// Runs the remaining posted tasks, then stops and joins the thread. Idempotent; must
  /// not be called from the loop thread.
  void stop();

 private:
  struct Watch {
    int fd{};
    std::shared_ptr<Handler> handler{};
  };
  void run();

  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::mutex mu_;
  std::vector<std::function<void()>> tasks_;
  std::multimap<Deadline, std::pair<TimerId, std::function<void()>>> timers_;
  std::unordered_map<TimerId,
                     std::multimap<Deadline, std::pair<TimerId, std::function<void()>>>::iterator>
      timer_index_;
  TimerId next_timer_ = 1;
  bool stopping_ = false;
  bool stopped_ = false;
  // Loop-thread state.
  std::unordered_map<uint64_t, Watch> watches_;
  uint64_t next_watch_ = 1;
  std::thread thread_;
};

}  // namespace modal::emulator::runtime::internal

#endif  // MODAL_EMULATOR_RUNTIME_IO_LOOP_H
