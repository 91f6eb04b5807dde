// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// A Sandbox entrypoint's stdio on the control plane: SandboxGetLogs and SandboxStdinWrite.
#include "internal/sandbox_stdio.h"

#include <chrono>
#include <cstdint>
#include <deque>
#include <thread>

#include "internal/client_state.h"
#include "internal/retry.h"
#include "modal/errors.h"

namespace modal::internal {
namespace {

constexpr int kMaxStreamRetries = 10;
constexpr float kLogsTimeoutSecs = 55;
constexpr std::size_t kMaxStdinChunk = std::size_t{1} << 20;
constexpr char kService[] = "modal.client.ModalClient";

class SandboxLogSource final : public ByteSource {
 public:
  SandboxLogSource(std::shared_ptr<ClientState> client, std::string sandbox_id, bool err)
      : client_(std::move(client)),
        sandbox_id_(std::move(sandbox_id)),
        fd_(err ? modal::client::FILE_DESCRIPTOR_STDERR : modal::client::FILE_DESCRIPTOR_STDOUT) {}

  ~SandboxLogSource() override {
    if (stream_ != nullptr) {
      ctx_->TryCancel();
      stream_->Finish();
    }
  }

  bool next(std::string& out) override {
    while (true) {
      if (!chunks_.empty()) {
        out = std::move(chunks_.front());
        chunks_.pop_front();
        return true;
      }
      if (done_) return false;
      if (stream_ == nullptr) open();
      modal::client::TaskLogsBatch batch;
      if (stream_->Read(&batch)) {
        failures_ = 0;
        if (!batch.entry_id().empty()) last_entry_id_ = batch.entry_id();
        for (auto& item : *batch.mutable_items()) {
          if (!item.data().empty()) chunks_.push_back(std::move(*item.mutable_data()));
        }
        if (batch.eof()) {
          done_ = true;
          ctx_->TryCancel();
          finish();
        }
        continue;
      }
      grpc::Status const status = finish();
      if (status.ok()) continue;  // the server's long poll ended: resume
      client_->throw_if_closed();
      if (is_retryable(status.error_code()) && failures_ < kMaxStreamRetries) {
        std::this_thread::sleep_for(backoff_delay(client_->retry_options(), failures_));
        ++failures_;
        continue;
      }
      throw_rpc_error(status, "SandboxGetLogs");
    }
  }

 private:
  void open() {
    modal::client::SandboxGetLogsRequest req;
    req.set_sandbox_id(sandbox_id_);
    req.set_file_descriptor(fd_);
    req.set_timeout(kLogsTimeoutSecs);
    req.set_last_entry_id(last_entry_id_);
    ctx_ = std::make_unique<grpc::ClientContext>();
    client_->prepare_streaming_context(*ctx_);  // throws ClientClosedError once closed
    started_ = std::chrono::steady_clock::now();
    stream_ = client_->control_stub()->SandboxGetLogs(ctx_.get(), req);
  }

  grpc::Status finish() {
    grpc::Status status = stream_->Finish();
    if (done_) status = grpc::Status::OK;  // we cancelled after the last batch
    client_->observe(kService, "SandboxGetLogs", status,
                     std::chrono::steady_clock::now() - started_, failures_);
    stream_.reset();
    ctx_.reset();
    return status;
  }

  std::shared_ptr<ClientState> client_;
  std::string sandbox_id_;
  modal::client::FileDescriptor fd_;
  std::string last_entry_id_ = "0-0";
  std::unique_ptr<grpc::ClientContext> ctx_;
  std::unique_ptr<grpc::ClientReader<modal::client::TaskLogsBatch>> stream_;
  std::chrono::steady_clock::time_point started_;
  std::deque<std::string> chunks_;
  int failures_ = 0;
  bool done_ = false;
};

class SandboxStdinSink final : public ByteSink {
 public:
  SandboxStdinSink(std::shared_ptr<ClientState> client, std::string sandbox_id)
      : client_(std::move(client)), sandbox_id_(std::move(sandbox_id)) {}

  void write(std::string_view data) override {
    while (!data.empty()) {
      auto const n = std::min(data.size(), kMaxStdinChunk);
      modal::client::SandboxStdinWriteRequest req;
      req.set_sandbox_id(sandbox_id_);
      req.set_input(std::string(data.substr(0, n)));
      req.set_index(index_);
      // Retries resend the same index, which the server applies once.
      client_->call("SandboxStdinWrite", &ModalStub::SandboxStdinWrite, req);
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
    auto status = client_->try_call("SandboxStdinWrite", &ModalStub::SandboxStdinWrite, req, &resp);
    // The Sandbox already finished: its stdin is closed anyway.
    if (status.ok() || status.error_code() == grpc::StatusCode::FAILED_PRECONDITION) return;
    throw_rpc_error(status, "SandboxStdinWrite");
  }

 private:
  std::shared_ptr<ClientState> client_;
  std::string sandbox_id_;
  std::uint32_t index_ = 1;
};

}  // namespace

std::unique_ptr<ByteSource> make_sandbox_log_source(std::shared_ptr<ClientState> client,
                                                    std::string sandbox_id, bool stderr_stream) {
  return std::make_unique<SandboxLogSource>(std::move(client), std::move(sandbox_id),
                                            stderr_stream);
}

std::unique_ptr<ByteSink> make_sandbox_stdin_sink(std::shared_ptr<ClientState> client,
                                                  std::string sandbox_id) {
  return std::make_unique<SandboxStdinSink>(std::move(client), std::move(sandbox_id));
}

}  // namespace modal::internal
