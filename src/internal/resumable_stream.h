// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_RESUMABLE_STREAM_H
#define MODAL_INTERNAL_RESUMABLE_STREAM_H

#include <grpcpp/support/sync_stream.h>

#include <functional>
#include <memory>
#include <string_view>

#include "internal/retry.h"

namespace modal::internal {

/// What a clean (OK) end of a server stream means.
enum class CleanEnd {
  /// The data is complete (exec output): the read ends.
  kFinished,
  /// The server's long poll ran its course (logs, build output): reopen at the cursor.
  kReopen,
};

/**
 * A server stream that survives breaks: opened at a cursor (an entry id or a byte
 * offset the caller keeps), every message handed to `on_message` (which advances the
 * cursor), and reopened at the cursor after a failure the policy retries. Each message
 * counts as progress, so the retry budget applies to failures in a row. The stream ends
 * at a clean end (per `clean_end`), when `on_message` returns false (the call is then
 * cancelled and reported OK), or with a status that is not retried.
 *
 * All retry, credential, cancellation and deadline behaviour is run_call()'s.
 */
template <typename Resp>
struct ResumableStream {
  using Reader = grpc::ClientReaderInterface<Resp>;

  std::string_view method{};
  RetryPolicy policy{};
  CleanEnd clean_end = CleanEnd::kFinished;
  /// Opens the stream at the caller's current cursor.
  std::function<std::unique_ptr<Reader>(grpc::ClientContext&)> open;
  /// Handles one message; false stops reading (done).
  std::function<bool(Resp&)> on_message;
  /// Called before every read, e.g. to give the message a recycled buffer. Optional.
  std::function<void(Resp&)> before_read;

  /// Runs the stream to its end. Returns OK or the final failure. @throws as run_call().
  grpc::Status run(CallTarget& target, CallControl const& control = {},
                   CancelScope const* scope = nullptr) const {
    Resp msg;
    return run_call(
        target, method, policy, control,
        [&](Attempt& attempt) {
          auto& ctx = attempt.context();
          auto reader = open(ctx);
          bool stopped = false;
          try {
            for (;;) {
              if (before_read) before_read(msg);
              if (!reader->Read(&msg)) break;
              attempt.progress();
              if (!on_message(msg)) {
                stopped = true;
                break;
              }
            }
          } catch (...) {
            ctx.TryCancel();
            reader->Finish();
            throw;
          }
          if (stopped) ctx.TryCancel();
          grpc::Status status = reader->Finish();
          if (stopped) return grpc::Status::OK;
          if (status.ok() && clean_end == CleanEnd::kReopen) attempt.again();
          return status;
        },
        scope);
  }
};

}  // namespace modal::internal

#endif  // MODAL_INTERNAL_RESUMABLE_STREAM_H
