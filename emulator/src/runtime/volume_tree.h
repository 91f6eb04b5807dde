// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_RUNTIME_VOLUME_TREE_H
#define MODAL_EMULATOR_RUNTIME_VOLUME_TREE_H

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/unique_fd.h"

/// Modal Volumes on the host: a Volume is a directory of the emulator's state directory,
/// bound into the sandboxes that mount it (SandboxSpec::volumes). Sandboxes write into
/// those directories while they run, so everything here works through file descriptors
/// and never follows a symbolic link a sandbox may have put there.
namespace modal::emulator::runtime {

/// `sub_path` (VolumeMount.sub_path) in normal form: relative, components separated by
/// one '/', no "." or empty components ("" = the Volume's root); a leading '/' names the
/// Volume's root ("/data" = "data"). INVALID_ARGUMENT for a ".." component or a NUL byte.
absl::StatusOr<std::string> normal_sub_path(std::string_view sub_path);

/// A detached bind mount (open_tree(OPEN_TREE_CLONE)) of the directory `sub_path` below
/// `volume_dir`, nosuid and nodev, read-only (MOUNT_ATTR_RDONLY) when `read_only`: what
/// Engine moves into a new sandbox at its mount path. `sub_path` (normal_sub_path()) is
/// resolved beneath `volume_dir` (openat2 RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS |
/// RESOLVE_NO_XDEV): symbolic links that stay inside the Volume are followed, any that
/// leads out of it is INVALID_ARGUMENT, as is a component that is not a directory.
/// Missing directories of `sub_path` are created (mode 0777). FAILED_PRECONDITION when
/// `volume_dir` is gone, INTERNAL for other system failures.
absl::StatusOr<std::shared_ptr<internal::UniqueFd>> open_volume_tree(std::string const& volume_dir,
                                                                     std::string_view sub_path,
                                                                     bool read_only);

/// Removes `path` and everything below it without following symbolic links (every
/// lookup relative to an O_NOFOLLOW directory fd), so that a sandbox writing into the
/// tree meanwhile cannot redirect the removal outside it. Retries directories that a
/// concurrent writer refilled a few times; trees deeper than 512 levels are left (an
/// error). OK when `path` does not exist.
absl::Status remove_tree(std::string const& path);

}  // namespace modal::emulator::runtime

#endif  // MODAL_EMULATOR_RUNTIME_VOLUME_TREE_H
