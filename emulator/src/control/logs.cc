// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// AppCountLogs, AppFetchLogs, AppGetLogs: the App's Functions' logs (store/logs.h).
//
// Every entry is one line a run of an input printed, timestamped when it was printed
// (TaskLogs.timestamp_ns and the float timestamp). Responses group consecutive entries of
// one input into a TaskLogsBatch (task_id, function_id, input_id; entry_id "N-0" is the
// last entry's number). Time ranges are [since, until). AppFetchLogs answers the newest
// `limit` entries of its range (0 = all), in chronological order. AppGetLogs streams the
// entries after last_entry_id ("" = from the oldest kept) until `timeout` (default 55 s,
// at most 60 s) passes, then ends cleanly (the client reconnects from its last entry id);
// once the emulator stops, the last message has app_done. Entries carry no sandbox_id, so
// a sandbox_id filter matches nothing.
#include "control/logs.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "control/log_stream.h"
#include "control/sandboxes.h"
#include "server/call_scope.h"
#include "server/status.h"

namespace modal::emulator {
namespace {

using modal::client::FileDescriptor;

constexpr auto kStreamSlice = std::chrono::milliseconds(200);

std::int64_t to_ns(google::protobuf::Timestamp const& t) {
  return t.seconds() * 1'000'000'000 + t.nanos();
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// OK when `app_id` names an App (AppGetOrCreate's or a deployed Function's).
grpc::Status check_app(Core& core, std::string const& app_id) {
  if (app_id.empty()) return invalid_argument("app_id is required");
  if (core.functions().knows_app(app_id) || core.apps().get(app_id).ok()) return grpc::Status::OK;
  return grpc::Status(grpc::StatusCode::NOT_FOUND, absl::StrCat("App '", app_id, "' not found"));
}

grpc::Status check_source(int fd) {
  switch (fd) {
    case modal::client::FILE_DESCRIPTOR_UNSPECIFIED:
    case modal::client::FILE_DESCRIPTOR_STDOUT:
    case modal::client::FILE_DESCRIPTOR_STDERR:
    case modal::client::FILE_DESCRIPTOR_INFO:
      return grpc::Status::OK;
    default:
      return invalid_argument(absl::StrCat("unsupported log source ", fd));
  }
}

/// The [since, until) of a request: since defaults to the epoch, until to now.
grpc::Status time_range(bool has_since, google::protobuf::Timestamp const& since, bool has_until,
                        google::protobuf::Timestamp const& until, std::int64_t& since_ns,
                        std::int64_t& until_ns) {
  since_ns = has_since ? to_ns(since) : 0;
  until_ns = has_until ? to_ns(until) : now_ns();
  if (until_ns < since_ns) return invalid_argument("until must not be before since");
  return grpc::Status::OK;
}

void fill_item(StoredLog const& e, modal::client::TaskLogs& item) {
  item.set_data(e.data);
  item.set_file_descriptor(static_cast<FileDescriptor>(e.file_descriptor));
  item.set_timestamp_ns(static_cast<std::uint64_t>(e.timestamp_ns));
  item.set_timestamp(static_cast<double>(e.timestamp_ns) / 1e9);
  item.set_function_call_id(e.function_call_id);
  item.set_input_id(e.input_id);
}

/// Consecutive entries of one input in one batch each.
std::vector<modal::client::TaskLogsBatch> to_batches(std::vector<StoredLog> const& entries) {
  std::vector<modal::client::TaskLogsBatch> out;
  for (auto const& e : entries) {
    if (out.empty() || out.back().input_id() != e.input_id ||
        out.back().function_id() != e.function_id || out.back().task_id() != e.task_id) {
      auto& b = out.emplace_back();
      b.set_task_id(e.task_id);
      b.set_function_id(e.function_id);
      b.set_input_id(e.input_id);
    }
    fill_item(e, *out.back().add_items());
    out.back().set_entry_id(entry_id(e.seq));
  }
  return out;
}

}  // namespace

grpc::Status LogHandlers::AppCountLogs(grpc::ServerContext* ctx,
                                       modal::client::AppCountLogsRequest const* req,
                                       modal::client::AppCountLogsResponse* resp) {
  CallScope scope(core_, ctx, "AppCountLogs", Plane::kControl);
  if (!scope.ok()) return scope.status();
  if (req->bucket_secs() == 0) return invalid_argument("bucket_secs must be positive");
  if (auto st = check_source(req->source()); !st.ok()) return st;
  std::int64_t since_ns = 0, until_ns = 0;
  if (auto st = time_range(req->has_since(), req->since(), req->has_until(), req->until(), since_ns,
                           until_ns);
      !st.ok()) {
    return st;
  }
  if (auto st = check_app(core_, req->app_id()); !st.ok()) return st;
  resp->set_app_id(req->app_id());
  if (!req->sandbox_id().empty()) return grpc::Status::OK;
  LogFilter filter{.app_id = req->app_id(),
                   .function_id = req->function_id(),
                   .function_call_id = req->function_call_id(),
                   .task_id = req->task_id(),
                   .file_descriptor = req->source(),
                   .search_text = req->search_text()};
  for (auto const& b : core_.logs().count(filter, since_ns, until_ns, req->bucket_secs())) {
    auto* out = resp->add_buckets();
    out->mutable_bucket_start_at()->set_seconds(b.start_s);
    out->set_stdout_logs(b.stdout_logs);
    out->set_stderr_logs(b.stderr_logs);
    out->set_system_logs(b.system_logs);
  }
  return grpc::Status::OK;
}

grpc::Status LogHandlers::AppFetchLogs(grpc::ServerContext* ctx,
                                       modal::client::AppFetchLogsRequest const* req,
                                       modal::client::AppFetchLogsResponse* resp) {
  CallScope scope(core_, ctx, "AppFetchLogs", Plane::kControl);
  if (!scope.ok()) return scope.status();
  if (auto st = check_source(req->source()); !st.ok()) return st;
  std::int64_t since_ns = 0, until_ns = 0;
  if (auto st = time_range(req->has_since(), req->since(), req->has_until(), req->until(), since_ns,
                           until_ns);
      !st.ok()) {
    return st;
  }
  if (auto st = check_app(core_, req->app_id()); !st.ok()) return st;
  if (!req->sandbox_id().empty()) return grpc::Status::OK;
  LogFilter filter{.app_id = req->app_id(),
                   .function_id = req->function_id(),
                   .function_call_id = req->function_call_id(),
                   .task_id = req->task_id(),
                   .file_descriptor = req->source(),
                   .search_text = req->search_text()};
  for (auto& b : to_batches(core_.logs().fetch(filter, since_ns, until_ns, req->limit()))) {
    *resp->add_batches() = std::move(b);
  }
  return grpc::Status::OK;
}

grpc::Status LogHandlers::AppGetLogs(grpc::ServerContext* ctx,
                                     modal::client::AppGetLogsRequest const* req,
                                     grpc::ServerWriter<modal::client::TaskLogsBatch>* writer) {
  CallScope scope(core_, ctx, "AppGetLogs", Plane::kControl);
  if (!scope.ok()) return scope.status();
  if (auto st = check_source(req->file_descriptor()); !st.ok()) return st;
  auto const start = parse_entry_id(req->last_entry_id());
  if (!start.has_value()) return malformed_entry_id(req->last_entry_id());
  if (auto st = check_app(core_, req->app_id()); !st.ok()) return st;
  LogFilter filter{.app_id = req->app_id(),
                   .function_id = req->function_id().empty() ? req->parametrized_function_id()
                                                             : req->function_id(),
                   .function_call_id = req->function_call_id(),
                   .input_id = req->input_id(),
                   .task_id = req->task_id(),
                   .file_descriptor = req->file_descriptor(),
                   .search_text = req->search_text()};
  bool const no_entries = !req->sandbox_id().empty();
  StreamBreaker breaker(core_.options().stream_break_after);
  auto const deadline = long_poll_deadline(req->timeout() > 0 ? req->timeout() : 55.0f);
  auto const stopped = [&] { return ctx->IsCancelled() || core_.shutting_down(); };
  std::uint64_t last = *start;
  while (true) {
    if (ctx->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
    auto const now = LogStore::Clock::now();
    bool const app_done = core_.shutting_down() || core_.logs().shutting_down();
    if (!app_done && now >= deadline) return grpc::Status::OK;  // the client reconnects
    auto tail =
        core_.logs().wait_after(filter, last, std::min(deadline, now + kStreamSlice), stopped);
    if (no_entries) tail.entries.clear();
    last = tail.last_seq;
    for (auto& batch : to_batches(tail.entries)) {
      if (auto st = breaker.next_message(); !st.ok()) return st;
      if (auto st = write_message(writer, batch); !st.ok()) return st;
    }
    if (tail.entries.empty() && (app_done || tail.app_done)) {
      // Everything was sent: the App stopped (with the emulator).
      modal::client::TaskLogsBatch done;
      done.set_entry_id(entry_id(last));
      done.set_app_done(true);
      if (auto st = breaker.next_message(); !st.ok()) return st;
      return write_message(writer, done);
    }
  }
}

}  // namespace modal::emulator
