// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Creates a connect token for an HTTP server running in a Sandbox and sends a request
// with it.
//
// The server is `python3 -m http.server`, so the image (or, with modal-emulator, this
// machine, whose userland Sandboxes use) must have python3. Connect-token URLs from Modal
// are https; this example's minimal client speaks plain HTTP only, which is what
// modal-emulator hands out.
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

// GET `url` ("http://host:port[/path]") with a bearer token; the whole response or "".
std::string http_get(std::string const& url, std::string const& token) {
  std::string const scheme = "http://";
  if (url.rfind(scheme, 0) != 0) return {};
  std::string rest = url.substr(scheme.size());
  std::string const path = rest.find('/') == std::string::npos ? "/" : rest.substr(rest.find('/'));
  rest = rest.substr(0, rest.find('/'));
  std::string const host = rest.substr(0, rest.rfind(':'));
  std::string const port =
      rest.find(':') == std::string::npos ? "80" : rest.substr(rest.rfind(':') + 1);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0) return {};
  int const fd = ::socket(res->ai_family, res->ai_socktype, res->ai_protocol);
  bool const ok = ::connect(fd, res->ai_addr, res->ai_addrlen) == 0;
  ::freeaddrinfo(res);
  std::string response;
  if (ok) {
    std::string const request = "GET " + path + " HTTP/1.0\r\nHost: " + host +
                                "\r\nAuthorization: Bearer " + token + "\r\n\r\n";
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
  modal::Sandbox sb = client.sandboxes().create(
      app, image, {.command = {"python3", "-m", "http.server", std::to_string(port)}});

  //! [sandbox-connect-token]
  modal::SandboxConnectToken creds =
      sb.create_connect_token({.user_metadata = "abc", .port = port});
  std::cout << "Got url: " << creds.url << ", token of " << creds.token.size() << " characters\n";
  //! [sandbox-connect-token]

  std::cout << "Connecting to the HTTP server...\n";
  std::string response;
  for (int i = 0; i < 100 && response.empty(); ++i) {
    response = http_get(creds.url, creds.token);
    if (response.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::cout << "Response status line: " << response.substr(0, response.find('\r')) << "\n";
  sb.terminate();
  return response.empty() ? EXIT_FAILURE : EXIT_SUCCESS;
} catch (modal::Error const& e) {
  std::cerr << "error: " << e.what() << "\n";
  return EXIT_FAILURE;
}
