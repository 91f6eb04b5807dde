// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Function and FunctionCall logs (modal/logs.h): fetch (AppCountLogs, then AppFetchLogs per
// interval, internal/logs.h), tail (AppFetchLogs with growing look-backs), stream
// (AppGetLogs reopened at the last entry id; for a call, FunctionCallGetInfo every second
// ends it once the call finished, after a last drain).
//
// Differences from the Go SDK: refinement counts and interval fetches run one after the
// other as the range advances (Go runs up to 20 / 10 at once); a stream reconnects with the
// Client's stream retry policy (ClientOptions::retry backoff, 10 failures in a row) where Go
// waits 1 ms x 10 up to 1 s.
#include <array>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>

#include "internal/client_state.h"
#include "internal/function_state.h"
#include "internal/logs.h"
#include "internal/rpc.h"
#include "internal/status.h"
#include "modal/errors.h"
#include "modal/function.h"
#include "modal/function_call.h"

namespace modal {
namespace {

using internal::LogScope;
using internal::logs::TimePoint;
using Clock = std::chrono::steady_clock;
namespace logs = internal::logs;
namespace pb = modal::client;
namespace rpc = internal::rpc;

constexpr std::array<std::chrono::hours, 4> kTailLookbacks = {
    std::chrono::hours(1), std::chrono::hours(24), std::chrono::hours(7 * 24),
    std::chrono::hours(30 * 24)};
constexpr float kStreamRpcTimeoutSecs = 55;
constexpr float kStreamDrainTimeoutSecs = 0.5f;
constexpr auto kCallPollInterval = std::chrono::seconds(1);
constexpr int kCallInfoAttempts = 5;
constexpr std::size_t kMaxQueuedEntries = 10'000;

google::protobuf::Timestamp to_proto(TimePoint t) {
  auto const ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  google::protobuf::Timestamp out;
  std::int64_t secs = ns / 1'000'000'000;
  std::int64_t nanos = ns % 1'000'000'000;
  if (nanos < 0) {
    nanos += 1'000'000'000;
    --secs;
  }
  out.set_seconds(secs);
  out.set_nanos(static_cast<std::int32_t>(nanos));
  return out;
}

TimePoint unix_time(double secs) {
  pb::TaskLogs item;
  item.set_timestamp(secs);
  return logs::entry_time(item);
}

/// The filters every request of a scope carries.
struct Filters {
  pb::FileDescriptor source = pb::FILE_DESCRIPTOR_UNSPECIFIED;
  std::string search_text{};
};

template <typename Req>
void fill_scope(Req& req, LogScope const& scope) {
  req.set_app_id(scope.app_id);
  req.set_function_id(scope.function_id);
  req.set_function_call_id(scope.function_call_id);
}

void check_scope(LogScope const& scope) {
  if (scope.app_id.empty()) {
    throw InvalidError("the server did not say which App " + scope.object_id() +
                       " belongs to; its logs cannot be read");
  }
}

/// A range over entries produced a batch at a time by `next_batch` (false: no more).
Range<LogEntry> batched_range(std::function<bool(std::deque<LogEntry>&)> next_batch) {
  struct State {
    std::function<bool(std::deque<LogEntry>&)> next;
    std::deque<LogEntry> pending;
    bool done = false;
  };
  auto state = std::make_shared<State>(State{std::move(next_batch), {}, false});
  return Range<LogEntry>([state]() -> std::optional<LogEntry> {
    while (state->pending.empty()) {
      if (state->done) return std::nullopt;
      if (!state->next(state->pending)) state->done = true;
    }
    LogEntry e = std::move(state->pending.front());
    state->pending.pop_front();
    return e;
  });
}

void append_batches(google::protobuf::RepeatedPtrField<pb::TaskLogsBatch> const& batches,
                    std::string const& object_id, std::deque<LogEntry>& out) {
  for (auto const& b : batches) {
    for (auto const& item : b.items()) out.push_back(logs::to_entry(item, b, object_id));
  }
}

Range<LogEntry> fetch_range(std::shared_ptr<LogScope const> scope, TimePoint since, TimePoint until,
                            Filters filters) {
  struct Plan {
    std::optional<std::vector<logs::LogInterval>> intervals;
    std::size_t next = 0;
  };
  auto plan = std::make_shared<Plan>();
  return batched_range([scope = std::move(scope), since, until, filters = std::move(filters),
                        plan](std::deque<LogEntry>& out) {
    auto& client = *scope->client;
    if (!plan->intervals) {
      plan->intervals =
          logs::plan_fetch(since, until, [&](TimePoint start, TimePoint end, logs::Seconds bucket) {
            pb::AppCountLogsRequest req;
            fill_scope(req, *scope);
            req.set_search_text(filters.search_text);
            *req.mutable_since() = to_proto(start);
            *req.mutable_until() = to_proto(end);
            req.set_bucket_secs(static_cast<std::uint32_t>(bucket.count()));
            req.set_source(filters.source);
            return logs::buckets_to_ranges(client.call(rpc::AppCountLogs, req), bucket);
          });
    }
    if (plan->next >= plan->intervals->size()) return false;
    auto const& interval = (*plan->intervals)[plan->next++];
    pb::AppFetchLogsRequest req;
    fill_scope(req, *scope);
    *req.mutable_since() = to_proto(interval.since);
    *req.mutable_until() = to_proto(interval.until);
    req.set_limit(logs::kMaxFetchEntries);
    req.set_source(filters.source);
    req.set_search_text(filters.search_text);
    append_batches(client.call(rpc::AppFetchLogs, req).batches(), scope->object_id(), out);
    return plan->next < plan->intervals->size();
  });
}

Range<LogEntry> tail_range(std::shared_ptr<LogScope const> scope, int entries,
                           pb::FileDescriptor source) {
  auto done = std::make_shared<bool>(false);
  return batched_range(
      [scope = std::move(scope), entries, source, done](std::deque<LogEntry>& out) {
        if (*done) return false;
        *done = true;
        auto const until = std::chrono::system_clock::now();
        for (std::size_t i = 0; i < kTailLookbacks.size(); ++i) {
          pb::AppFetchLogsRequest req;
          fill_scope(req, *scope);
          *req.mutable_since() = to_proto(until - kTailLookbacks[i]);
          *req.mutable_until() = to_proto(until);
          req.set_limit(static_cast<std::uint32_t>(entries));
          req.set_source(source);
          auto resp = scope->client->call(rpc::AppFetchLogs, req);
          int items = 0;
          for (auto const& b : resp.batches()) items += b.items_size();
          if (items < entries && i + 1 < kTailLookbacks.size()) continue;
          append_batches(resp.batches(), scope->object_id(), out);
          break;
        }
        return false;
      });
}

/// FunctionCallGetInfo, asked up to 5 times 1 s apart while the call is not found yet (as
/// Modal's Go SDK), through the shared retry engine.
pb::FunctionCallInfo call_info(LogScope const& scope) {
  pb::FunctionCallGetInfoRequest req;
  req.set_function_id(scope.function_id);
  req.set_function_call_id(scope.function_call_id);
  internal::CallOptions opts;
  opts.not_found = "Function call '" + scope.function_call_id + "' not found";
  opts.adjust_policy = [](internal::RetryPolicy& policy) {
    policy.max_retries = kCallInfoAttempts - 1;
    policy.initial_delay = kCallPollInterval;
    policy.factor = 1;
    policy.max_delay = kCallPollInterval;
    policy.retryable = [](grpc::Status const& status) {
      return status.error_code() == grpc::StatusCode::NOT_FOUND ||
             internal::is_retryable(status.error_code());
    };
  };
  return scope.client->call(rpc::FunctionCallGetInfo, req, opts).info();
}

/// Whether every input of the call finished; false when that cannot be told now
/// (NOT_FOUND, RESOURCE_EXHAUSTED, transient failures). @throws other failures.
bool call_finished(LogScope const& scope) {
  pb::FunctionCallGetInfoRequest req;
  req.set_function_id(scope.function_id);
  req.set_function_call_id(scope.function_call_id);
  pb::FunctionCallGetInfoResponse resp;
  auto status = scope.client->try_call(rpc::FunctionCallGetInfo, req, &resp);
  if (!status.ok()) {
    auto const code = status.error_code();
    if (code == grpc::StatusCode::NOT_FOUND || code == grpc::StatusCode::RESOURCE_EXHAUSTED ||
        internal::is_retryable(code)) {
      return false;
    }
    internal::throw_rpc_error(status, rpc::FunctionCallGetInfo.name);
  }
  auto const& info = resp.info();
  auto const terminal = info.succeeded_inputs().total() + info.failed_inputs().total() +
                        info.timeout_inputs().total() + info.cancelled_inputs().total();
  return info.total_inputs() > 0 && terminal == info.total_inputs();
}

/**
 * One stream(): a producer thread follows AppGetLogs (a ResumableStream reopened at the
 * last entry id) into a queue; the range pops from it, ending after the idle timeout,
 * app_done, or (for a call) once the call finished and a last drain was read.
 */
class LogStream {
 public:
  LogStream(std::shared_ptr<LogScope const> scope, std::optional<std::chrono::milliseconds> idle,
            bool until_call_finished)
      : scope_(std::move(scope)), idle_(idle), until_call_finished_(until_call_finished) {}
  ~LogStream() { stop_producer(); }
  LogStream(LogStream const&) = delete;
  LogStream& operator=(LogStream const&) = delete;

