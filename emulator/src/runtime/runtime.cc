// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "runtime/runtime.h"

#include <utility>

#include "runtime/core.h"

namespace modal::emulator::runtime {

Runtime::Runtime(RuntimeOptions options)
    : core_(std::make_shared<internal::Core>(std::move(options))) {}

Runtime::~Runtime() { shutdown(); }

absl::StatusOr<std::shared_ptr<Sandbox>> Runtime::create_sandbox(SandboxSpec spec) {
  return core_->create_sandbox(std::move(spec));
}

absl::StatusOr<std::shared_ptr<Process>> Runtime::start_process(ProcessSpec spec) {
  return core_->launch(std::move(spec), internal::Core::Launch{});
}

void Runtime::shutdown() { core_->shutdown(); }

std::optional<bool> Runtime::namespaces_available() const {
  return core_->namespaces_available();
}

std::string const& Runtime::state_dir() const { return core_->state_dir(); }

size_t Runtime::running_process_count() const { return core_->running_process_count(); }

size_t Runtime::running_sandbox_count() const { return core_->running_sandbox_count(); }

}  // namespace modal::emulator::runtime
