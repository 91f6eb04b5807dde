// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// A Sandbox entrypoint's stdio on the control plane: SandboxGetLogs and SandboxStdinWrite.
#include "internal/sandbox_stdio.h"

#include <cstdint>

#include "internal/byte_pump.h"
#include "internal/client_state.h"
#include "internal/resumable_stream.h"
#include "internal/router_client.h"
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

class RouterOutputSource final : public ByteSource {
 public:
  RouterOutputSource(std::shared_ptr<RouterClient> router, std::string sandbox_id, bool err)
      : router_(std::move(router)),
        sandbox_id_(std::move(sandbox_id)),
        fd_(err ? tcr::SANDBOX_STDIO_FILE_DESCRIPTOR_STDERR
                : tcr::SANDBOX_STDIO_FILE_DESCRIPTOR_STDOUT),
        pump_([this](BytePump& pump, std::stop_token stop) { produce(pump, std::move(stop)); }) {}

  bool next(std::string& out) override { return pump_.next(out); }
  Next next_until(std::string& out, Clock::time_point deadline) override {
    return pump_.next_until(out, deadline);
  }

 private:
  void produce(BytePump& pump, std::stop_token stop) {
    auto const& router = router_;
    tcr::SandboxStdioReadV2Request req;
    req.set_task_id(router->task_id());
    req.set_file_descriptor(fd_);
    std::uint64_t offset = 0;  // after the last byte received
    ResumableStream<tcr::SandboxStdioReadV2Response> stream;
    stream.method = rpc::SandboxStdioReadV2.name;
    stream.policy = RetryPolicy::router();
    stream.clean_end = CleanEnd::kFinished;
    stream.open = [&](grpc::ClientContext& ctx) {
      req.set_offset(offset);
      return rpc::SandboxStdioReadV2(router->stub(), ctx, req);
    };
    stream.on_message = [&](tcr::SandboxStdioReadV2Response& msg) {
      if (msg.starting_offset() > offset) {
        router->logger().warn(
            "sandbox {}: {} bytes of its {} were dropped before they were read (the server "
            "retains only the newest output)",
            sandbox_id_, msg.starting_offset() - offset,
            fd_ == tcr::SANDBOX_STDIO_FILE_DESCRIPTOR_STDERR ? "stderr" : "stdout");
      } else if (msg.starting_offset() < offset) {
        // Bytes this client already has (a reopened stream): skip them.
        auto const dup = offset - msg.starting_offset();
        if (dup >= msg.data().size()) return true;
        msg.mutable_data()->erase(0, static_cast<std::size_t>(dup));
        msg.set_starting_offset(offset);
      }
      offset = msg.starting_offset() + msg.data().size();
      return pump.deliver(*msg.mutable_data());
    };
    CallControl control;
    control.stop = std::move(stop);
    auto const status = stream.run(*router, control);
    if (status.ok() || control.stop.stop_requested()) return;
    throw_rpc_error(status, rpc::SandboxStdioReadV2.name);
  }

  std::shared_ptr<RouterClient> const router_;
  std::string const sandbox_id_;
  tcr::SandboxStdioFileDescriptor const fd_;
  BytePump pump_;  // last: its thread stops before the members above go
};

class RouterStdinSink final : public ByteSink {
 public:
  explicit RouterStdinSink(std::shared_ptr<RouterClient> router) : router_(std::move(router)) {}

  void write(std::string_view data) override {
    auto const& router = router_;
    while (!data.empty()) {
      auto const n = std::min(data.size(), kMaxStdinChunk);
      tcr::SandboxStdinWriteV2Request req;
      req.set_task_id(router->task_id());
      req.set_offset(offset_);
      req.set_data(std::string(data.substr(0, n)));
      router->call(rpc::SandboxStdinWriteV2, req);
      offset_ += n;
      data.remove_prefix(n);
    }
  }

  void close() override {
    auto const& router = router_;
    tcr::SandboxStdinWriteV2Request req;
    req.set_task_id(router->task_id());
    req.set_offset(offset_);
    req.set_eof(true);
    try {
      router->call(rpc::SandboxStdinWriteV2, req);
    } catch (Error const& e) {
      // The Sandbox was terminated: its stdin is closed anyway.
      if (e.code() != StatusCode::kFailedPrecondition) throw;
    }
  }

 private:
  std::shared_ptr<RouterClient> const router_;
  std::uint64_t offset_ = 0;
};

}  // namespace

std::unique_ptr<ByteSource> make_sandbox_router_output_source(std::shared_ptr<RouterClient> router,
                                                              std::string sandbox_id,
                                                              bool stderr_stream) {
  return std::make_unique<RouterOutputSource>(std::move(router), std::move(sandbox_id),
                                              stderr_stream);
}

std::unique_ptr<ByteSink> make_sandbox_router_stdin_sink(std::shared_ptr<RouterClient> router) {
  return std::make_unique<RouterStdinSink>(std::move(router));
}

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