  std::optional<LogEntry> next() {
    if (idle_ && idle_->count() <= 0) return std::nullopt;
    auto const now = Clock::now();
    if (!started_) {
      started_ = true;
      producer_ = std::thread([this] { produce(); });
      if (idle_) idle_deadline_ = now + *idle_;
      next_check_ = now;  // the call may have finished already
    }
    std::unique_lock lock(mu_);
    while (true) {
      if (!queue_.empty()) {
        LogEntry e = std::move(queue_.front());
        queue_.pop_front();
        cv_.notify_all();  // room for the producer
        if (idle_) idle_deadline_ = Clock::now() + *idle_;
        return e;
      }
      if (error_) {
        auto e = std::exchange(error_, nullptr);
        finished_ = true;
        std::rethrow_exception(e);
      }
      if (finished_ || producer_ended_) {
        finished_ = true;
        return std::nullopt;
      }
      auto const t = Clock::now();
      if (idle_deadline_ && t >= *idle_deadline_) {
        lock.unlock();
        stop_producer();
        lock.lock();
        if (!queue_.empty()) continue;  // arrived meanwhile
        finished_ = true;
        return std::nullopt;
      }
      if (until_call_finished_ && t >= next_check_) {
        lock.unlock();
        bool const done = call_finished(*scope_);
        next_check_ = Clock::now() + kCallPollInterval;
        if (done) {
          stop_producer();
          drain();
        }
        lock.lock();
        if (done) finished_ = true;  // after what is queued
        continue;
      }
      auto wake = until_call_finished_ ? next_check_ : Clock::time_point::max();
      if (idle_deadline_) wake = std::min(wake, *idle_deadline_);
      if (wake == Clock::time_point::max()) {
        cv_.wait(lock);
      } else {
        cv_.wait_until(lock, wake);
      }
    }
  }

