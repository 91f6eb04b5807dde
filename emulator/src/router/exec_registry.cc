// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "router/exec_registry.h"

namespace modal::emulator {

ExecRecord::ExecRecord(std::string task_id, std::string exec_id,
                       std::shared_ptr<runtime::Process> process)
    : task_id_(std::move(task_id)), exec_id_(std::move(exec_id)), process_(std::move(process)) {}

ExecRecord::ExecRecord(std::string task_id, std::string exec_id, int exit_code,
                       std::string const& message)
    : task_id_(std::move(task_id)),
      exec_id_(std::move(exec_id)),
      out_(std::make_shared<runtime::OutputBuffer>()),
      err_(std::make_shared<runtime::OutputBuffer>()),
      in_(std::make_shared<runtime::InputSink>()) {
  out_->close();
  err_->write(message);
  err_->close();
  in_->mark_closed(/*broken=*/true);
  runtime::ExitStatus status;
  status.code = exit_code;
  fixed_status_ = status;
}

runtime::OutputBuffer& ExecRecord::output(bool stderr_stream) const {
  if (process_) return stderr_stream ? process_->stderr_buffer() : process_->stdout_buffer();
  return stderr_stream ? *err_ : *out_;
}

runtime::InputSink& ExecRecord::input() const { return process_ ? process_->stdin_sink() : *in_; }

std::optional<runtime::ExitStatus> ExecRecord::wait(runtime::Deadline deadline) const {
  if (!process_) return fixed_status_;
  return process_->wait(deadline);
}

std::optional<runtime::ExitStatus> ExecRecord::poll() const {
  if (!process_) return fixed_status_;
  return process_->poll();
}

void ExecRecord::kill() const {
  if (process_) process_->kill();
}

absl::StatusOr<std::shared_ptr<ExecRecord>> ExecRegistry::get_or_start(std::string const& task_id,
                                                                       std::string const& exec_id,
                                                                       Starter const& start) {
  if (auto existing = find(task_id, exec_id)) return existing;
  std::lock_guard start_lock(start_mu_);
  if (auto existing = find(task_id, exec_id)) return existing;  // a concurrent retry won
  auto rec = start();
  if (!rec.ok()) return rec.status();
  std::lock_guard lock(mu_);
  execs_[{task_id, exec_id}] = *rec;
  return *rec;
}

std::shared_ptr<ExecRecord> ExecRegistry::find(std::string_view task_id,
                                               std::string_view exec_id) const {
  std::lock_guard lock(mu_);
  auto it = execs_.find(std::make_pair(std::string(task_id), std::string(exec_id)));
  return it == execs_.end() ? nullptr : it->second;
}

std::size_t ExecRegistry::size() const {
  std::lock_guard lock(mu_);
  return execs_.size();
}

}  // namespace modal::emulator
