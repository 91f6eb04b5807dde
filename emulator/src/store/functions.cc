// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "store/functions.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/ids.h"

namespace modal::emulator {
namespace {

constexpr auto kWaitSlice = std::chrono::milliseconds(100);

using modal::client::GenericResult;

double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

absl::Status function_not_found(std::string_view id) {
  return absl::NotFoundError(absl::StrCat("Function '", std::string(id), "' not found"));
}

absl::Status call_not_found(std::string_view id) {
  return absl::NotFoundError(absl::StrCat("Function call '", std::string(id), "' not found"));
}

/// "ij.<call id>.<idx>.<attempt>" -> its parts.
struct InputToken {
  std::string call_id;
  int idx = 0;
  int attempt = 0;
};
std::optional<InputToken> parse_input_jwt(std::string_view jwt) {
  std::vector<std::string> parts = absl::StrSplit(std::string(jwt), '.');
  InputToken t;
  if (parts.size() != 4 || parts[0] != "ij" || !absl::SimpleAtoi(parts[2], &t.idx) ||
      !absl::SimpleAtoi(parts[3], &t.attempt)) {
    return std::nullopt;
  }
  t.call_id = parts[1];
  return t;
}

/// The <n> of "<n>-<seq>" (0 for "" and malformed ids).
std::uint64_t entry_of(std::string_view id) {
  std::uint64_t n = 0;
  auto dash = id.find('-');
  if (!absl::SimpleAtoi(std::string(id.substr(0, dash)), &n)) return 0;
  return n;
}

}  // namespace

std::string FunctionStore::input_jwt(Call const& call, Input const& in) {
  return absl::StrCat("ij.", call.id, ".", in.idx, ".", in.attempt);
}

absl::StatusOr<std::string> FunctionStore::add(FunctionDef def) {
  if (def.id.empty()) def.id = new_id("fu");
  std::lock_guard lock(mu_);
  for (auto const& [id, d] : defs_) {
    if (d->app == def.app && d->tag == def.tag &&
        (d->environment.empty() || def.environment.empty() || d->environment == def.environment)) {
      return absl::InvalidArgumentError(
          absl::StrCat("Function '", def.app, "/", def.tag, "' is defined twice"));
    }
  }
  if (def.app_id.empty()) {
    auto [it, added] = app_ids_.try_emplace(def.app);
    if (added) it->second = new_id("ap");
    def.app_id = it->second;
  }
  std::string id = def.id;
  defs_.emplace(id, std::make_shared<FunctionDef const>(std::move(def)));
  return id;
}

absl::StatusOr<std::shared_ptr<FunctionDef const>> FunctionStore::lookup(
    std::string_view environment, std::string_view app, std::string_view tag) const {
  std::lock_guard lock(mu_);
  for (auto const& [id, d] : defs_) {
    if (d->app == app && d->tag == tag &&
        (d->environment.empty() || d->environment == environment)) {
      return d;
    }
  }
  return absl::NotFoundError(
      absl::StrCat("Function '", std::string(app), "/", std::string(tag), "' not found"));
}

bool FunctionStore::knows_app(std::string_view app_id) const {
  std::lock_guard lock(mu_);
  return std::any_of(defs_.begin(), defs_.end(),
                     [&](auto const& d) { return d.second->app_id == app_id; });
}

absl::StatusOr<FunctionTarget> FunctionStore::target_locked(std::string_view function_id) const {
  if (auto it = defs_.find(function_id); it != defs_.end()) return FunctionTarget{it->second, {}};
  if (auto it = bound_.find(function_id); it != bound_.end()) {
    auto def = defs_.find(it->second.parent_id);
    if (def == defs_.end()) return function_not_found(function_id);
    return FunctionTarget{def->second, it->second};
  }
  return function_not_found(function_id);
}

absl::StatusOr<FunctionTarget> FunctionStore::target(std::string_view function_id) const {
  std::lock_guard lock(mu_);
  return target_locked(function_id);
}

absl::StatusOr<std::string> FunctionStore::bind(std::string_view function_id,
                                                std::map<std::string, modal::Value> params,
                                                std::map<std::string, std::string> env,
                                                modal::client::FunctionOptions options) {
  std::lock_guard lock(mu_);
  if (defs_.find(function_id) == defs_.end()) return function_not_found(function_id);
  BoundFunction b{new_id("fu"), std::string(function_id), std::move(params), std::move(env),
                  std::move(options)};
  std::string id = b.id;
  bound_.emplace(id, std::move(b));
  return id;
}

absl::StatusOr<MappedCall> FunctionStore::map(std::string_view function_id,
                                              std::vector<NewInput> inputs, int invocation_type) {
  std::lock_guard lock(mu_);
  auto target = target_locked(function_id);
  if (!target.ok()) return target.status();
  auto call = std::make_shared<Call>();
  call->id = new_id("fc");
  call->jwt = "cj." + call->id;
  call->function_id = std::string(function_id);
  call->def_id = target->def->id;
  call->invocation_type = invocation_type;
  call->created_at = wall_seconds();
  MappedCall out{call->id, call->jwt, {}, {}};
  int idx = 0;
  for (auto& ni : inputs) {
    Input in;
    in.idx = idx++;
    in.input_id = new_id("in");
    in.payload = std::move(ni.payload);
    in.data_format = ni.data_format;
    in.method = std::move(ni.method);
    in.seq = next_seq_++;
    out.input_ids.push_back(in.input_id);
    out.input_jwts.push_back(input_jwt(*call, in));
    call->inputs.push_back(std::move(in));
  }
  call_by_jwt_.emplace(call->jwt, call->id);
  calls_.emplace(call->id, std::move(call));
  return out;
}

std::uint32_t FunctionStore::max_containers_locked(std::string const& function_id) const {
  if (auto it = scheduling_.find(function_id);
      it != scheduling_.end() && it->second.settings.has_max_containers()) {
    return it->second.settings.max_containers();
  }
  if (auto it = bound_.find(function_id); it != bound_.end()) {
    if (it->second.options.has_concurrency_limit()) return it->second.options.concurrency_limit();
    return max_containers_locked(it->second.parent_id);
  }
  return 0;
}

std::vector<FunctionWork> FunctionStore::claim() {
  std::lock_guard lock(mu_);
  std::vector<FunctionWork> out;
  if (shutting_down_) return out;
  std::vector<std::pair<std::uint64_t, std::pair<Call*, Input*>>> pending;
  for (auto& [id, call] : calls_) {
    for (auto& in : call->inputs) {
      if (in.state == State::kPending) pending.push_back({in.seq, {call.get(), &in}});
    }
  }
  std::sort(pending.begin(), pending.end(),
            [](auto const& a, auto const& b) { return a.first < b.first; });
  std::size_t running = 0;
  for (auto const& [id, sched] : scheduling_) running += sched.running;
  for (auto& [seq, ci] : pending) {
    if (running >= kMaxConcurrentRuns) break;
    auto [call, in] = ci;
    std::uint32_t const max = max_containers_locked(call->function_id);
    Scheduling& sched = scheduling_[call->function_id];
    if (max != 0 && sched.running >= max) continue;
    auto target = target_locked(call->function_id);
    if (!target.ok()) continue;
    ++sched.running;
    ++running;
    in->state = State::kRunning;
    in->started_at = wall_seconds();
    in->stop = std::make_shared<std::stop_source>();
    FunctionWork w;
    w.call_id = call->id;
    w.input_id = in->input_id;
    w.app_id = target->def->app_id;
    w.function_id = call->function_id;
    w.idx = in->idx;
    w.attempt = in->attempt;
    w.body = target->def->body;
    w.invocation.function_id = target->def->id;
    w.invocation.method = in->method;
    w.invocation.payload = in->payload;
    w.invocation.data_format = in->data_format;
    if (target->bound) {
      w.invocation.params = target->bound->params;
      w.invocation.env = target->bound->env;
    }
    w.stop = in->stop->get_token();
    out.push_back(std::move(w));
  }
  return out;
}

void FunctionStore::record_locked(Call& call, Input& in, FunctionOutcome outcome) {
  if (auto it = fail_next_.find(call.def_id);
      it != fail_next_.end() && it->second > 0 &&
      outcome.status != GenericResult::GENERIC_STATUS_TERMINATED) {
    --it->second;
    outcome = FunctionOutcome::failed(GenericResult::GENERIC_STATUS_INTERNAL_FAILURE,
                                      "injected internal failure");
  }
  in.state = State::kDone;
  in.final_status = outcome.status;
  in.stop.reset();
  Output o;
  o.entry = call.next_entry++;
  o.idx = in.idx;
  o.attempt = in.attempt;
  o.input_id = in.input_id;
  o.result.set_status(static_cast<GenericResult::GenericStatus>(outcome.status));
  if (outcome.status == GenericResult::GENERIC_STATUS_SUCCESS) {
    if (!outcome.data_blob_id.empty()) {
      o.result.set_data_blob_id(std::move(outcome.data_blob_id));
    } else {
      o.result.set_data(std::move(outcome.data));
    }
    o.data_format = outcome.data_format;
  } else {
    o.result.set_exception(std::move(outcome.exception));
    o.result.set_traceback(std::move(outcome.traceback));
    o.data_format = modal::client::DATA_FORMAT_UNSPECIFIED;
  }
  o.started_at = in.started_at;
  o.created_at = wall_seconds();
  o.retry_count = in.retry_count;
  call.outputs.push_back(std::move(o));
  call.cv.notify_all();
}

void FunctionStore::finish(std::string const& call_id, int idx, int attempt,
                           FunctionOutcome outcome) {
  std::lock_guard lock(mu_);
  auto call = find_call_locked(call_id);
  if (call == nullptr) return;
  auto& sched = scheduling_[call->function_id];
  if (sched.running > 0) --sched.running;
  if (idx < 0 || idx >= static_cast<int>(call->inputs.size())) return;
  Input& in = call->inputs[static_cast<std::size_t>(idx)];
  if (in.attempt != attempt || in.state != State::kRunning) return;  // stale
  if (call->cancelled) {
    outcome = FunctionOutcome::failed(GenericResult::GENERIC_STATUS_TERMINATED,
                                      "Function call was cancelled");
  }
  record_locked(*call, in, std::move(outcome));
}

std::shared_ptr<FunctionStore::Call> FunctionStore::find_call_locked(std::string_view id) const {
  auto it = calls_.find(id);
  return it == calls_.end() ? nullptr : it->second;
}

absl::StatusOr<FunctionStore::Outputs> FunctionStore::outputs(
    std::string_view call_id, std::string_view last_entry_id, int max_values,
    std::vector<std::string> const& input_jwts, bool clear_on_success, Clock::time_point deadline,
    Cancelled const& cancelled) {
  std::vector<InputToken> wanted;
  for (auto const& jwt : input_jwts) {
    auto t = parse_input_jwt(jwt);
    if (!t || t->call_id != call_id) {
      return absl::InvalidArgumentError(absl::StrCat("invalid input jwt '", std::string(jwt), "'"));
    }
    wanted.push_back(*t);
  }
  std::uint64_t const after = entry_of(last_entry_id);
  std::size_t const max = static_cast<std::size_t>(std::max(1, max_values));
  std::unique_lock lock(mu_);
  auto call = find_call_locked(call_id);
  if (call == nullptr) return call_not_found(call_id);
  auto matches = [&](Output const& o) {
    if (o.entry <= after) return false;
    if (wanted.empty()) return true;
    return std::any_of(wanted.begin(), wanted.end(), [&](InputToken const& t) {
      return t.idx == o.idx && t.attempt == o.attempt;
    });
  };
  while (true) {
    if (std::any_of(call->outputs.begin(), call->outputs.end(), matches)) break;
    if (shutting_down_ || (cancelled && cancelled())) break;
    auto const now = Clock::now();
    if (now >= deadline) break;
    call->cv.wait_until(lock, std::min(deadline, now + kWaitSlice));
  }
  Outputs out;
  for (auto it = call->outputs.begin(); it != call->outputs.end() && out.items.size() < max;) {
    if (!matches(*it)) {
      ++it;
      continue;
    }
    out.items.push_back(OutputCopy{absl::StrCat(it->entry, "-0"), it->idx, it->input_id, it->result,
                                   it->data_format, it->started_at, it->created_at,
                                   it->retry_count});
    out.last_entry_id = out.items.back().entry_id;
    if (clear_on_success && it->result.status() == GenericResult::GENERIC_STATUS_SUCCESS) {
      it = call->outputs.erase(it);
    } else {
      ++it;
    }
  }
  for (auto const& in : call->inputs) {
    if (in.state != State::kDone) ++out.unfinished;
  }
  return out;
}

absl::StatusOr<std::string> FunctionStore::retry(std::string_view call_jwt,
                                                 std::string_view input_jwt_text, NewInput input,
                                                 std::uint32_t retry_count) {
  auto t = parse_input_jwt(input_jwt_text);
  if (!t) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid input jwt '", std::string(input_jwt_text), "'"));
  }
  std::lock_guard lock(mu_);
  std::shared_ptr<Call> call;
  if (!call_jwt.empty()) {
    auto it = call_by_jwt_.find(call_jwt);
    if (it == call_by_jwt_.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid function call jwt '", std::string(call_jwt), "'"));
    }
    if (it->second != t->call_id) {
      return absl::InvalidArgumentError("the input jwt is not of this function call");
    }
  }
  call = find_call_locked(t->call_id);
  if (call == nullptr) return call_not_found(t->call_id);
  if (t->idx < 0 || t->idx >= static_cast<int>(call->inputs.size())) {
    return absl::InvalidArgumentError("invalid input jwt: no such input");
  }
  Input& in = call->inputs[static_cast<std::size_t>(t->idx)];
  if (in.attempt != t->attempt) {
    return absl::InvalidArgumentError("the input jwt is not of the input's latest attempt");
  }
  if (call->cancelled) return absl::FailedPreconditionError("Function call was cancelled");
  if (in.stop) in.stop->request_stop();
  std::erase_if(call->outputs, [&](Output const& o) { return o.idx == in.idx; });
  ++in.attempt;
  in.retry_count = retry_count;
  in.payload = std::move(input.payload);
  in.data_format = input.data_format;
  in.method = std::move(input.method);
  in.state = State::kPending;
  in.seq = next_seq_++;
  return input_jwt(*call, in);
}

