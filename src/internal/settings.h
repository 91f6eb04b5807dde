// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_SETTINGS_H
#define MODAL_INTERNAL_SETTINGS_H

#include <spdlog/logger.h>

#include <memory>
#include <string>

#include "internal/config.h"
#include "internal/logging.h"
#include "modal/client.h"

namespace modal::internal {

/**
 * A Client's configuration and logging: the resolved settings, the options it was
 * created with, the logger and the redactor that keeps secrets out of log lines.
 * Immutable after construction but for the redactor (thread-safe).
 */
class Settings {
 public:
  Settings(ResolvedConfig config, ClientOptions options);

  ResolvedConfig const& config() const { return config_; }
  ClientOptions const& options() const { return options_; }
  spdlog::logger& logger() const { return *logger_; }
  std::shared_ptr<spdlog::logger> const& logger_ptr() const { return logger_; }
  Redactor& redactor() const { return *redactor_; }
  std::shared_ptr<Redactor> const& redactor_ptr() const { return redactor_; }

  /// `requested`, or the client's environment when empty ("" = the server's default).
  std::string const& environment(std::string const& requested) const {
    return requested.empty() ? config_.environment : requested;
  }
  /// "modal-cpp/<version>" (x-modal-libmodal-version).
  std::string const& libmodal_version() const { return libmodal_version_; }

 private:
  ResolvedConfig config_;
  ClientOptions options_;
  std::shared_ptr<Redactor> redactor_;
  std::shared_ptr<spdlog::logger> logger_;
  std::string libmodal_version_;
};

}  // namespace modal::internal

#endif  // MODAL_INTERNAL_SETTINGS_H
