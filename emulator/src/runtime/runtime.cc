// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "runtime/runtime.h"

#include <utility>

#include "runtime/engine.h"

namespace modal::emulator::runtime {

Runtime::Runtime(RuntimeOptions options)
    : engine_(std::make_shared<internal::Engine>(std::move(options))) {}

Runtime::~Runtime() { shutdown(); }

absl::StatusOr<std::shared_ptr<Sandbox>> Runtime::create_sandbox(SandboxSpec spec) {
  return engine_->create_sandbox(std::move(spec));
}

absl::StatusOr<std::shared_ptr<Process>> Runtime::start_process(ProcessSpec spec) {
  return engine_->launch(std::move(spec), internal::Engine::Launch{});
}

void Runtime::shutdown() { engine_->shutdown(); }

std::optional<bool> Runtime::namespaces_available() const {
  return engine_->namespaces_available();
}

absl::Status Runtime::resource_limits_status() const { return engine_->resource_limits_status(); }

std::string const& Runtime::state_dir() const { return engine_->state_dir(); }

absl::StatusOr<std::string> Runtime::layer_store() { return engine_->layer_store(); }

size_t Runtime::running_process_count() const { return engine_->running_process_count(); }

size_t Runtime::running_sandbox_count() const { return engine_->running_sandbox_count(); }

}  // namespace modal::emulator::runtime
