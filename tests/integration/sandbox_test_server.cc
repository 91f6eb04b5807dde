// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// A tiny TCP server for Sandbox tests, run as a Sandbox entrypoint:
//   sandbox_test_server PORT GREETING
// listens on 127.0.0.1:PORT, prints "listening on PORT" to stdout, and answers every
// connection with GREETING and a newline, then closes it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s PORT GREETING\n", argv[0]);
    return 2;
  }
  int const port = std::atoi(argv[1]);
  std::string const greeting = std::string(argv[2]) + "\n";
  int const fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int const one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 16) != 0) {
    std::perror("bind/listen");
    return 1;
  }
  std::printf("listening on %d\n", port);
  std::fflush(stdout);
  while (true) {
    int const conn = ::accept(fd, nullptr, nullptr);
    if (conn < 0) continue;
    ssize_t const n = ::write(conn, greeting.data(), greeting.size());
    (void)n;
    ::close(conn);
  }
}
