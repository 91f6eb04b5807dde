// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_CONTROL_LOG_STREAM_H
#define MODAL_EMULATOR_SRC_CONTROL_LOG_STREAM_H

// What the control plane's resumable log streams (SandboxGetLogs, ImageJoinStreaming)
// share: entry ids and the stream_break_after test knob.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <grpcpp/support/status.h>
#include <grpcpp/support/sync_stream.h>

namespace modal::emulator {

/// "N-0" (or "" / "0-0") -> N; nullopt when malformed.
std::optional<std::uint64_t> parse_entry_id(std::string_view id);
/// N -> "N-0".
std::string entry_id(std::uint64_t n);
/// INVALID_ARGUMENT "malformed last_entry_id '<id>'".
grpc::Status malformed_entry_id(std::string_view id);

/// EmulatorOptions::stream_break_after: a stream fails with UNAVAILABLE once it has sent
/// that many messages (0 = never), so that clients must resume from their last entry id.
class StreamBreaker {
 public:
  explicit StreamBreaker(int break_after) : break_after_(break_after) {}
  /// Before each message: OK (and counts it), or UNAVAILABLE when the stream must break.
  grpc::Status next_message();

 private:
  int const break_after_;
  int sent_ = 0;
};

/// Writes one message; CANCELLED "client went away" when the client is gone.
template <typename Message>
grpc::Status write_message(grpc::ServerWriter<Message>* writer, Message const& msg) {
  if (writer->Write(msg)) return grpc::Status::OK;
  return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
}

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_CONTROL_LOG_STREAM_H
