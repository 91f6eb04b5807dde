// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_STORE_BLOBS_H
#define MODAL_EMULATOR_SRC_STORE_BLOBS_H

// Blobs: large Function inputs and outputs (BlobCreate / BlobGet, and the HTTP server of
// server/blob_server.h that takes the uploads and serves the downloads). A blob is created
// empty with the MD5 its client announced; one PUT whose body matches it fills it (a PUT
// with another Content-MD5, or whose body does not hash to it, stores nothing). Outputs over
// the inline limit are put directly (put_data). Kept in memory, never journaled.
//
// Thread-safe: one lock for the store, taken only inside its methods.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace modal::emulator {

class BlobStore {
 public:
  /// A new, empty blob expecting a body with this base64 MD5 ("" = any) and length (-1 =
  /// any); answers its id ("bl-...").
  std::string create(std::string content_md5, std::int64_t content_length);
  /// The upload of blob `id`: INVALID_ARGUMENT when `content_md5_header` (the PUT's
  /// Content-MD5, "" when absent) is not the body's MD5 or not the one announced, or the
  /// length differs from the announced one; NOT_FOUND for an unknown blob. Nothing is
  /// stored on failure.
  absl::Status upload(std::string_view id, std::string_view content_md5_header, std::string data);
  /// A blob holding `data` at once (large outputs); answers its id.
  std::string put_data(std::string data);
  /// The contents of an uploaded blob; NOT_FOUND for an unknown one, FAILED_PRECONDITION
  /// for one not uploaded yet.
  absl::StatusOr<std::shared_ptr<std::string const>> get(std::string_view id) const;

 private:
  struct Blob {
    std::string content_md5;
    std::int64_t content_length = -1;
    std::shared_ptr<std::string const> data;  // null until uploaded
  };
  mutable std::mutex mu_;
  std::map<std::string, Blob, std::less<>> blobs_;
};

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_STORE_BLOBS_H
