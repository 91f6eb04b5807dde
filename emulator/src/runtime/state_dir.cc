// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "runtime/state_dir.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace modal::emulator::runtime::internal {
namespace {

constexpr absl::string_view kPrefix = "modal-emulator.";

// Field 22 of /proc/<pid>/stat, "" if the process does not exist.
std::string start_time(std::string const& pid) {
  std::ifstream in("/proc/" + pid + "/stat");
  std::string line;
  if (!std::getline(in, line)) return {};
  auto const close_paren = line.rfind(')');
  if (close_paren == std::string::npos) return {};
  std::istringstream rest(line.substr(close_paren + 2));
  std::string field;
  // Fields 3..22; `rest` starts at field 3 (state).
  for (int i = 3; i <= 22; ++i) {
    if (!(rest >> field)) return {};
  }
  return field;
}

}  // namespace

std::string owner_tag() {
  std::string const pid = std::to_string(::getpid());
  return absl::StrCat(pid, ".", start_time(pid));
}

bool owner_alive(std::string_view tag_view) {
  absl::string_view const tag(tag_view.data(), tag_view.size());
  std::vector<absl::string_view> parts = absl::StrSplit(tag, '.');
  uint64_t pid = 0, start = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &pid) ||
      !absl::SimpleAtoi(parts[1], &start)) {
    return false;
  }
  return start_time(std::string(parts[0])) == parts[1];
}

std::string owner_of(std::string_view name_view) {
  absl::string_view const name(name_view.data(), name_view.size());
  if (name.substr(0, kPrefix.size()) != kPrefix) return {};
  std::vector<absl::string_view> parts = absl::StrSplit(name.substr(kPrefix.size()), '.');
  uint64_t n = 0;
  if (parts.size() < 2 || !absl::SimpleAtoi(parts[0], &n) || !absl::SimpleAtoi(parts[1], &n)) {
    return {};
  }
  return absl::StrCat(parts[0], ".", parts[1]);
}

absl::StatusOr<std::string> make_state_dir(std::string const& base) {
  std::string pattern = absl::StrCat(base, "/", kPrefix, owner_tag(), ".XXXXXX");
  if (::mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp ", pattern, ": ", std::strerror(errno)));
  }
  return pattern;
}

size_t remove_stale_state_dirs(std::string const& base) {
  size_t removed = 0;
  std::error_code ec;
  std::vector<std::filesystem::path> stale;
  for (auto it = std::filesystem::directory_iterator(base, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    std::string const name = it->path().filename().string();
    std::string const owner = owner_of(name);
    if (owner.empty() || owner_alive(owner)) continue;
    if (!it->is_directory(ec) || it->is_symlink(ec)) continue;
    stale.push_back(it->path());
  }
  for (auto const& dir : stale) {
    std::error_code rm;
    std::filesystem::remove_all(dir, rm);
    if (!rm) ++removed;
  }
  return removed;
}

}  // namespace modal::emulator::runtime::internal
