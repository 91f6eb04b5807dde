// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_RUNTIME_SANDBOX_ROOT_H
#define MODAL_EMULATOR_RUNTIME_SANDBOX_ROOT_H

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/spawner.h"
#include "runtime/unique_fd.h"

/// The root file system of an isolated sandbox (internal to the runtime).
///
/// Every sandbox gets, in its own mount namespace:
///
///   /            overlayfs: lower = the image's layers (RootLayout::layers, topmost
///                first) above the host's / (that mount only) or the image's own root
///                file system (RootLayout::rootfs), upper and work =
///                <sandbox dir>/upper and /work on the host; writes land in the upper
///   /<nested>    every other host mount below / (a separate /home, /work, ...; bind
///                mounts of files) bound read-only, except those below /proc, /sys,
///                /dev, /tmp, /run and the hidden directories (none with an own root)
///   <hidden>     an empty read-only tmpfs over the emulator's state directory, so that
///                no sandbox sees another's upper directory
///   /proc        a fresh procfs of its PID namespace; /proc/sys, /proc/sysrq-trigger,
///                /proc/irq, /proc/bus and /proc/fs read-only
///   /sys         a fresh sysfs, read-only
///   /dev         a tmpfs with null, zero, full, random, urandom, tty, the symlinks fd,
///                stdin, stdout, stderr and ptmx -> pts/ptmx, an empty shm/ (1777), and
///                /dev/pts: a devpts instance of its own (ptmx 0666)
///   /tmp         <sandbox dir>/tmp bound (private, on the host's disk)
///   /run         an empty tmpfs (host sockets such as docker.sock stay out of reach),
///                with /etc/resolv.conf's target bound read-only when it lives there
///   /__modal/.bin  the emulator's tools (RootLayout::modal_bin), each bound read-only
///
/// then pivot_root into it. Processes then drop the capabilities that reach past these
/// namespaces (sandbox_capabilities()).
namespace modal::emulator::runtime::internal {

/// One mount of the host's mount table.
struct HostMount {
  std::string mount_point{};
  std::string fstype{};
  /// MS_NOSUID, MS_NODEV, MS_NOEXEC as the host has them.
  unsigned long flags = 0;
};

/// The mounts of /proc/self/mountinfo (or `mountinfo_path`), in table order. Empty if it
/// cannot be read.
std::vector<HostMount> read_host_mounts(std::string const& mountinfo_path = "/proc/self/mountinfo");

/// Where a sandbox's root lives on the host.
struct RootLayout {
  /// Mount point of the overlay (an empty directory).
  std::string root{};
  /// Overlay upper and work directories (on one file system, not overlayfs).
  std::string upper{};
  std::string work{};
  /// Bound on /tmp.
  std::string tmp{};
  /// Host directories covered by an empty read-only tmpfs (the state directory).
  std::vector<std::string> hidden{};
  /// A detached devpts instance (new_devpts()), attached on /dev/pts.
  int devpts_fd = -1;
  /// Host executables bound read-only (and executable) into /__modal/.bin/ under their
  /// file names.
  std::vector<std::string> modal_bin{};
  /// Image layers between the upper directory and the host's /, topmost first.
  std::vector<std::string> layers{};
  /// An image's own root file system, the bottom layer instead of the host's / ("" =
  /// the host's). With it no host mount is bound and nothing needs hiding.
  std::string rootfs{};
};

/// The steps that build the root described at the top of this file, ending with the
/// pivot_root into it.
std::vector<MountStep> root_plan(RootLayout const& layout, std::vector<HostMount> const& host);

/// A devpts instance of its own, detached (fsopen/fsmount, Linux >= 5.2): the sandbox's
/// /dev/pts, and where the runtime opens the sandbox's terminals.
absl::StatusOr<UniqueFd> new_devpts();

/// A tmpfs instance of its own, detached (fsopen/fsmount, like new_devpts()): where image
/// layers live. Not on the host's disk because overlayfs refuses a lower layer below
/// another one ("overlapping lowerdir path"), and every directory of the host's root file
/// system is below the host's /, the bottom layer of every sandbox.
absl::StatusOr<UniqueFd> new_layer_store();

/// A writable overlayfs instance of its own, detached (fsopen/fsmount, like new_devpts()):
/// `lower` (topmost first, at least one) below, `upper` and `work` (empty directories on
/// one file system, not overlayfs) above. What Sandbox::mount_layers attaches in a
/// sandbox. nosuid and nodev, like every mount of an image.
absl::StatusOr<UniqueFd> new_overlay(std::vector<std::string> const& lower,
                                     std::string const& upper, std::string const& work);

/// A terminal of the devpts instance `devpts_fd`: master and slave, `rows` x `cols`.
absl::Status open_devpts_pty(int devpts_fd, uint16_t rows, uint16_t cols, UniqueFd* master,
                             UniqueFd* slave);

/// The capabilities sandbox processes keep (a bitmask for SpawnRequest::keep_capabilities):
/// Docker's default set without CAP_MKNOD. Gone are those that reach past the namespaces:
/// CAP_SYS_ADMIN (mount, remount a read-only bind writable, ...), CAP_SYS_MODULE,
/// CAP_SYS_RAWIO, CAP_SYS_TIME, CAP_SYS_BOOT, CAP_SYS_PTRACE, CAP_NET_ADMIN,
/// CAP_DAC_READ_SEARCH (open_by_handle_at), CAP_MKNOD (a host disk's device node), ...
uint64_t sandbox_capabilities();

}  // namespace modal::emulator::runtime::internal

#endif  // MODAL_EMULATOR_RUNTIME_SANDBOX_ROOT_H
