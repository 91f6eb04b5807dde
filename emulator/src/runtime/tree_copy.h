// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_RUNTIME_TREE_COPY_H
#define MODAL_EMULATOR_RUNTIME_TREE_COPY_H

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace modal::emulator::runtime {

struct TreeCopyStats {
  uint64_t files = 0;
  uint64_t directories = 0;
  uint64_t bytes = 0;
};

/**
 * Copies the directory tree below the open directory `src_dirfd` into `dest` (created,
 * mode and owner of the source; must not exist yet), as a file-system layer needs it:
 * regular files (copy_file_range), directories, symbolic links (never followed), FIFOs,
 * sockets' absence (skipped), and device nodes, so that overlayfs whiteouts (0/0
 * character devices) survive; mode, owner, timestamps and extended attributes (the
 * `trusted.overlay.*` opaque markers, file capabilities) are kept. Hard links become
 * separate copies. The walk is fd-based (`openat` with `O_NOFOLLOW`), so a symbolic link
 * inside the tree never leads it outside. Mount points of kernel file systems (proc, sysfs,
 * devpts, cgroup, ...) below the source are copied as empty directories.
 *
 * On failure `dest` is removed and the error says which path failed.
 */
absl::Status copy_tree(int src_dirfd, std::string const& dest, TreeCopyStats* stats = nullptr);

/// copy_tree() of the directory at `src` (opened with O_NOFOLLOW).
absl::Status copy_tree(std::string const& src, std::string const& dest,
                       TreeCopyStats* stats = nullptr);

}  // namespace modal::emulator::runtime

#endif  // MODAL_EMULATOR_RUNTIME_TREE_COPY_H
