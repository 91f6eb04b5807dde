// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "internal/auth_token_manager.h"

#include <absl/random/random.h>

#include <algorithm>

#include "internal/jwt.h"
#include "internal/status.h"

namespace modal::internal {
namespace {

constexpr auto kDefaultLifetime = std::chrono::minutes(20);
constexpr auto kInitialCooldown = std::chrono::milliseconds(500);
constexpr auto kMaxCooldown = std::chrono::milliseconds(60'000);

bool is_auth_failure(grpc::Status const& s) {
  return s.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
         s.error_code() == grpc::StatusCode::PERMISSION_DENIED;
}

}  // namespace

AuthTokenManager::AuthTokenManager(Fetch fetch, SystemClock now,
                                   std::shared_ptr<spdlog::logger> logger,
                                   std::shared_ptr<Redactor> redactor)
    : fetch_(std::move(fetch)),
      now_(std::move(now)),
      logger_(std::move(logger)),
      redactor_(std::move(redactor)) {}

void AuthTokenManager::start_cooldown_locked(std::chrono::system_clock::time_point now) {
  cooldown_ = cooldown_.count() == 0 ? kInitialCooldown : std::min(cooldown_ * 2, kMaxCooldown);
  cooldown_until_ = now + cooldown_;
}

grpc::Status AuthTokenManager::fetch_locked(std::unique_lock<std::mutex>& lock) {
  fetching_ = true;
  bool const have_token = token_.has_value();
  lock.unlock();
  std::string value;
  grpc::Status status;
  try {
    status = fetch_(have_token, &value);
  } catch (...) {
    lock.lock();
    fetching_ = false;
    ++generation_;
    last_status_ = grpc::Status(grpc::StatusCode::UNKNOWN, "AuthTokenGet failed");
    cv_.notify_all();
    throw;
  }
  if (status.ok() && value.empty()) {
    status = grpc::Status(grpc::StatusCode::INTERNAL, "AuthTokenGet returned an empty token");
  }
  auto const now = now_();
  if (status.ok()) {
    redactor_->add(value);
    Token t;
    t.value = std::move(value);
    auto claims = parse_jwt(t.value);
    if (claims && claims->expires_at) {
      t.expires_at = *claims->expires_at;
    } else {
      t.expires_at = now + kDefaultLifetime;
      logger_->warn("auth token has no readable expiry; assuming it is valid for 20 minutes");
    }
    auto const lifetime = std::max(t.expires_at - now, std::chrono::system_clock::duration{0});
    thread_local absl::BitGen gen;
    double const fraction = 0.5 + absl::Uniform<double>(gen, 0.0, 0.1);
    t.refresh_at =
        now + std::chrono::duration_cast<std::chrono::system_clock::duration>(lifetime * fraction);
    logger_->debug("fetched auth token valid for {:.0f}s",
                   std::chrono::duration<double>(lifetime).count());
    lock.lock();
    token_ = std::move(t);
    cooldown_ = std::chrono::milliseconds(0);
  } else {
    lock.lock();
    start_cooldown_locked(now);
  }
  fetching_ = false;
  ++generation_;
  last_status_ = status;
  cv_.notify_all();
  return status;
}

std::string AuthTokenManager::get() {
  std::unique_lock lock(mu_);
  for (;;) {
    auto const now = now_();
    bool const expired = !token_ || now >= token_->expires_at;
    bool const cooling = now < cooldown_until_;
    if (!expired) {
      if (now < token_->refresh_at || fetching_ || cooling) return token_->value;
      // This caller refreshes proactively; concurrent callers keep the current token.
      auto const status = fetch_locked(lock);
      if (!status.ok()) {
        if (is_auth_failure(status)) throw_rpc_error(status, "AuthTokenGet");
        logger_->warn("refreshing the auth token failed ({}); using the current one",
                      status.error_message());
      }
      return token_->value;
    }
    if (token_ && cooling) {
      logger_->warn("auth token expired and refreshing it recently failed; using it anyway");
      return token_->value;
    }
    if (fetching_) {
      auto const gen = generation_;
      cv_.wait(lock, [&] { return generation_ != gen; });
      if (last_status_.ok()) continue;
      if (token_ && !is_auth_failure(last_status_)) {
        logger_->warn("fetching an auth token failed ({}); using the expired one",
                      last_status_.error_message());
        return token_->value;
      }
      throw_rpc_error(last_status_, "AuthTokenGet");
    }
    auto const status = fetch_locked(lock);
    if (status.ok()) return token_->value;
    if (token_ && !is_auth_failure(status)) {
      logger_->warn("fetching an auth token failed ({}); using the expired one",
                    status.error_message());
      return token_->value;
    }
    throw_rpc_error(status, "AuthTokenGet");
  }
}

}  // namespace modal::internal
