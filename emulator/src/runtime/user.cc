// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "runtime/user.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runtime/unique_fd.h"

namespace modal::emulator::runtime {
namespace {

constexpr size_t kMaxFile = size_t{4} << 20;
constexpr uint64_t kMaxId = 0xfffffffeULL;  // (uid_t)-1 means "unchanged"

/// A decimal id, or nullopt.
std::optional<uint32_t> parse_id(std::string_view s) {
  if (s.empty() || s.size() > 10) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > kMaxId) return std::nullopt;
  return static_cast<uint32_t>(v);
}

/// The fields of the colon-separated lines of `text` (passwd: 7, group: 4).
std::vector<std::vector<std::string_view>> entries(std::string_view text, size_t fields) {
  std::vector<std::vector<std::string_view>> out;
  for (absl::string_view line : absl::StrSplit(absl::string_view(text.data(), text.size()), '\n')) {
    if (line.empty() || line.front() == '#') continue;
    std::vector<std::string_view> parts;
    for (absl::string_view part : absl::StrSplit(line, ':')) {
      parts.emplace_back(part.data(), part.size());
    }
    if (parts.size() < fields || parts[0].empty()) continue;
    out.push_back(std::move(parts));
  }
  return out;
}

absl::StatusOr<std::string> read_small(std::string const& path, bool* found) {
  *found = false;
  internal::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) {
    if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) return std::string();
    return absl::InternalError(absl::StrCat("read ", path, ": ", std::strerror(errno)));
  }
  *found = true;
  struct stat st;
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return std::string();
  if (static_cast<size_t>(st.st_size) > kMaxFile) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is larger than 4 MiB"));
  }
  std::string out(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < out.size()) {
    ssize_t const n = ::read(fd.get(), out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  return out;
}

}  // namespace

absl::StatusOr<UserIds> resolve_user(std::string_view user, std::string_view passwd,
                                     std::string_view group) {
  std::string_view name = user;
  std::optional<std::string_view> group_name;
  if (auto const colon = user.find(':'); colon != std::string_view::npos) {
    name = user.substr(0, colon);
    group_name = user.substr(colon + 1);
  }
  if (name.empty() || (group_name && group_name->empty())) {
    return absl::InvalidArgumentError(absl::StrCat("invalid USER \"", std::string(user), "\""));
  }
  UserIds ids;
  auto const users = entries(passwd, 7);
  auto const numeric = parse_id(name);
  bool found = false;
  for (auto const& e : users) {
    if (numeric ? parse_id(e[2]) == numeric : e[0] == name) {
      auto const uid = parse_id(e[2]);
      auto const gid = parse_id(e[3]);
      if (!uid || !gid) continue;
      ids.uid = *uid;
      ids.gid = *gid;
      ids.home = std::string(e[5]);
      name = e[0];
      found = true;
      break;
    }
  }
  if (!found) {
    if (!numeric) {
      return absl::InvalidArgumentError(absl::StrCat("unable to find user ", std::string(name),
                                                     ": no matching entries in passwd file"));
    }
    ids.uid = *numeric;
    ids.gid = 0;
  }
  auto const groups = entries(group, 4);
  if (group_name) {
    auto const gid = parse_id(*group_name);
    bool group_found = gid.has_value();
    if (gid) ids.gid = *gid;
    for (auto const& e : groups) {
      if (gid || e[0] != *group_name) continue;
      if (auto const g = parse_id(e[2])) {
        ids.gid = *g;
        group_found = true;
        break;
      }
    }
    if (!group_found) {
      return absl::InvalidArgumentError(absl::StrCat("unable to find group ",
                                                     std::string(*group_name),
                                                     ": no matching entries in group file"));
    }
    return ids;
  }
  if (!found) return ids;
  for (auto const& e : groups) {
    auto const g = parse_id(e[2]);
    if (!g) continue;
    for (absl::string_view member :
         absl::StrSplit(absl::string_view(e[3].data(), e[3].size()), ',')) {
      if (std::string_view(member.data(), member.size()) == name &&
          std::find(ids.groups.begin(), ids.groups.end(), *g) == ids.groups.end()) {
        ids.groups.push_back(*g);
      }
    }
  }
  return ids;
}

absl::StatusOr<UserIds> resolve_user_in(std::string_view user,
                                        std::vector<std::string> const& roots) {
  std::string files[2];
  char const* const names[2] = {"/etc/passwd", "/etc/group"};
  for (int i = 0; i < 2; ++i) {
    for (auto const& root : roots) {
      bool found = false;
      auto text = read_small(root + names[i], &found);
      if (!text.ok()) return text.status();
      if (found) {
        files[i] = *std::move(text);
        break;
      }
    }
  }
  return resolve_user(user, files[0], files[1]);
}

}  // namespace modal::emulator::runtime
