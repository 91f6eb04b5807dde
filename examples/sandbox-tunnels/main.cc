// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Runs an HTTP server in a Sandbox, exposes its port through a tunnel and fetches a page
// through the tunnel's plain TCP endpoint.
//
// The server is `python3 -m http.server`, so the image (or, with modal-emulator, this
// machine, whose userland Sandboxes use) must have python3.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include "modal/modal.h"

namespace {

// A port that is free right now. On Modal any port works; modal-emulator runs Sandboxes
// on this machine's network, where the port must not be taken.
int free_port() {
  int const fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// A minimal HTTP/1.0 GET over plain TCP; returns the whole response ("" on failure).
std::string http_get(std::string const& host, int port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0) return {};
  int const fd = ::socket(res->ai_family, res->ai_socktype, res->ai_protocol);
  bool const ok = ::connect(fd, res->ai_addr, res->ai_addrlen) == 0;
  ::freeaddrinfo(res);
  std::string response;
  if (ok) {
    std::string const request = "GET / HTTP/1.0\r\nHost: " + host + "\r\n\r\n";
    if (::write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buf[4096];
      ssize_t n = 0;
      while ((n = ::read(fd, buf, sizeof buf)) > 0) response.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  return response;
}

}  // namespace

int main() try {
  modal::Client client;
  modal::App app = client.apps().from_name("modal-cpp-example", {.create_if_missing = true});
  modal::Image image = client.images().from_registry("python:3.12-alpine");
  int const port = free_port();

  //! [sandbox-tunnels]
  modal::Sandbox sb =
      client.sandboxes().create(app, image,
                                {.timeout = std::chrono::minutes(1),
                                 .idle_timeout = std::chrono::seconds(30),
                                 .command = {"python3", "-m", "http.server", std::to_string(port)},
                                 .unencrypted_ports = {port}});
  std::cout << "Sandbox created: " << sb.sandbox_id() << "\n";

  std::map<int, modal::Tunnel> tunnels = sb.tunnels(std::chrono::seconds(30));
  modal::Tunnel const& tunnel = tunnels.at(port);
  auto [host, tcp_port] = tunnel.tcp_socket();  // plain TCP endpoint of the tunnel
  std::cout << "Tunnel URL: " << tunnel.url() << "\n";
  //! [sandbox-tunnels]

  std::cout << "Waiting for the server to start...\n";
  std::string response;
  for (int i = 0; i < 100 && response.empty(); ++i) {
    response = http_get(host, tcp_port);
    if (response.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::cout << "Response status line: " << response.substr(0, response.find('\r')) << "\n";
  std::cout << (response.find("Directory listing") != std::string::npos
                    ? "Successfully fetched a directory listing through the tunnel\n"
                    : "Unexpected response\n");
  sb.terminate();
  return response.empty() ? EXIT_FAILURE : EXIT_SUCCESS;
} catch (modal::Error const& e) {
  std::cerr << "error: " << e.what() << "\n";
  return EXIT_FAILURE;
}
