// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "server/blob_server.h"

#include <httplib.h>

#include <chrono>
#include <stdexcept>
#include <utility>

namespace modal::emulator {

BlobServer::BlobServer(BlobStore& blobs, std::string const& host, WebHandler web)
    : blobs_(blobs), web_(std::move(web)), server_(std::make_unique<httplib::Server>()) {
  server_->set_payload_max_length(std::size_t{1} << 33);
  server_->Put(R"(/blobs/([A-Za-z0-9_-]+))",
               [this](httplib::Request const& req, httplib::Response& res) {
                 std::string const id = req.matches[1];
                 auto st = blobs_.upload(id, req.get_header_value("Content-MD5"), req.body);
                 if (st.ok()) {
                   res.status = 200;
                 } else {
                   res.status = st.code() == absl::StatusCode::kNotFound ? 404 : 400;
                   res.set_content(std::string(st.message()), "text/plain");
                 }
               });
  server_->Get(R"(/blobs/([A-Za-z0-9_-]+))",
               [this](httplib::Request const& req, httplib::Response& res) {
                 auto data = blobs_.get(std::string(req.matches[1]));
                 if (!data.ok()) {
                   res.status = 404;
                   res.set_content(std::string(data.status().message()), "text/plain");
                   return;
                 }
                 res.status = 200;
                 res.set_content(**data, "application/octet-stream");
               });
  server_->Get(R"(/web/([^/]+)/([^/]+))",
               [this](httplib::Request const& req, httplib::Response& res) {
                 std::map<std::string, std::string> query;
                 for (auto const& [k, v] : req.params) query[k] = v;
                 auto [status, body] = web_ ? web_(req.matches[1], req.matches[2], query)
                                            : std::pair<int, std::string>{404, "\"not found\""};
                 res.status = status;
                 res.set_content(body, "application/json");
               });
  bool const v6 = host.find(':') != std::string::npos;
  int const port = server_->bind_to_any_port(host);
  if (port <= 0) throw std::runtime_error("modal-emulator: could not bind the blob server");
  url_ = "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // stop() before the loop runs would be lost: wait until it does (bounded).
  for (int i = 0; i < 5000 && !server_->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

BlobServer::~BlobServer() { stop(); }

void BlobServer::stop() {
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
}

}  // namespace modal::emulator
