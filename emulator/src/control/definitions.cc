// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "control/definitions.h"

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/volume_tree.h"
#include "server/core.h"

namespace modal::emulator {

namespace {
constexpr std::size_t kMaxNameLength = 64;
}  // namespace

bool valid_object_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

std::string mount_key(std::string const& path) {
  std::string out = std::filesystem::path(path).lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

absl::StatusOr<runtime::VolumeMount> resolve_volume_mount(Core& core,
                                                          modal::client::VolumeMount const& m) {
  auto volume = core.volumes().get(m.volume_id());
  if (!volume.ok()) return volume.status();
  auto tree =
      runtime::open_volume_tree(volume->dir, m.has_sub_path() ? m.sub_path() : "", m.read_only());
  if (!tree.ok()) {
    if (tree.status().code() != absl::StatusCode::kInvalidArgument) return tree.status();
    return absl::InvalidArgumentError(
        absl::StrCat("Volume ", volume->id, ": ", tree.status().message()));
  }
  return runtime::VolumeMount{*std::move(tree), mount_key(m.mount_path())};
}

}  // namespace modal::emulator
