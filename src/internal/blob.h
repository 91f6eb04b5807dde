// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_BLOB_H
#define MODAL_INTERNAL_BLOB_H

// Modal's blob store: Function inputs beyond the inline size limit go up with
// BlobCreate + HTTP PUT, large outputs come down with BlobGet + HTTP GET (libcurl).

#include <chrono>
#include <string>
#include <string_view>

#include "internal/retry.h"

namespace modal::internal {

class ClientState;

/// HTTP attempts, as upstream: uploads 3 (300 ms, then 600 ms), downloads 5 (100 ms
/// doubling).
struct HttpRetry {
  int attempts = 3;
  Clock::duration initial_delay = std::chrono::milliseconds(300);
};
inline constexpr HttpRetry kBlobUploadRetry{3, std::chrono::milliseconds(300)};
inline constexpr HttpRetry kBlobDownloadRetry{5, std::chrono::milliseconds(100)};

/// Base64 (standard alphabet, padded) of the MD5 / SHA-256 digest of `data`.
std::string base64_md5(std::string_view data);
std::string base64_sha256(std::string_view data);

/// HTTP PUT of `data` to `url` with `Content-Type: application/octet-stream` and
/// `Content-MD5: content_md5`. Every failure (transport or a non-2xx status) is retried
/// through run_call on `target` (its scope, timer and logger; prepare() is called on an
/// unused gRPC context) up to `retry.attempts` attempts, the delay doubling.
/// @throws ConnectionError after the last attempt; ClientClosedError if the scope is
///   cancelled.
void http_put(CallTarget& target, std::string const& url, std::string_view data,
              std::string const& content_md5, HttpRetry retry = kBlobUploadRetry);
/// HTTP GET of `url`, retried as http_put. @throws as http_put.
std::string http_get(CallTarget& target, std::string const& url,
                     HttpRetry retry = kBlobDownloadRetry);

/// Uploads `data` (BlobCreate with content_md5, content_sha256_base64 and content_length,
/// then http_put to the upload URL); returns the blob id.
/// @throws InvalidError if the server asks for a multipart upload (unsupported, as in
///   upstream's Go SDK); modal::Error for RPC and HTTP failures.
std::string blob_upload(ClientState& client, std::string_view data);
/// Downloads the blob `blob_id` (BlobGet, then http_get of the download URL).
std::string blob_download(ClientState& client, std::string const& blob_id);

}  // namespace modal::internal

#endif  // MODAL_INTERNAL_BLOB_H