absl::StatusOr<std::string> FunctionStore::call_of_input(std::string_view jwt) const {
  auto t = parse_input_jwt(jwt);
  if (!t) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid attempt token '", std::string(jwt), "'"));
  }
  std::lock_guard lock(mu_);
  if (find_call_locked(t->call_id) == nullptr) return call_not_found(t->call_id);
  return t->call_id;
}

absl::StatusOr<std::string> FunctionStore::call_jwt(std::string_view call_id) const {
  std::lock_guard lock(mu_);
  auto call = find_call_locked(call_id);
  if (call == nullptr) return call_not_found(call_id);
  return call->jwt;
}

absl::StatusOr<FunctionStore::CallInfo> FunctionStore::call_info(std::string_view call_id) const {
  std::lock_guard lock(mu_);
  auto call = find_call_locked(call_id);
  if (call == nullptr) return call_not_found(call_id);
  auto def = defs_.find(call->def_id);
  CallInfo info;
  info.function_id = call->function_id;
  info.num_inputs = static_cast<int>(call->inputs.size());
  if (def != defs_.end()) {
    info.app = def->second->app;
    info.app_id = def->second->app_id;
  }
  info.created_at = call->created_at;
  for (auto const& in : call->inputs) {
    if (in.state != State::kDone) {
      ++info.pending;
      continue;
    }
    switch (in.final_status) {
      case GenericResult::GENERIC_STATUS_SUCCESS:
        ++info.succeeded;
        break;
      case GenericResult::GENERIC_STATUS_TIMEOUT:
        ++info.timed_out;
        break;
      case GenericResult::GENERIC_STATUS_TERMINATED:
        ++info.cancelled;
        break;
      default:
        ++info.failed;
        break;
    }
  }
  return info;
}

