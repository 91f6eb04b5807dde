// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "internal/settings.h"

#include "modal/version.h"

namespace modal::internal {

Settings::Settings(ResolvedConfig config, ClientOptions options)
    : config_(std::move(config)),
      options_(std::move(options)),
      redactor_(std::make_shared<Redactor>()),
      libmodal_version_("modal-cpp/" + modal::version()) {
  redactor_->add(config_.token_secret);
  logger_ = make_logger(options_.log_sink, config_.log_level, redactor_);
  route_grpc_logs(logger_);
  for (auto const& w : config_.warnings) logger_->warn("{}", w);
  logger_->debug("modal-cpp {} using server {} (profile '{}', environment '{}')", modal::version(),
                 config_.server_url, config_.profile_name, config_.environment);
}

}  // namespace modal::internal
