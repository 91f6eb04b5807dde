// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "runtime/probes.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace modal::emulator::runtime {

bool tcp_port_open(int port, std::chrono::milliseconds timeout) {
  if (port <= 0 || port > 65535) return false;
  int const fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  struct sockaddr_in addr {};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool open = false;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    open = true;
  } else if (errno == EINPROGRESS) {
    struct pollfd pfd {};
    pfd.fd = fd;
    pfd.events = POLLOUT;
    if (poll(&pfd, 1, static_cast<int>(timeout.count())) == 1) {
      int err = 0;
      socklen_t len = sizeof err;
      open = getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
    }
  }
  ::close(fd);
  return open;
}

absl::StatusOr<bool> run_exec_probe(Sandbox& sandbox, std::vector<std::string> argv,
                                    Deadline deadline) {
  ProcessSpec spec;
  spec.argv = std::move(argv);
  spec.stdout_mode = StdioMode::kDevNull;
  spec.stderr_mode = StdioMode::kDevNull;
  spec.stdin_enabled = false;
  auto process = sandbox.exec(std::move(spec));
  if (!process.ok()) return process.status();
  auto status = (*process)->wait(deadline);
  if (!status) {
    (*process)->kill();
    return false;
  }
  return status->success();
}

}  // namespace modal::emulator::runtime