 private:
  pb::AppGetLogsRequest request(float timeout) {
    pb::AppGetLogsRequest req;
    req.set_app_id(scope_->app_id);
    req.set_timeout(timeout);
    req.set_function_id(scope_->function_id);
    req.set_function_call_id(scope_->function_call_id);
    std::lock_guard lock(mu_);
    req.set_last_entry_id(last_entry_id_);
    return req;
  }

  /// Queues a batch's entries (the producer waits while the queue is full, until `stop`);
  /// false after app_done.
  bool on_batch(pb::TaskLogsBatch& batch, std::stop_token const* stop) {
    std::unique_lock lock(mu_);
    if (!batch.entry_id().empty()) last_entry_id_ = batch.entry_id();
    for (auto const& item : batch.items()) {
      if (item.data().empty()) continue;
      queue_.push_back(logs::to_entry(item, batch, scope_->object_id()));
    }
    cv_.notify_all();
    if (batch.app_done()) return false;
    if (stop == nullptr) return true;  // the drain, on the consumer's thread
    cv_.wait(lock, [&] { return queue_.size() < kMaxQueuedEntries || stop->stop_requested(); });
    return !stop->stop_requested();
  }

  void produce() {
    auto const stop = stop_.get_token();
    std::stop_callback wake(stop, [this] {
      std::lock_guard lock(mu_);
      cv_.notify_all();
    });
    internal::CallOptions opts;
    opts.control.stop = stop;
    std::exception_ptr error;
    try {
      scope_->client->pipeline().stream(
          rpc::AppGetLogs, [&] { return request(kStreamRpcTimeoutSecs); },
          internal::CleanEnd::kReopen,
          [&](pb::TaskLogsBatch& batch) { return on_batch(batch, &stop); }, opts);
    } catch (...) {
      if (!stop.stop_requested()) error = std::current_exception();
    }
    std::lock_guard lock(mu_);
    if (error) error_ = error;
    producer_ended_ = true;
    cv_.notify_all();
  }

