// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_SERVER_BLOB_SERVER_H
#define MODAL_EMULATOR_SRC_SERVER_BLOB_SERVER_H

// The emulator's HTTP server (cpp-httplib) on loopback, an ephemeral port of its own,
// started and stopped with the Emulator:
//   PUT /blobs/<id>   the upload URL of BlobCreate; Content-MD5 (base64) must match the
//                     body (else 400, nothing stored); 200 when stored, 404 unknown blob.
//   GET /blobs/<id>   the download URL of BlobGet: the contents (200), 404 otherwise.
//   GET /web/<app>/<function>?k=v...  the web_url of a web endpoint fixture
//                     (control/function_fixtures.h): its result as JSON.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "store/blobs.h"

namespace httplib {
class Server;
}

namespace modal::emulator {

class BlobServer {
 public:
  /// Answers a web endpoint's GET: (app, function, query) -> (HTTP status, JSON body).
  using WebHandler = std::function<std::pair<int, std::string>(
      std::string const&, std::string const&, std::map<std::string, std::string> const&)>;

  /// Binds `host` on a free port and serves in a thread of its own. std::runtime_error
  /// when it cannot bind.
  BlobServer(BlobStore& blobs, std::string const& host, WebHandler web);
  ~BlobServer();
  BlobServer(BlobServer const&) = delete;
  BlobServer& operator=(BlobServer const&) = delete;

  /// "http://host:port".
  std::string const& url() const { return url_; }
  /// Stops serving (idempotent).
  void stop();

 private:
  BlobStore& blobs_;
  WebHandler web_;
  std::unique_ptr<httplib::Server> server_;
  std::string url_;
  std::thread thread_;
};

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_SERVER_BLOB_SERVER_H
