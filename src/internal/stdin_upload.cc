// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "internal/stdin_upload.h"

#include <algorithm>
#include <exception>
#include <string>
#include <vector>

#include "internal/retry.h"
#include "internal/router_client.h"
#include "internal/rpc.h"

namespace modal::internal {
grpc::Status upload_stdin(RouterClient& router, std::string const& exec_id,
                          UploadSource const& source) {
  RetryPolicy policy = RetryPolicy::router();
  policy.max_retries = 9;  // upstream: ten attempts
  // policy.retryable unset: is_retryable(), upstream's resumable codes for uploads.

  std::vector<char> buffer(kUploadChunkSize);
  std::uint64_t accepted = 0;  // what the exec confirmed it has (TaskExecStdinStatus)
  std::uint64_t end = 0;       // the source's size, once read to the end
  bool source_done = false;
  bool resuming = false;

  return run_call(router, rpc::TaskExecStdinWriteStream.name, policy, {}, [&](Attempt& a) {
    std::uint64_t offset = 0;
    if (resuming) {
      task_command_router::TaskExecStdinStatusRequest req;
      req.set_task_id(router.task_id());
      req.set_exec_id(exec_id);
      auto const status = router.call(rpc::TaskExecStdinStatus, req);
      if (status.num_bytes_written() > accepted) a.progress();
      accepted = status.num_bytes_written();
      if (status.closed()) {
        if (source_done && accepted == end) return grpc::Status::OK;  // only the reply was lost
        return grpc::Status(grpc::StatusCode::DATA_LOSS,
                            "the exec's stdin was closed after " + std::to_string(accepted) +
                                " bytes, before the upload was complete");
      }
      offset = accepted;
    }
    resuming = true;

    task_command_router::TaskExecStdinWriteStreamResponse resp;
    auto writer = rpc::TaskExecStdinWriteStream(router.stub(), a.context(), &resp);
    task_command_router::TaskExecStdinWriteStreamRequest msg;
    auto* start = msg.mutable_start();
    start->set_task_id(router.task_id());
    start->set_exec_id(exec_id);
    start->set_offset(offset);
    bool open = writer->Write(msg);
    try {
      while (open) {
        std::size_t const n = source(offset, std::span<char>(buffer));
        if (n == 0) {
          source_done = true;
          end = offset;
          break;
        }
        msg.set_data(buffer.data(), std::min(n, buffer.size()));
        offset += msg.data().size();
        open = writer->Write(msg);
      }
    } catch (...) {
      // Abandon the stream without `end`: the exec's stdin stays open, nothing is committed.
      a.context().TryCancel();
      writer->Finish();
      throw;
    }
    if (open) {
      msg.mutable_end();
      open = writer->Write(msg);
    }
    if (open) writer->WritesDone();
    return writer->Finish();
  });
}

}  // namespace modal::internal