  /// The call finished: what arrived since the last entry id, once.
  void drain() {
    scope_->client->pipeline().stream(
        rpc::AppGetLogs, [&] { return request(kStreamDrainTimeoutSecs); },
        internal::CleanEnd::kFinished,
        [&](pb::TaskLogsBatch& batch) { return on_batch(batch, nullptr); });
  }

  void stop_producer() {
    stop_.request_stop();
    if (producer_.joinable()) producer_.join();
  }

  std::shared_ptr<LogScope const> const scope_;
  std::optional<std::chrono::milliseconds> const idle_;
  bool const until_call_finished_;
  std::optional<Clock::time_point> idle_deadline_;
  Clock::time_point next_check_{};
  std::stop_source stop_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<LogEntry> queue_;   // guarded by mu_
  std::string last_entry_id_;    // guarded by mu_
  std::exception_ptr error_;     // guarded by mu_
  bool producer_ended_ = false;  // guarded by mu_
  bool started_ = false;         // the producer was started
  bool finished_ = false;        // the range's end was reached
  std::thread producer_;         // last: joined before the members above go
};

Range<LogEntry> stream_range(std::shared_ptr<LogScope const> scope,
                             std::optional<std::chrono::milliseconds> idle,
                             bool until_call_finished) {
  auto stream = std::make_shared<LogStream>(std::move(scope), idle, until_call_finished);
  return Range<LogEntry>([stream] { return stream->next(); });
}

}  // namespace

Range<LogEntry> FunctionLogs::fetch(std::chrono::system_clock::time_point since,
                                    FunctionLogFetchParams const& params) const {
  Filters filters{logs::source_descriptor(params.source), params.search_text};
  auto const until = params.until.value_or(std::chrono::system_clock::now());
  logs::check_fetch_range(since, until);
  check_scope(*scope_);
  return fetch_range(scope_, since, until, std::move(filters));
}

Range<LogEntry> FunctionLogs::tail(LogTailParams const& params) const {
  int const entries = logs::tail_entries(params.entries);
  auto const source = logs::source_descriptor(params.source);
  check_scope(*scope_);
  return tail_range(scope_, entries, source);
}

Range<LogEntry> FunctionLogs::stream(LogStreamParams const& params) const {
  check_scope(*scope_);
  return stream_range(scope_, params.timeout, false);
}

Range<LogEntry> FunctionCallLogs::fetch(FunctionCallLogFetchParams const& params) const {
  Filters filters{logs::source_descriptor(params.source), params.search_text};
  check_scope(*scope_);
  auto until = params.until.value_or(std::chrono::system_clock::now());
  TimePoint since;
  if (params.since) {
    since = *params.since;
  } else {
    since = unix_time(call_info(*scope_).created_at());
    if (!params.until && since > until) until = since;
  }
  logs::check_fetch_range(since, until);
  return fetch_range(scope_, since, until, std::move(filters));
}

Range<LogEntry> FunctionCallLogs::tail(LogTailParams const& params) const {
  int const entries = logs::tail_entries(params.entries);
  auto const source = logs::source_descriptor(params.source);
  check_scope(*scope_);
  return tail_range(scope_, entries, source);
}

Range<LogEntry> FunctionCallLogs::stream(LogStreamParams const& params) const {
  check_scope(*scope_);
  return stream_range(scope_, params.timeout, true);
}

FunctionLogs Function::logs() const {
  return FunctionLogs(std::make_shared<LogScope const>(
      LogScope{state_->client, state_->metadata.app_id(), state_->function_id, {}}));
}

FunctionCallLogs FunctionCall::logs() const {
  return FunctionCallLogs(
      std::make_shared<LogScope const>(LogScope{client_, app_id_, function_id_, id_}));
}

}  // namespace modal
