// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_SANDBOX_STDIO_H
#define MODAL_INTERNAL_SANDBOX_STDIO_H

#include <memory>
#include <string>

#include "internal/cancellation.h"
#include "internal/streams.h"

namespace modal::internal {

class ClientState;

/**
 * A Sandbox entrypoint's stdout or stderr over SandboxGetLogs: a BytePump whose producer
 * reads a ResumableStream (the control-plane stream policy), reopened at the last entry
 * id after each long poll and after transient failures, so no byte is lost or repeated.
 * Ends at the batch marked eof. Runs in `scope` (the Sandbox's): detach() ends it.
 */
std::unique_ptr<ByteSource> make_sandbox_log_source(std::shared_ptr<ClientState> client,
                                                    std::shared_ptr<CancelScope> scope,
                                                    std::string sandbox_id, bool stderr_stream);

/**
 * A Sandbox entrypoint's stdin over SandboxStdinWrite: each write carries the next index
 * (from 1; retries reuse it, so the server applies it once); large writes are split.
 * close() sends eof with the next index; FAILED_PRECONDITION (the Sandbox already
 * finished) is ignored there.
 */
std::unique_ptr<ByteSink> make_sandbox_stdin_sink(std::shared_ptr<ClientState> client,
                                                  std::shared_ptr<CancelScope> scope,
                                                  std::string sandbox_id);

class RouterClient;

/**
 * A V2 Sandbox entrypoint's stdout or stderr over the router's SandboxStdioReadV2: a
 * BytePump whose producer reads a ResumableStream (the router policy, JWT refresh)
 * reopened at the byte offset after the last byte received. The server retains the
 * newest part of the output only: when the requested offset fell out of it, the
 * message's starting_offset is later, and the skipped byte count is logged (WARN), as
 * upstream's clients do. Ends at the stream's clean end (the entrypoint closed it).
 */
std::unique_ptr<ByteSource> make_sandbox_router_output_source(std::shared_ptr<RouterClient> router,
                                                              std::string sandbox_id,
                                                              bool stderr_stream);

/**
 * A V2 Sandbox entrypoint's stdin over the router's SandboxStdinWriteV2: each write
 * carries the byte offset of its first byte (retries resend it; the server skips what it
 * already has). close() sends eof at the final offset; FAILED_PRECONDITION (the Sandbox
 * was terminated) is ignored there.
 */
std::unique_ptr<ByteSink> make_sandbox_router_stdin_sink(std::shared_ptr<RouterClient> router);

}  // namespace modal::internal

#endif  // MODAL_INTERNAL_SANDBOX_STDIO_H
