// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "control/function_runner.h"

#include <exception>
#include <string>

#include "server/core.h"

namespace modal::emulator {

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
