// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "router/container_registry.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "server/ids.h"

namespace modal::emulator {
namespace {

using modal::client::GenericResult;

GenericResult sidecar_result(runtime::SandboxResult const& r) {
  GenericResult out;
  if (r.outcome == runtime::SandboxOutcome::kExited) {
    out.set_exitcode(r.exit_code());
    if (r.exit_code() == 0) {
      out.set_status(GenericResult::GENERIC_STATUS_SUCCESS);
    } else {
      out.set_status(GenericResult::GENERIC_STATUS_FAILURE);
      out.set_exception(absl::StrCat("Sidecar container exited with code ", r.exit_code()));
    }
    return out;
  }
  // A sidecar has no timeouts of its own: terminated, or killed with its Sandbox.
  out.set_status(GenericResult::GENERIC_STATUS_TERMINATED);
  out.set_exitcode(137);
  out.set_exception("Sidecar container terminated");
  return out;
}

}  // namespace

SidecarRecord::SidecarRecord(std::string id, std::string name, std::string task_id,
                             std::string image_id, std::shared_ptr<runtime::Sandbox> sandbox)
    : id(std::move(id)),
      name(std::move(name)),
      task_id(std::move(task_id)),
      image_id(std::move(image_id)),
      sandbox_(std::move(sandbox)) {}

SidecarRecord::SidecarRecord(std::string id, std::string name, std::string task_id,
                             std::string image_id, GenericResult failed)
    : id(std::move(id)),
      name(std::move(name)),
      task_id(std::move(task_id)),
      image_id(std::move(image_id)),
      failed_(std::move(failed)) {}

std::optional<GenericResult> SidecarRecord::result() const {
  if (failed_) return failed_;
  if (auto r = sandbox_->result()) return sidecar_result(*r);
  return std::nullopt;
}

std::optional<GenericResult> SidecarRecord::wait(runtime::Deadline deadline) const {
  if (failed_) return failed_;
  if (auto r = sandbox_->wait(deadline)) return sidecar_result(*r);
  return std::nullopt;
}

void SidecarRecord::terminate() const {
  if (sandbox_ != nullptr) sandbox_->terminate();
}

absl::StatusOr<std::shared_ptr<SidecarRecord>> ContainerRegistry::create(std::string const& task_id,
                                                                         std::string const& name,
                                                                         Starter const& start) {
  std::lock_guard create_lock(create_mu_);
  if (auto running = find_by_name(task_id, name, /*include_terminated=*/false)) {
    return absl::AlreadyExistsError(absl::StrCat("a container named '", name,
                                                 "' is already running in task '", task_id, "' (",
                                                 running->id, ")"));
  }
  auto rec = start(new_id("ctr"));
  if (!rec.ok()) return rec.status();
  std::lock_guard lock(mu_);
  by_task_[task_id].push_back(*rec);
  return rec;
}

std::shared_ptr<SidecarRecord> ContainerRegistry::find(std::string_view task_id,
                                                       std::string_view id) const {
  std::lock_guard lock(mu_);
  auto it = by_task_.find(task_id);
  if (it == by_task_.end()) return nullptr;
  for (auto const& rec : it->second) {
    if (rec->id == id) return rec;
  }
  return nullptr;
}

std::shared_ptr<SidecarRecord> ContainerRegistry::find_by_name(std::string_view task_id,
                                                               std::string_view name,
                                                               bool include_terminated) const {
  std::lock_guard lock(mu_);
  auto it = by_task_.find(task_id);
  if (it == by_task_.end()) return nullptr;
  std::shared_ptr<SidecarRecord> newest_finished;
  auto const& all = it->second;
  for (std::size_t i = all.size(); i-- > 0;) {  // newest first
    auto const& r = all[i];
    if (r->name != name) continue;
    if (!r->finished()) return r;
    if (newest_finished == nullptr) newest_finished = r;
  }
  return include_terminated ? newest_finished : nullptr;
}

std::vector<std::shared_ptr<SidecarRecord>> ContainerRegistry::list(std::string_view task_id,
                                                                    bool include_terminated) const {
  std::vector<std::shared_ptr<SidecarRecord>> out;
  std::lock_guard lock(mu_);
  auto it = by_task_.find(task_id);
  if (it == by_task_.end()) return out;
  for (auto const& rec : it->second) {
    if (include_terminated || !rec->finished()) out.push_back(rec);
  }
  return out;
}

}  // namespace modal::emulator
