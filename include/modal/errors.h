// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_ERRORS_H
#define MODAL_ERRORS_H

#include <stdexcept>
#include <string>
#include <string_view>

namespace modal {

/// The status codes an RPC can end with. Numbers match gRPC's canonical codes.
enum class StatusCode : int {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

/// The canonical upper-case name of a status code, e.g. "NOT_FOUND".
std::string_view to_string(StatusCode code) noexcept;

/**
 * The base of every exception thrown by modal-cpp.
 *
 * `what()` is a complete, human-readable message. When the error came from an RPC,
 * `code()` is its status, `rpc_method()` the method (e.g. "AppGetOrCreate") and
 * `server_message()` the text the server sent. Errors raised locally (bad input,
 * configuration) have `rpc_method()` empty.
 */
class Error : public std::runtime_error {
 public:
  /**
   * Creates an error whose `what()` is `message`.
   * @param message the complete, human-readable message.
   * @param code the status code of the failed call, or the closest code for a local error.
   * @param rpc_method the RPC that failed, without service prefix; empty for local errors.
   * @param server_message the server's own message; empty for local errors.
   */
  explicit Error(std::string const& message, StatusCode code = StatusCode::kUnknown,
                 std::string rpc_method = {}, std::string server_message = {});

  /// The status code of the failed call, or the closest code for a local error.
  StatusCode code() const noexcept { return code_; }
  /// The RPC that failed, without service prefix; empty for local errors.
  std::string const& rpc_method() const noexcept { return rpc_method_; }
  /// The server's own message for RPC errors; empty for local errors.
  std::string const& server_message() const noexcept { return server_message_; }

 private:
  StatusCode code_;
  std::string rpc_method_;
  std::string server_message_;
};

// Name and Base are type names: they cannot be parenthesized.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define MODAL_DECLARE_ERROR(Name, Base, DefaultCode)                               \
  class Name : public Base {                                                       \
   public:                                                                         \
    /** Creates the error as Error::Error does, with this class's default code. */ \
    explicit Name(std::string const& message, StatusCode code = DefaultCode,       \
                  std::string rpc_method = {}, std::string server_message = {})    \
        : Base(message, code, std::move(rpc_method), std::move(server_message)) {} \
  }
// NOLINTEND(bugprone-macro-parentheses)

/// An object (App, Secret, Sandbox, ...) does not exist. gRPC NOT_FOUND.
MODAL_DECLARE_ERROR(NotFoundError, Error, StatusCode::kNotFound);
/// An object with that name already exists. gRPC ALREADY_EXISTS.
MODAL_DECLARE_ERROR(AlreadyExistsError, Error, StatusCode::kAlreadyExists);
/// The request conflicts with the object's current state. gRPC FAILED_PRECONDITION.
MODAL_DECLARE_ERROR(ConflictError, Error, StatusCode::kFailedPrecondition);
/// Invalid input, detected locally before sending or by the server (INVALID_ARGUMENT).
MODAL_DECLARE_ERROR(InvalidError, Error, StatusCode::kInvalidArgument);
/// Credentials are missing, wrong or lack permission (UNAUTHENTICATED, PERMISSION_DENIED).
MODAL_DECLARE_ERROR(AuthError, Error, StatusCode::kUnauthenticated);
/// The server could not be reached, after retries (UNAVAILABLE).
MODAL_DECLARE_ERROR(ConnectionError, Error, StatusCode::kUnavailable);
/// The configuration (options, environment, ~/.modal.toml) is invalid.
MODAL_DECLARE_ERROR(ConfigError, Error, StatusCode::kInvalidArgument);
/// The Client was closed or the handle detached; no further calls are possible.
MODAL_DECLARE_ERROR(ClientClosedError, Error, StatusCode::kCancelled);
/// An operation did not finish within its deadline (DEADLINE_EXCEEDED).
MODAL_DECLARE_ERROR(TimeoutError, Error, StatusCode::kDeadlineExceeded);
/// A Sandbox operation (e.g. tunnels) timed out on the server.
MODAL_DECLARE_ERROR(SandboxTimeoutError, TimeoutError, StatusCode::kDeadlineExceeded);
/// A command run with `Sandbox::exec` exceeded its timeout.
MODAL_DECLARE_ERROR(ExecTimeoutError, TimeoutError, StatusCode::kDeadlineExceeded);
/// A Function call exceeded its timeout.
MODAL_DECLARE_ERROR(FunctionTimeoutError, TimeoutError, StatusCode::kDeadlineExceeded);
/// Remote code failed (an image build, a Function raising, ...).
MODAL_DECLARE_ERROR(RemoteError, Error, StatusCode::kUnknown);
/// Modal failed internally; the operation may be retried.
MODAL_DECLARE_ERROR(InternalFailure, Error, StatusCode::kInternal);
/// An operation failed to execute (e.g. a snapshot produced no image).
MODAL_DECLARE_ERROR(ExecutionError, Error, StatusCode::kUnknown);
/// A Queue had no values within the timeout.
MODAL_DECLARE_ERROR(QueueEmptyError, Error, StatusCode::kDeadlineExceeded);
/// A Queue stayed full for the whole timeout.
MODAL_DECLARE_ERROR(QueueFullError, Error, StatusCode::kResourceExhausted);
/// A blocking call was cancelled through the std::stop_token it was given.
MODAL_DECLARE_ERROR(CancelledError, Error, StatusCode::kCancelled);
/// A `SandboxFilesystem` operation failed; the base of the more specific errors below.
/// `what()` is the filesystem tool's message and the remote path.
MODAL_DECLARE_ERROR(SandboxFilesystemError, Error, StatusCode::kUnknown);
/// The remote path does not exist.
MODAL_DECLARE_ERROR(SandboxFilesystemNotFoundError, SandboxFilesystemError, StatusCode::kNotFound);
/// The remote path is a directory where a file was expected.
MODAL_DECLARE_ERROR(SandboxFilesystemIsADirectoryError, SandboxFilesystemError,
                    StatusCode::kFailedPrecondition);
/// The remote path, or one of its parents, is not a directory where one was expected.
MODAL_DECLARE_ERROR(SandboxFilesystemNotADirectoryError, SandboxFilesystemError,
                    StatusCode::kFailedPrecondition);
/// The Sandbox's user may not perform the operation on the remote path.
MODAL_DECLARE_ERROR(SandboxFilesystemPermissionError, SandboxFilesystemError,
                    StatusCode::kPermissionDenied);
/// The remote path already exists (`make_directory`).
MODAL_DECLARE_ERROR(SandboxFilesystemPathAlreadyExistsError, SandboxFilesystemError,
                    StatusCode::kAlreadyExists);
/// The remote directory is not empty (`remove` without `recursive`).
MODAL_DECLARE_ERROR(SandboxFilesystemDirectoryNotEmptyError, SandboxFilesystemError,
                    StatusCode::kFailedPrecondition);
/// The remote file is larger than the filesystem tool reads in one operation (5 GiB for
/// `read_bytes` and `copy_to_local` alike).
MODAL_DECLARE_ERROR(SandboxFilesystemFileTooLargeError, SandboxFilesystemError,
                    StatusCode::kOutOfRange);

#undef MODAL_DECLARE_ERROR

}  // namespace modal

#endif  // MODAL_ERRORS_H
