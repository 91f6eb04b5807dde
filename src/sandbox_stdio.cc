// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// A Sandbox entrypoint's stdio on the control plane: SandboxGetLogs and SandboxStdinWrite.
#include "internal/sandbox_stdio.h"

#include <cstdint>

#include "internal/byte_pump.h"
#include "internal/client_state.h"
#include "modal/errors.h"

namespace modal::internal {
namespace {

constexpr float kLogsTimeoutSecs = 55;
constexpr std::size_t kMaxStdinChunk = std::size_t{1} << 20;

class SandboxLogSource final : public ByteSource {
 public:
  SandboxLogSource(std::shared_ptr<ClientState> client, std::shared_ptr<CancelScope> scope,
                   std::string sandbox_id, bool err)
      : client_(std::move(client)),
        scope_(std::move(scope)),
        sandbox_id_(std::move(sandbox_id)),
        fd_(err ? modal::client::FILE_DESCRIPTOR_STDERR : modal::client::FILE_DESCRIPTOR_STDOUT),
        pump_([this](BytePump& pump, std::stop_token stop) { produce(pump, std::move(stop)); }) {}

  bool next(std::string& out) override { return pump_.next(out); }
  Next next_until(std::string& out, Clock::time_point deadline) override {
    return pump_.next_until(out, deadline);
  }

 private:
  void produce(BytePump& pump, std::stop_token stop) {
    std::string last_entry_id = "0-0";
    CallOptions opts;
    opts.scope = scope_.get();
    opts.control.stop = std::move(stop);
    client_->pipeline().stream(
        rpc::SandboxGetLogs,
        [&] {
          modal::client::SandboxGetLogsRequest req;
          req.set_sandbox_id(sandbox_id_);
          req.set_file_descriptor(fd_);
          req.set_timeout(kLogsTimeoutSecs);
          req.set_last_entry_id(last_entry_id);
          return req;
        },
        CleanEnd::kReopen,
        [&](modal::client::TaskLogsBatch& batch) {
          if (!batch.entry_id().empty()) last_entry_id = batch.entry_id();
          for (auto& item : *batch.mutable_items()) {
            if (!pump.deliver(*item.mutable_data())) return false;
          }
          return !batch.eof();
        },
        opts);
  }

  std::shared_ptr<ClientState> const client_;
  std::shared_ptr<CancelScope> const scope_;
  std::string const sandbox_id_;
  modal::client::FileDescriptor const fd_;
  BytePump pump_;  // last: its thread stops before the members above go
};

class SandboxStdinSink final : public ByteSink {
 public:
  SandboxStdinSink(std::shared_ptr<ClientState> client, std::shared_ptr<CancelScope> scope,
                   std::string sandbox_id)
      : client_(std::move(client)), scope_(std::move(scope)), sandbox_id_(std::move(sandbox_id)) {}

  void write(std::string_view data) override {
    while (!data.empty()) {
      auto const n = std::min(data.size(), kMaxStdinChunk);
      modal::client::SandboxStdinWriteRequest req;
      req.set_sandbox_id(sandbox_id_);
      req.set_input(std::string(data.substr(0, n)));
      req.set_index(index_);
      // Retries resend the same index, which the server applies once.
      client_->call(rpc::SandboxStdinWrite, req, options());
      ++index_;
      data.remove_prefix(n);
    }
  }

  void close() override {
    modal::client::SandboxStdinWriteRequest req;
    req.set_sandbox_id(sandbox_id_);
    req.set_index(index_);
    req.set_eof(true);
    modal::client::SandboxStdinWriteResponse resp;
    auto status = client_->try_call(rpc::SandboxStdinWrite, req, &resp, options());
    // The Sandbox already finished: its stdin is closed anyway.
    if (status.ok() || status.error_code() == grpc::StatusCode::FAILED_PRECONDITION) return;
    throw_rpc_error(status, rpc::SandboxStdinWrite.name);
  }

 private:
  CallOptions options() const {
    CallOptions opts;
    opts.scope = scope_.get();
    return opts;
  }

  std::shared_ptr<ClientState> const client_;
  std::shared_ptr<CancelScope> const scope_;
  std::string const sandbox_id_;
  std::uint32_t index_ = 1;
};

}  // namespace

std::unique_ptr<ByteSource> make_sandbox_log_source(std::shared_ptr<ClientState> client,
                                                    std::shared_ptr<CancelScope> scope,
                                                    std::string sandbox_id, bool stderr_stream) {
  return std::make_unique<SandboxLogSource>(std::move(client), std::move(scope),
                                            std::move(sandbox_id), stderr_stream);
}

std::unique_ptr<ByteSink> make_sandbox_stdin_sink(std::shared_ptr<ClientState> client,
                                                  std::shared_ptr<CancelScope> scope,
                                                  std::string sandbox_id) {
  return std::make_unique<SandboxStdinSink>(std::move(client), std::move(scope),
                                            std::move(sandbox_id));
}

}  // namespace modal::internal
