// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_CONTROL_FUNCTION_RUNNER_H
#define MODAL_EMULATOR_SRC_CONTROL_FUNCTION_RUNNER_H

// Runs Function inputs: kick() claims what may run (FunctionStore::claim, which applies
// max_containers) and runs each input's body on a thread of its own, outside every store
// lock; a result over the inline limit (kMaxInlineOutputBytes) is put in the blob store and
// answered by its id; then the output is recorded (FunctionStore::finish) and the runner
// kicks again. stop() asks running bodies to stop and joins them (shutdown).

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace modal::emulator {

class Core;

/// Outputs (and inputs) larger than this go through blobs: Modal's 2 MiB.
inline constexpr std::size_t kMaxInlineOutputBytes = std::size_t{2} << 20;

class FunctionRunner {
 public:
  explicit FunctionRunner(Core& core) : core_(core) {}
  ~FunctionRunner() { stop(); }
  FunctionRunner(FunctionRunner const&) = delete;
  FunctionRunner& operator=(FunctionRunner const&) = delete;

  /// Starts whatever may run now.
  void kick();
  /// Stops running bodies (FunctionStore::shutdown) and joins their threads.
  void stop();

 private:
  Core& core_;
  std::mutex mu_;
  bool stopped_ = false;
  std::vector<std::pair<std::thread, std::shared_ptr<std::atomic<bool>>>> threads_;
};

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_CONTROL_FUNCTION_RUNNER_H
