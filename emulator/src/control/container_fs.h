// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_CONTROL_CONTAINER_FS_H
#define MODAL_EMULATOR_SRC_CONTROL_CONTAINER_FS_H

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "control/handlers.h"

namespace modal::emulator {

/**
 * ContainerFilesystemExec / ContainerFilesystemExecGetOutput: the open-file API of Modal's
 * older SDKs (`sandbox.open(path, mode)` → read, write, seek, flush, close; ls, mkdir, rm).
 *
 * Every request is carried out at once against the Sandbox's own view of its files: paths
 * are resolved inside the root of the Sandbox's entrypoint (`/proc/PID/root` with
 * openat2(RESOLVE_IN_ROOT), so `..` and symbolic links cannot leave it), and an open file
 * is a real file descriptor held until its close request or the Sandbox's end (noticed at
 * the next request). The
 * response's exec id names the request's outcome, which GetOutput delivers as one batch:
 * the bytes read (or ls's JSON), or `error` with the errno as SystemErrorCode, then
 * `eof`. An outcome stays readable for a minute after it was first delivered (a client
 * whose stream broke reads it again), then it is dropped.
 */
class ContainerFsHandlers : public DomainHandlers {
 public:
  using DomainHandlers::DomainHandlers;

  MODAL_EMULATOR_UNARY_RPC(ContainerFilesystemExec);
  grpc::Status ContainerFilesystemExecGetOutput(
      grpc::ServerContext* ctx, modal::client::ContainerFilesystemExecGetOutputRequest const* req,
      grpc::ServerWriter<modal::client::FilesystemRuntimeOutputBatch>* writer) override;

 private:
  /// Closes the files of Sandboxes that have finished.
  void purge_finished();

  struct Outcome {
    std::string output{};
    int error = 0;  // errno; 0 = success
    std::string message{};
    std::optional<std::chrono::steady_clock::time_point> delivered{};
  };
  struct OpenFile {
    int fd = -1;
    ~OpenFile();
  };

  std::mutex mu_;
  std::map<std::string, Outcome, std::less<>> outcomes_;  // by exec id
  // (task id, descriptor id) → the open file
  std::map<std::pair<std::string, std::string>, std::shared_ptr<OpenFile>, std::less<>> files_;
  std::uint64_t next_fd_ = 1;
};

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_CONTROL_CONTAINER_FS_H
