// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_LOGGING_H
#define MODAL_INTERNAL_LOGGING_H

#include <spdlog/logger.h>

#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "modal/client.h"

namespace modal::internal {

/**
 * Values that must never reach a log line (token secrets, JWTs, secret values).
 * Every line is scrubbed before it reaches any sink, as a safety net on top of never
 * formatting such values in the first place. Thread-safe.
 */
class Redactor {
 public:
  void add(std::string value);
  /// Replaces every registered value in `text` by "[REDACTED]".
  std::string scrub(std::string text) const;

 private:
  mutable std::mutex mu_;
  std::set<std::string> values_;
};

/// A logger of our own (never registered globally) writing to `sink`, or stderr when
/// `sink` is empty, at `level` and above.
std::shared_ptr<spdlog::logger> make_logger(LogSink sink, LogLevel level,
                                            std::shared_ptr<Redactor const> redactor);

/// Sends gRPC's own log lines (gpr_log, which would otherwise go to stderr) to
/// `logger` as well, while it lives: every live Client's logger receives them (gRPC's
/// logging is process-wide; its lines cannot be told apart by Client). Thread-safe.
void route_grpc_logs(std::shared_ptr<spdlog::logger> const& logger);

}  // namespace modal::internal

#endif  // MODAL_INTERNAL_LOGGING_H
