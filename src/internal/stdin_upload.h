// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_STDIN_UPLOAD_H
#define MODAL_INTERNAL_STDIN_UPLOAD_H

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include <grpcpp/support/status.h>

namespace modal::internal {

class RouterClient;

/// Reads up to `buffer.size()` bytes of the upload starting at byte `offset` into
/// `buffer`; returns how many (0 only at the end). Called again at an earlier offset when
/// an upload resumes, so the source must be re-readable (memory, a regular file). Throws
/// to abandon the upload.
using UploadSource = std::function<std::size_t(std::uint64_t offset, std::span<char> buffer)>;

/// Size of each TaskExecStdinWriteStream data message (upstream's 256 KiB).
inline constexpr std::size_t kUploadChunkSize = std::size_t{256} << 10;

/**
 * Sends everything `source` holds to the stdin of exec `exec_id`, then EOF, over
 * TaskExecStdinWriteStream: `start{task, exec, offset}`, data in kUploadChunkSize
 * messages, `end`. A stream that fails with a resumable code (DEADLINE_EXCEEDED,
 * UNAVAILABLE, CANCELLED, INTERNAL, UNKNOWN; UNAUTHENTICATED after a JWT refresh) is
 * resumed through run_call(): TaskExecStdinStatus says how many bytes the exec accepted
 * and the next stream starts there; when stdin is already closed after exactly all bytes,
 * only the reply was lost and the upload succeeded. Ten attempts without the exec
 * accepting anything new end the upload; any progress restarts that budget.
 *
 * If `source` throws, the stream is cancelled without `end` (stdin stays open, no EOF)
 * and the exception propagates.
 *
 * @returns OK, or the final failure: FAILED_PRECONDITION / ABORTED mean the process
 *   stopped reading (it exited); the caller learns why from its exit status.
 * @throws ClientClosedError / CancelledError as run_call().
 */
grpc::Status upload_stdin(RouterClient& router, std::string const& exec_id,
                          UploadSource const& source);

}  // namespace modal::internal

#endif  // MODAL_INTERNAL_STDIN_UPLOAD_H
