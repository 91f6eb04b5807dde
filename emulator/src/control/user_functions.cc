// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "control/user_functions.h"

#include <chrono>
#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"
#include "internal/cbor.h"
#include "runtime/volume_tree.h"
#include "server/core.h"
#include "store/sandbox_registry.h"

namespace modal::emulator {
namespace {

using modal::client::GenericResult;

/// Everything the stream holds (it is closed: the Sandbox finished).
std::string read_all(runtime::OutputBuffer& buffer) {
  std::string out;
  std::uint64_t offset = 0;
  while (true) {
    std::string chunk;
    auto r = buffer.read_into(offset, std::size_t{1} << 20, &chunk,
                              runtime::Clock::now() + std::chrono::seconds(5));
    if (!r.ok() || r->size == 0) break;
    offset = r->offset + r->size;
    out += chunk;
    if (r->eof) break;
  }
  return out;
}

/// Logs the program's stderr as it arrives, line by line (FunctionInvocation::print).
class StderrLogger {
 public:
  StderrLogger(std::shared_ptr<runtime::OutputBuffer> buffer, FunctionInvocation const& inv)
      : buffer_(std::move(buffer)), inv_(inv) {}
  /// Logs the complete lines that arrived; with `final`, the rest too.
  void poll(bool final) {
    if (!inv_.print) return;
    while (true) {
      std::string chunk;
      // Finally: up to the end of the stream (the I/O loop may still be draining the pipe).
      auto const deadline =
          runtime::Clock::now() + (final ? std::chrono::seconds(5) : std::chrono::seconds(0));
      auto r = buffer_->read_into(offset_, std::size_t{1} << 16, &chunk, deadline);
      if (!r.ok() || r->size == 0) break;
      offset_ = r->offset + r->size;
      pending_ += chunk;
      if (r->eof) break;
    }
    auto const nl = pending_.rfind('\n');
    std::size_t const n = final ? pending_.size() : (nl == std::string::npos ? 0 : nl + 1);
    if (n == 0) return;
    inv_.print(modal::client::FILE_DESCRIPTOR_STDERR, std::string_view(pending_).substr(0, n));
    pending_.erase(0, n);
  }

