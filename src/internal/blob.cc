// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "internal/blob.h"

#include <curl/curl.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include "internal/client_state.h"
#include "modal/errors.h"

namespace modal::internal {
namespace {

std::string base64(unsigned char const* data, unsigned int n) {
  std::string out(std::size_t{4} * ((n + 2) / 3), '\0');
  int const len =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(static_cast<std::size_t>(std::max(len, 0)));
  return out;
}

std::string base64_digest(EVP_MD const* md, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &n, md, nullptr) != 1) {
    throw Error("computing a digest failed", StatusCode::kInternal);
  }
  return base64(digest, n);
}

void curl_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

/// The CallTarget of HTTP attempts: another target's scope, timer and logger, and no
/// credentials (blob URLs are pre-signed).
class HttpTarget final : public CallTarget {
 public:
  explicit HttpTarget(CallTarget& base) : base_(base) {}
  std::string_view service() const override { return "http"; }
  std::uint64_t prepare(grpc::ClientContext&, std::string_view, AttemptMetadata const&) override {
    return 0;
  }
  bool refresh_credential(std::uint64_t) override { return false; }
  void observe(std::string_view method, grpc::Status const& status, Clock::duration,
               int attempt) override {
    if (!status.ok()) {
      base_.logger().debug("{} attempt {} failed: {}", method, attempt, status.error_message());
    }
  }
  CancelScope const& scope() const override { return base_.scope(); }
  Timer& timer() override { return base_.timer(); }
  spdlog::logger& logger() override { return base_.logger(); }

 private:
  CallTarget& base_;
};

struct Upload {
  std::string_view data;
  std::size_t offset = 0;
};

std::size_t read_cb(char* buf, std::size_t size, std::size_t n, void* user) {
  auto* u = static_cast<Upload*>(user);
  std::size_t const k = std::min(size * n, u->data.size() - u->offset);
  std::memcpy(buf, u->data.data() + u->offset, k);
  u->offset += k;
  return k;
}

struct Download {
  CURL* curl;
  std::string body;
  bool sized = false;
};

/// The most a download reserves from the Content-Length the server announced (a larger
/// body still arrives, growing as it comes).
constexpr curl_off_t kMaxReserve = curl_off_t{1} << 30;

std::size_t write_cb(char* buf, std::size_t size, std::size_t n, void* user) {
  auto* d = static_cast<Download*>(user);
  if (!d->sized) {
    // Allocated once rather than grown by doubling (which copies the body again).
    d->sized = true;
    curl_off_t length = -1;
    if (curl_easy_getinfo(d->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) == CURLE_OK &&
        length > 0) {
      d->body.reserve(static_cast<std::size_t>(std::min(length, kMaxReserve)));
    }
  }
  d->body.append(buf, size * n);
  return size * n;
}

int progress_cb(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<CancelScope const*>(user)->cancelled() ? 1 : 0;  // 1 aborts
}

/// One HTTP request; an error status (UNAVAILABLE) for any failure.
grpc::Status http_once(CancelScope const& scope, std::string const& url, bool put,
                       std::string_view data, std::string const& content_md5, std::string* body) {
  curl_init_once();
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return {grpc::StatusCode::UNAVAILABLE, "curl_easy_init failed"};
  CURL* c = curl.get();
  curl_slist* headers = nullptr;
  Upload upload{data, 0};
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress_cb);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, const_cast<CancelScope*>(&scope));
  if (put) {
    headers = curl_slist_append(headers, "Content-Type: application/octet-stream");
    headers = curl_slist_append(headers, ("Content-MD5: " + content_md5).c_str());
    headers = curl_slist_append(headers, "Expect:");
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(c, CURLOPT_READDATA, &upload);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(data.size()));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  } else {
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  }
  Download received{c, {}};
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &received);
  CURLcode const rc = curl_easy_perform(c);
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(headers);
  char const* what = put ? "blob upload" : "blob download";
  if (rc != CURLE_OK) {
    std::string msg =
        std::string(what) + " failed: " + (errbuf[0] ? errbuf : curl_easy_strerror(rc));
    return {grpc::StatusCode::UNAVAILABLE, msg};
  }
  if (code < 200 || code >= 300) {
    return {grpc::StatusCode::UNAVAILABLE,
            std::string(what) + " failed: HTTP " + std::to_string(code)};
  }
  if (body) *body = std::move(received.body);
  return grpc::Status::OK;
}

void http_with_retries(CallTarget& base, std::string const& url, bool put, std::string_view data,
                       std::string const& content_md5, std::string* body, HttpRetry retry) {
  HttpTarget target(base);
  RetryPolicy policy;
  policy.max_retries = std::max(retry.attempts - 1, 0);
  policy.initial_delay = retry.initial_delay;
  policy.factor = 2.0;
  policy.max_delay.reset();
  policy.retryable = [](grpc::Status const&) { return true; };  // as upstream: every failure
  auto const status = run_call(
      target, put ? "BlobUpload" : "BlobDownload", policy, {},
      [&](Attempt&) { return http_once(target.scope(), url, put, data, content_md5, body); });
  if (!status.ok()) {
    throw ConnectionError(status.error_message() + " (after " + std::to_string(retry.attempts) +
                          " attempts)");
  }
}

}  // namespace

std::string base64_md5(std::string_view data) { return base64_digest(EVP_md5(), data); }
std::string base64_sha256(std::string_view data) { return base64_digest(EVP_sha256(), data); }

void http_put(CallTarget& target, std::string const& url, std::string_view data,
              std::string const& content_md5, HttpRetry retry) {
  http_with_retries(target, url, true, data, content_md5, nullptr, retry);
}

std::string http_get(CallTarget& target, std::string const& url, HttpRetry retry) {
  std::string body;
  http_with_retries(target, url, false, {}, {}, &body, retry);
  return body;
}

std::string blob_upload(ClientState& client, std::string_view data) {
  auto const md5 = base64_md5(data);
  modal::client::BlobCreateRequest req;
  req.set_content_md5(md5);
  req.set_content_sha256_base64(base64_sha256(data));
  req.set_content_length(static_cast<std::int64_t>(data.size()));
  auto resp = client.call(rpc::BlobCreate, req);
  switch (resp.upload_type_oneof_case()) {
    case modal::client::BlobCreateResponse::kMultipart:
      throw InvalidError(
          "Function input size exceeds the multipart upload threshold, which this SDK does not "
          "support (" +
          std::to_string(data.size()) + " bytes)");
    case modal::client::BlobCreateResponse::kUploadUrl:
      break;
    default:
      throw Error("BlobCreate returned no upload URL", StatusCode::kInternal,
                  std::string(rpc::BlobCreate.name));
  }
  if (resp.blob_id().empty()) {
    throw Error("BlobCreate returned no blob id", StatusCode::kInternal,
                std::string(rpc::BlobCreate.name));
  }
  http_put(client.pipeline(), resp.upload_url(), data, md5);
  return resp.blob_id();
}

std::string blob_download(ClientState& client, std::string const& blob_id) {
  modal::client::BlobGetRequest req;
  req.set_blob_id(blob_id);
  auto resp = client.call(rpc::BlobGet, req, {.not_found = "blob '" + blob_id + "' not found"});
  if (resp.download_url().empty()) {
    throw Error("BlobGet returned no download URL", StatusCode::kInternal,
                std::string(rpc::BlobGet.name));
  }
  return http_get(client.pipeline(), resp.download_url());
}

}  // namespace modal::internal
