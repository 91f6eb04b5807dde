// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "control/function_runner.h"

#include <chrono>
#include <exception>
#include <string>
#include <string_view>

#include "server/core.h"

namespace modal::emulator {
namespace {

/// The task id every run reports (FunctionGetOutputsItem.task_id, the logs' task_id).
constexpr char kTaskId[] = "ta-emulator";

/// Logs what a run prints: one entry per line (the newline kept), the wall-clock time now.
std::function<void(int, std::string_view)> log_sink(Core& core, FunctionWork const& work) {
  StoredLog base;
  base.app_id = work.app_id;
  base.function_id = work.function_id;
  base.definition_id = work.invocation.function_id;
  base.function_call_id = work.call_id;
  base.input_id = work.input_id;
  base.task_id = kTaskId;
  return [&core, base = std::move(base)](int fd, std::string_view data) {
    while (!data.empty()) {
      auto const nl = data.find('\n');
      std::size_t const len = nl == std::string_view::npos ? data.size() : nl + 1;
      StoredLog e = base;
      e.file_descriptor = fd;
      e.data = std::string(data.substr(0, len));
      e.timestamp_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
      core.logs().append(std::move(e));
      data.remove_prefix(len);
    }
  };
}

}  // namespace

void FunctionRunner::kick() {
  std::vector<std::thread> finished;
  std::lock_guard lock(mu_);
  if (stopped_) return;
  // Reap the threads that are done.
  for (auto it = threads_.begin(); it != threads_.end();) {
    if (it->second->load()) {
      finished.push_back(std::move(it->first));
      it = threads_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& t : finished) t.join();
  for (auto& work : core_.functions().claim()) {
    work.invocation.print = log_sink(core_, work);
    auto done = std::make_shared<std::atomic<bool>>(false);
    std::thread t([this, done, work = std::move(work)]() mutable {
      FunctionOutcome outcome;
      try {
        outcome = work.body ? work.body(work.invocation, work.stop)
                            : FunctionOutcome::failed(
                                  modal::client::GenericResult::GENERIC_STATUS_FAILURE,
                                  "the Function has no body");
      } catch (std::exception const& e) {
        outcome = FunctionOutcome::failed(modal::client::GenericResult::GENERIC_STATUS_FAILURE,
                                          std::string("emulator error: ") + e.what());
      }
      if (outcome.status == modal::client::GenericResult::GENERIC_STATUS_SUCCESS &&
          outcome.data.size() > kMaxInlineOutputBytes) {
        outcome.data_blob_id = core_.blobs().put_data(std::move(outcome.data));
        outcome.data.clear();
      }
      core_.functions().finish(work.call_id, work.idx, work.attempt, std::move(outcome));
      kick();
      done->store(true);
    });
    threads_.emplace_back(std::move(t), std::move(done));
  }
}

void FunctionRunner::stop() {
  std::vector<std::pair<std::thread, std::shared_ptr<std::atomic<bool>>>> threads;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    threads.swap(threads_);
  }
  core_.functions().shutdown();
  for (auto& [t, done] : threads) t.join();
}

}  // namespace modal::emulator
