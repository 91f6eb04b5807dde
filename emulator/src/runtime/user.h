// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_RUNTIME_USER_H
#define MODAL_EMULATOR_RUNTIME_USER_H

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace modal::emulator::runtime {

/// Who a sandbox's processes run as (an image's USER).
struct UserIds {
  uid_t uid = 0;
  gid_t gid = 0;
  /// Supplementary groups: those of /etc/group that list the user by name.
  std::vector<gid_t> groups{};
  /// The home directory from /etc/passwd ("" when the user has no entry).
  std::string home{};
};

/**
 * Resolves a Dockerfile USER, `user[:group]`, each a name or a number, against the
 * contents of an image's /etc/passwd and /etc/group, as Docker does: a name must have an
 * entry (else INVALID_ARGUMENT "unable to find user NAME: no matching entries in passwd
 * file"); a number needs none (its group is then 0, or the entry's when there is one); an
 * explicit group replaces the primary group and drops the supplementary ones. Malformed
 * lines are skipped; numbers above 2^32 - 2 are refused.
 */
absl::StatusOr<UserIds> resolve_user(std::string_view user, std::string_view passwd,
                                     std::string_view group);

/**
 * resolve_user() with the files read from the first of `roots` (directories: image layers
 * topmost first, then the root file system) that has them, as an overlay shows them.
 * Files larger than 4 MiB are refused.
 */
absl::StatusOr<UserIds> resolve_user_in(std::string_view user,
                                        std::vector<std::string> const& roots);

}  // namespace modal::emulator::runtime

#endif  // MODAL_EMULATOR_RUNTIME_USER_H