absl::Status FunctionStore::cancel(std::string_view call_id) {
  std::lock_guard lock(mu_);
  auto call = find_call_locked(call_id);
  if (call == nullptr) return call_not_found(call_id);
  call->cancelled = true;
  for (auto& in : call->inputs) {
    if (in.state == State::kPending) {
      record_locked(*call, in,
                    FunctionOutcome::failed(GenericResult::GENERIC_STATUS_TERMINATED,
                                            "Function call was cancelled"));
    } else if (in.state == State::kRunning && in.stop) {
      in.stop->request_stop();
    }
  }
  call->cv.notify_all();
  return absl::OkStatus();
}

absl::StatusOr<FunctionStatsCopy> FunctionStore::stats(std::string_view function_id) const {
  std::lock_guard lock(mu_);
  auto target = target_locked(function_id);
  if (!target.ok()) return target.status();
  FunctionStatsCopy s;
  for (auto const& [id, call] : calls_) {
    if (call->function_id != function_id) continue;
    for (auto const& in : call->inputs) {
      if (in.state == State::kPending) ++s.backlog;
      if (in.state == State::kRunning) ++s.running;
    }
  }
  return s;
}

absl::StatusOr<modal::client::AutoscalerSettings> FunctionStore::update_scheduling(
    std::string_view function_id, modal::client::AutoscalerSettings const& settings) {
  std::lock_guard lock(mu_);
  auto target = target_locked(function_id);
  if (!target.ok()) return target.status();
  Scheduling& s = scheduling_[std::string(function_id)];
  s.settings.MergeFrom(settings);
  return s.settings;
}

void FunctionStore::fail_next(std::string const& function_id, int count) {
  std::lock_guard lock(mu_);
  fail_next_[function_id] += std::max(0, count);
}

void FunctionStore::shutdown() {
  std::lock_guard lock(mu_);
  shutting_down_ = true;
  for (auto& [id, call] : calls_) {
    for (auto& in : call->inputs) {
      if (in.stop) in.stop->request_stop();
    }
    call->cv.notify_all();
  }
}

}  // namespace modal::emulator
