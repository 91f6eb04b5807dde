// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
//
// Fuzzes the JSON parsers of the emulator's local image unpacker (runtime/image_unpack.h),
// whose input is a user's image file: the same bytes as a docker-save manifest.json, an
// OCI index, an OCI manifest and an image config. Every path and digest they return must
// be safe to use below a directory (relative, no "..", a checked digest); every rejection
// must say why. No exception is documented, so nothing is caught.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "runtime/image_unpack.h"

namespace {

namespace rt = modal::emulator::runtime;

/// Aborts unless `path` is a normalized relative path (what the parsers promise).
void check_relative(std::string const& path) {
  if (path.empty() || path.front() == '/' || path.back() == '/') std::abort();
  auto normalized = rt::normalize_relative_path(path);
  if (!normalized.ok() || *normalized != path) std::abort();
}

void check_digest(std::string const& digest) {
  auto path = rt::blob_path(digest);
  if (!path.ok()) std::abort();
  check_relative(*path);
}

template <typename T>
bool rejected_with_reason(T const& result) {
  if (result.ok()) return false;
  if (result.status().message().empty()) std::abort();  // every rejection says why
  return true;
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls.
extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  std::string_view const input(reinterpret_cast<char const*>(data), size);

  if (auto m = rt::parse_docker_manifest(input); !rejected_with_reason(m)) {
    check_relative(m->config);
    for (auto const& layer : m->layers) check_relative(layer);
  }
  if (auto index = rt::parse_oci_index(input); !rejected_with_reason(index)) {
    if (index->empty()) std::abort();
    for (auto const& d : *index) check_digest(d.digest);
    if (rt::pick_manifest(*index) >= index->size()) std::abort();
  }
  if (auto m = rt::parse_oci_manifest(input); !rejected_with_reason(m)) {
    check_digest(m->config.digest);
    for (auto const& layer : m->layers) check_digest(layer.digest);
  }
  (void)rejected_with_reason(rt::parse_image_config(input));
  // The raw bytes as a digest and as a path inside an archive.
  if (auto path = rt::blob_path(input); !rejected_with_reason(path)) check_relative(*path);
  if (auto path = rt::normalize_relative_path(input); !rejected_with_reason(path)) {
    if (!path->empty()) check_relative(*path);
  }
  return 0;
}
