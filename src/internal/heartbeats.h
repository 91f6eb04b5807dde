// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_HEARTBEATS_H
#define MODAL_INTERNAL_HEARTBEATS_H

#include <functional>
#include <memory>
#include <string>

#include "internal/cancellation.h"

namespace modal::internal {

/**
 * The keep-alive beats of a Client's ephemeral objects (Queues, Volumes): one background
 * thread per Client, started by the first registration, that calls each registered beat
 * every interval (the first one interval after registration, as the Go SDK does) until
 * the registration is released or the Client's scope is cancelled.
 *
 * A beat that throws is logged (debug) and tried again next interval, like upstream's
 * SDKs, which ignore heartbeat errors. Sleeping goes through the Timer, so tests can
 * drive it in virtual time. Thread-safe.
 */
class Heartbeats {
 public:
  /// `timer` and `scope` must outlive this object (both are the Client's).
  Heartbeats(std::shared_ptr<Timer> timer, std::shared_ptr<CancelScope> scope,
             std::function<void(std::string const&)> log_failure);
  /// Stops the thread and waits for it.
  ~Heartbeats();
  Heartbeats(Heartbeats const&) = delete;
  Heartbeats& operator=(Heartbeats const&) = delete;

  /// Calls `beat` every `interval` on the heartbeat thread until the returned
  /// registration is destroyed. Destroying it waits for a beat of it that is running on
  /// another thread, so no beat starts or runs after that (it may outlive this object).
  /// `what` names the object in log messages ("Queue qu-123").
  [[nodiscard]] std::shared_ptr<void> start(std::string what, Clock::duration interval,
                                            std::function<void()> beat);

  /// Test seam: replaces the timer (before the first start()).
  void set_timer(std::shared_ptr<Timer> timer);

 private:
  struct Core;
  std::shared_ptr<Core> core_;
};

}  // namespace modal::internal

#endif  // MODAL_INTERNAL_HEARTBEATS_H
