// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "internal/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>

#include <grpc/support/log.h>

#include <cstdio>
#include <mutex>
#include <vector>

namespace modal::internal {
namespace {

constexpr std::size_t kMinRedactedLength = 4;  // never scrub trivial strings

LogLevel to_log_level(spdlog::level::level_enum l) {
  switch (l) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      return LogLevel::kDebug;
    case spdlog::level::info:
      return LogLevel::kInfo;
    case spdlog::level::warn:
      return LogLevel::kWarn;
    default:
      return LogLevel::kError;
  }
}

spdlog::level::level_enum to_spdlog(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
  }
  return spdlog::level::warn;
}

// Formats, scrubs and forwards lines to the user's callback or to stderr.
class SdkSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  SdkSink(LogSink sink, std::shared_ptr<Redactor const> redactor)
      : sink_(std::move(sink)), redactor_(std::move(redactor)) {}

 protected:
  void sink_it_(spdlog::details::log_msg const& msg) override {
    if (sink_) {
      std::string text(msg.payload.data(), msg.payload.size());
      text = redactor_->scrub(std::move(text));
      try {
        sink_(to_log_level(msg.level), text);
      } catch (...) {  // a user sink must not break the SDK
      }
      return;
    }
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    auto text = redactor_->scrub(std::string(formatted.data(), formatted.size()));
    std::fwrite(text.data(), 1, text.size(), ::stderr);
  }
  void flush_() override { std::fflush(::stderr); }

 private:
  LogSink sink_;
  std::shared_ptr<Redactor const> redactor_;
};

}  // namespace

void Redactor::add(std::string value) {
  if (value.size() < kMinRedactedLength) return;
  std::lock_guard lock(mu_);
  values_.insert(std::move(value));
}

std::string Redactor::scrub(std::string text) const {
  std::lock_guard lock(mu_);
  for (auto const& v : values_) {
    for (auto pos = text.find(v); pos != std::string::npos; pos = text.find(v, pos)) {
      text.replace(pos, v.size(), "[REDACTED]");
      pos += 10;
    }
  }
  return text;
}

std::shared_ptr<spdlog::logger> make_logger(LogSink sink, LogLevel level,
                                            std::shared_ptr<Redactor const> redactor) {
  auto s = std::make_shared<SdkSink>(std::move(sink), std::move(redactor));
  s->set_pattern("%Y-%m-%dT%H:%M:%S.%e [modal] %^%l%$: %v");
  auto logger = std::make_shared<spdlog::logger>("modal", std::move(s));
  logger->set_level(to_spdlog(level));
  logger->flush_on(spdlog::level::warn);
  return logger;
}

namespace {

// The loggers of live Clients that gRPC's own log lines go to.
struct GrpcLogRoute {
  std::mutex mu;
  std::vector<std::weak_ptr<spdlog::logger>> loggers{};
};

GrpcLogRoute& grpc_log_route() {
  static auto* const route = new GrpcLogRoute();  // never destroyed: gRPC may log at exit
  return *route;
}

void on_grpc_log(gpr_log_func_args* args) {
  // gRPC's errors are about connections (a TLS handshake against a plaintext server, a
  // refused connection); the call that fails reports the error to the caller, so they
  // are warnings here.
  auto const level = args->severity == GPR_LOG_SEVERITY_ERROR  ? spdlog::level::warn
                     : args->severity == GPR_LOG_SEVERITY_INFO ? spdlog::level::info
                                                               : spdlog::level::debug;
  std::vector<std::shared_ptr<spdlog::logger>> targets;
  {
    auto& route = grpc_log_route();
    std::lock_guard lock(route.mu);
    auto& loggers = route.loggers;
    for (auto it = loggers.begin(); it != loggers.end();) {
      if (auto l = it->lock()) {
        targets.push_back(std::move(l));
        ++it;
      } else {
        it = loggers.erase(it);
      }
    }
  }
  if (targets.empty()) {
    std::fprintf(stderr, "gRPC %s %s:%d] %s\n", gpr_log_severity_string(args->severity), args->file,
                 args->line, args->message);
    return;
  }
  for (auto const& l : targets) {
    l->log(level, "gRPC: {} ({}:{})", args->message, args->file, args->line);
  }
}

}  // namespace

void route_grpc_logs(std::shared_ptr<spdlog::logger> const& logger) {
  static std::once_flag installed;
  std::call_once(installed, [] { gpr_set_log_function(&on_grpc_log); });
  auto& route = grpc_log_route();
  std::lock_guard lock(route.mu);
  route.loggers.push_back(logger);
}

}  // namespace modal::internal