 private:
  std::shared_ptr<runtime::OutputBuffer> const buffer_;
  FunctionInvocation const& inv_;
  std::uint64_t offset_ = 0;
  std::string pending_;
};

FunctionOutcome run(Core& core, std::string const& environment, PreloadedFunction const& spec,
                    FunctionInvocation const& inv, std::stop_token const& stop) {
  if (inv.data_format != modal::client::DATA_FORMAT_CBOR) {
    return FunctionOutcome::failed(GenericResult::GENERIC_STATUS_FAILURE,
                                   "the emulator's Functions take DATA_FORMAT_CBOR inputs only");
  }
  SandboxLaunch launch;
  launch.app_name = spec.app;
  launch.environment = environment;
  if (!spec.image.empty()) {
    // As a Sandbox of Images.from_registry(tag): a mapped tag's root file system, ENV and
    // WORKDIR; an unmapped one keeps the host's userland.
    if (auto mapped = core.images().mapped_registry_tag(spec.image)) {
      launch.image_config = mapped->config;
      launch.env = mapped->config.env;
    }
  }
  for (auto const& name : spec.secrets) {
    auto secret = core.secrets().lookup(environment, name);
    if (!secret.ok()) {
      return FunctionOutcome::failed(GenericResult::GENERIC_STATUS_INIT_FAILURE,
                                     std::string(secret.status().message()));
    }
    for (auto const& [k, v] : secret->env) launch.env[k] = v;
  }
  for (auto const& [k, v] : spec.env) launch.env[k] = v;
  for (auto const& [k, v] : inv.env) launch.env[k] = v;  // the call's bound Secrets
  for (auto const& [path, name] : spec.volumes) {
    auto volume = core.volumes().lookup(environment, name);
    if (!volume.ok()) {
      return FunctionOutcome::failed(GenericResult::GENERIC_STATUS_INIT_FAILURE,
                                     std::string(volume.status().message()));
    }
    auto tree = runtime::open_volume_tree(volume->dir, "", false);
    if (!tree.ok()) {
      return FunctionOutcome::failed(GenericResult::GENERIC_STATUS_INIT_FAILURE,
                                     std::string(tree.status().message()));
    }
    launch.volumes.push_back(runtime::VolumeMount{*std::move(tree), path});
  }
  for (auto const& arg : spec.command) launch.definition.add_entrypoint_args(arg);
  launch.definition.set_timeout_secs(static_cast<std::uint32_t>(spec.timeout.count()));
  auto rec = core.sandboxes().create(std::move(launch));
  if (!rec.ok()) {
    return FunctionOutcome::failed(GenericResult::GENERIC_STATUS_INIT_FAILURE,
                                   std::string(rec.status().message()));
  }
  if (auto rt = (*rec)->runtime(); rt != nullptr) {
    // Index 1: the first (and only) write; blocks while the pipe is full.
    auto st = rt->write_stdin(1, inv.payload, true, runtime::Clock::now() + spec.timeout);
    if (!st.ok()) {
      rt->terminate();
      return FunctionOutcome::failed(
          GenericResult::GENERIC_STATUS_INIT_FAILURE,
          absl::StrCat("cannot write the input to ", spec.command.front(), ": ", st.message()));
    }
  }
  std::optional<GenericResult> result;
  StderrLogger logger((*rec)->log_buffer(true), inv);
  while (!result) {
    result = (*rec)->wait(runtime::Clock::now() + std::chrono::milliseconds(100),
                          [&] { return stop.stop_requested(); });
    logger.poll(result.has_value());
    if (!result && stop.stop_requested()) {
      if (auto rt = (*rec)->runtime(); rt != nullptr) rt->terminate();
      (void)(*rec)->wait(runtime::Clock::now() + std::chrono::seconds(5));
      return FunctionOutcome::failed(GenericResult::GENERIC_STATUS_TERMINATED,
                                     "Function call was cancelled");
    }
    if (!result && core.sandboxes().shutting_down()) {
      return FunctionOutcome::failed(GenericResult::GENERIC_STATUS_TERMINATED,
                                     "the emulator is shutting down");
    }
  }
  std::string out = read_all(*(*rec)->log_buffer(false));
  std::string err = read_all(*(*rec)->log_buffer(true));
  if (result->status() == GenericResult::GENERIC_STATUS_TIMEOUT) {
    return FunctionOutcome::failed(GenericResult::GENERIC_STATUS_TIMEOUT,
                                   absl::StrCat("Function '", spec.app, "/", spec.name,
                                                "' timed out after ", spec.timeout.count(), " s"));
  }
  if (result->status() != GenericResult::GENERIC_STATUS_SUCCESS) {
    while (!err.empty() && (err.back() == '\n' || err.back() == '\r')) err.pop_back();
    FunctionOutcome o = FunctionOutcome::failed(
        GenericResult::GENERIC_STATUS_FAILURE,
        err.empty() ? absl::StrCat(spec.command.front(), " exited with code ", result->exitcode())
                    : err);
    return o;
  }
  try {
    (void)modal::internal::cbor_decode(out);
  } catch (std::exception const& e) {
    return FunctionOutcome::failed(
        GenericResult::GENERIC_STATUS_FAILURE,
        absl::StrCat(spec.command.front(), " wrote no CBOR value on its stdout (", e.what(), ")"));
  }
  return FunctionOutcome::cbor(std::move(out));
}

}  // namespace

FunctionDef user_function(Core& core, std::string const& environment, PreloadedFunction spec) {
  FunctionDef d;
  d.app = spec.app;
  d.tag = spec.name;
  d.environment = environment;
  d.body = [&core, environment, spec = std::move(spec)](FunctionInvocation const& inv,
                                                        std::stop_token const& stop) {
    return run(core, environment, spec, inv, stop);
  };
  return d;
}

}  // namespace modal::emulator
