// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "runtime/sandbox_root.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace modal::emulator::runtime::internal {
namespace {

// Host trees every sandbox gets its own of: host mounts below them are not bound.
constexpr char const* kReplaced[] = {"/proc", "/sys", "/dev", "/tmp", "/run"};

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_mountinfo(absl::string_view s) {
  auto const octal = [](char c) { return c >= '0' && c <= '7'; };
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && octal(s[i + 1]) && octal(s[i + 2]) && octal(s[i + 3])) {
      out.push_back(
          static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

bool is_under(std::string const& path, std::string const& dir) {
  if (dir == "/") return true;
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
                         path[dir.size()] == '/');
}

bool is_replaced(std::string const& path) {
  return std::any_of(std::begin(kReplaced), std::end(kReplaced),
                     [&](char const* dir) { return is_under(path, dir); });
}

size_t depth(std::string const& path) { return std::count(path.begin(), path.end(), '/'); }

// overlayfs options separate with ',' and lower layers with ':'; escape them.
std::string escape_overlay(std::string const& path) {
  std::string out;
  for (char ch : path) {
    if (ch == ',' || ch == ':' || ch == '\\') out.push_back('\\');
    out.push_back(ch);
  }
  return out;
}

bool is_directory(char const* path) {
  struct stat st;
  return ::stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

MountStep step(MountStep::Op op, std::string what) {
  MountStep s;
  s.op = op;
  s.what = std::move(what);
  return s;
}

MountStep mount_step(std::string source, std::string target, std::string fstype,
                     unsigned long flags, std::string data, std::string what) {
  MountStep s = step(MountStep::Op::kMount, std::move(what));
  s.source = std::move(source);
  s.target = std::move(target);
  s.fstype = std::move(fstype);
  s.flags = flags;
  s.data = std::move(data);
  return s;
}

MountStep bind_read_only(std::string source, std::string target, unsigned long flags, bool optional,
                         std::string what) {
  MountStep s = step(MountStep::Op::kBindReadOnly, std::move(what));
  s.source = std::move(source);
  s.target = std::move(target);
  s.flags = flags;
  s.optional = optional;
  return s;
}

MountStep mkdir_step(std::string target, unsigned mode, bool optional) {
  MountStep s = step(MountStep::Op::kMkdir, "mkdir " + target);
  s.target = std::move(target);
  s.mode = mode;
  s.optional = optional;
  return s;
}

}  // namespace

std::vector<HostMount> read_host_mounts(std::string const& mountinfo_path) {
  std::vector<HostMount> mounts;
  std::ifstream in(mountinfo_path);
  std::string line;
  while (std::getline(in, line)) {
    // ID PARENT MAJ:MIN ROOT MOUNT_POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER_OPTIONS
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ');
    if (fields.size() < 10) continue;
    auto const dash = std::find(fields.begin() + 6, fields.end(), "-");
    if (dash == fields.end() || dash + 1 == fields.end()) continue;
    HostMount m;
    m.mount_point = unescape_mountinfo(fields[4]);
    m.fstype = std::string(*(dash + 1));
    for (absl::string_view option : absl::StrSplit(fields[5], ',')) {
      if (option == "nosuid") m.flags |= MS_NOSUID;
      if (option == "nodev") m.flags |= MS_NODEV;
      if (option == "noexec") m.flags |= MS_NOEXEC;
    }
    mounts.push_back(std::move(m));
  }
  return mounts;
}

std::vector<MountStep> root_plan(RootLayout const& layout, std::vector<HostMount> const& host) {
  std::string const& r = layout.root;
  constexpr unsigned long kNoSuidDevExec = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  std::vector<MountStep> plan;

  // Nothing done here propagates to the host, and nothing of the host's later mounts in.
  plan.push_back(mount_step("", "/", "", MS_REC | MS_PRIVATE, "", "mount --make-rprivate /"));

  // The overlay: the host's / read-only below, the sandbox's writes above. `volatile`
  // (Linux >= 5.10) skips syncing an upper layer that is thrown away anyway.
  std::string lower;
  for (std::string const& layer : layout.layers) {
    absl::StrAppend(&lower, escape_overlay(layer), ":");
  }
  // The bottom layer: the host's /, or an image's own root file system.
  bool const own_root = !layout.rootfs.empty();
  std::string const bottom = own_root ? escape_overlay(layout.rootfs) : std::string("/");
  std::string const options =
      absl::StrCat("lowerdir=", lower, bottom, ",upperdir=", escape_overlay(layout.upper),
                   ",workdir=", escape_overlay(layout.work));
  MountStep overlay =
      mount_step("overlay", r, "overlay", 0, options + ",volatile", "mount overlay on /");
  overlay.fallback_data = options;
  plan.push_back(std::move(overlay));

  // The lower layer is the / mount alone: other host file systems (a separate /home,
  // /work, bind-mounted files) are bound read-only, parents before children, each mount
  // point once (binding a path takes the mount on top).
  // An image's own root has nothing of the host's: no host mounts, nothing to hide; the
  // mount points of what follows are made in the upper layer when the image lacks them.
  std::vector<HostMount const*> nested;
  if (own_root) {
    for (char const* dir : {"/proc", "/sys", "/dev", "/tmp", "/run"}) {
      plan.push_back(mkdir_step(r + dir, 0755, /*optional=*/false));
    }
  }
  for (HostMount const& m : host) {
    if (own_root) break;
    if (m.mount_point.empty() || m.mount_point.front() != '/' || m.mount_point == "/") continue;
    if (is_replaced(m.mount_point)) continue;
    if (std::any_of(layout.hidden.begin(), layout.hidden.end(),
                    [&](std::string const& h) { return is_under(m.mount_point, h); })) {
      continue;
    }
    nested.push_back(&m);
  }
  std::stable_sort(nested.begin(), nested.end(), [](HostMount const* a, HostMount const* b) {
    return depth(a->mount_point) < depth(b->mount_point);
  });
  std::set<std::string> bound;
  for (HostMount const* m : nested) {
    if (!bound.insert(m->mount_point).second) continue;
    // Optional: a mount point that cannot be bound keeps the lower layer's (copy-on-write)
    // directory, which is just as safe.
    plan.push_back(bind_read_only(m->mount_point, r + m->mount_point, m->flags, /*optional=*/true,
                                  "bind host mount " + m->mount_point));
  }

  // The state directory holds every sandbox's upper layer: covered by an empty tmpfs.
  for (std::string const& dir : layout.hidden) {
    if (own_root || dir.empty() || dir == "/" || is_replaced(dir)) continue;
    plan.push_back(mount_step("tmpfs", r + dir, "tmpfs", MS_RDONLY | kNoSuidDevExec,
                              "size=4k,mode=755", "hide " + dir));
  }

  plan.push_back(mount_step("proc", r + "/proc", "proc", kNoSuidDevExec, "", "mount proc"));
  // What in /proc writes to the host's kernel, not to the sandbox's namespaces (what a
  // kernel does not have needs no protection).
  for (char const* path : {"sys", "sysrq-trigger", "irq", "bus", "fs"}) {
    std::string const target = absl::StrCat(r, "/proc/", path);
    MountStep s = bind_read_only(target, target, kNoSuidDevExec, /*optional=*/false,
                                 absl::StrCat("make /proc/", path, " read-only"));
    s.unless_missing = true;
    plan.push_back(std::move(s));
  }
  plan.push_back(
      mount_step("sysfs", r + "/sys", "sysfs", MS_RDONLY | kNoSuidDevExec, "", "mount sysfs"));

  plan.push_back(mount_step("tmpfs", r + "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC,
                            "mode=755,size=65536k", "mount tmpfs on /dev"));
  struct Device {
    char const* name{};
    unsigned major{}, minor{};
  };
  for (Device const& d : {Device{"null", 1, 3}, Device{"zero", 1, 5}, Device{"full", 1, 7},
                          Device{"random", 1, 8}, Device{"urandom", 1, 9}, Device{"tty", 5, 0}}) {
    MountStep s = step(MountStep::Op::kDevice, absl::StrCat("create /dev/", d.name));
    s.source = absl::StrCat("/dev/", d.name);
    s.target = absl::StrCat(r, "/dev/", d.name);
    s.mode = S_IFCHR | 0666;
    s.device = makedev(d.major, d.minor);
    plan.push_back(std::move(s));
  }
  for (auto const& [name, to] :
       {std::pair{"fd", "/proc/self/fd"}, std::pair{"stdin", "/proc/self/fd/0"},
        std::pair{"stdout", "/proc/self/fd/1"}, std::pair{"stderr", "/proc/self/fd/2"},
        std::pair{"ptmx", "pts/ptmx"}}) {
    MountStep s = step(MountStep::Op::kSymlink, absl::StrCat("create /dev/", name));
    s.source = to;
    s.target = absl::StrCat(r, "/dev/", name);
    plan.push_back(std::move(s));
  }
  plan.push_back(mkdir_step(r + "/dev/shm", 01777, /*optional=*/false));
  plan.push_back(mkdir_step(r + "/dev/pts", 0755, /*optional=*/false));
  MountStep pts = step(MountStep::Op::kMoveMount, "mount devpts on /dev/pts");
  pts.fd = layout.devpts_fd;
  pts.target = r + "/dev/pts";
  plan.push_back(std::move(pts));

  plan.push_back(mount_step(layout.tmp, r + "/tmp", "", MS_BIND, "", "bind-mount /tmp"));

  if (own_root || is_directory("/run")) {
    plan.push_back(mount_step("tmpfs", r + "/run", "tmpfs", MS_NOSUID | MS_NODEV,
                              "mode=755,size=65536k", "mount tmpfs on /run"));
    // /etc/resolv.conf is often a symlink into /run (systemd-resolved): keep DNS working.
    char resolved[PATH_MAX];
    if (!own_root && ::realpath("/etc/resolv.conf", resolved) != nullptr &&
        is_under(resolved, "/run") && std::string(resolved) != "/run") {
      std::string const file = resolved;
      std::string dir;
      std::vector<absl::string_view> parts = absl::StrSplit(file, '/', absl::SkipEmpty());
      for (size_t i = 1; i + 1 < parts.size(); ++i) {  // below /run, without the file
        dir = absl::StrCat(dir.empty() ? "/run" : dir, "/", parts[i]);
        plan.push_back(mkdir_step(r + dir, 0755, /*optional=*/true));
      }
      MountStep target = step(MountStep::Op::kFile, "create " + file);
      target.target = r + file;
      target.mode = 0644;
      target.optional = true;
      plan.push_back(std::move(target));
      plan.push_back(
          bind_read_only(file, r + file, kNoSuidDevExec, /*optional=*/true, "bind " + file));
    }
  }

  // Modal's own tools, where its SDKs expect them (the filesystem tool).
  if (!layout.modal_bin.empty()) {
    plan.push_back(mkdir_step(r + "/__modal", 0755, /*optional=*/false));
    plan.push_back(mkdir_step(r + "/__modal/.bin", 0755, /*optional=*/false));
    for (std::string const& tool : layout.modal_bin) {
      std::string const target =
          absl::StrCat(r, "/__modal/.bin/", tool.substr(tool.find_last_of('/') + 1));
      MountStep file = step(MountStep::Op::kFile, "create " + target);
      file.target = target;
      file.mode = 0755;
      plan.push_back(std::move(file));
      plan.push_back(bind_read_only(tool, target, MS_NOSUID | MS_NODEV, /*optional=*/false,
                                    "bind " + tool + " into /__modal/.bin"));
    }
  }

  MountStep pivot = step(MountStep::Op::kPivotRoot, "pivot_root");
  pivot.target = r;
  plan.push_back(std::move(pivot));
  return plan;
}

absl::StatusOr<UniqueFd> new_devpts() {
  auto const failed = [](char const* what) {
    return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(errno)));
  };
  UniqueFd fs(fsopen("devpts", FSOPEN_CLOEXEC));
  if (!fs) return failed("fsopen(devpts)");
  if (fsconfig(fs.get(), FSCONFIG_SET_STRING, "ptmxmode", "0666", 0) != 0 ||
      fsconfig(fs.get(), FSCONFIG_SET_STRING, "mode", "0620", 0) != 0) {
    return failed("fsconfig(devpts)");
  }
  struct group grp;
  struct group* found = nullptr;
  char buf[1024];
  if (getgrnam_r("tty", &grp, buf, sizeof buf, &found) == 0 && found != nullptr) {
    std::string const gid = std::to_string(found->gr_gid);
    fsconfig(fs.get(), FSCONFIG_SET_STRING, "gid", gid.c_str(), 0);  // cosmetic
  }
  if (fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    return failed("fsconfig(devpts, create)");
  }
  UniqueFd mnt(fsmount(fs.get(), FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC));
  if (!mnt) return failed("fsmount(devpts)");
  if (mnt.get() < 3) {
    int const moved = fcntl(mnt.get(), F_DUPFD_CLOEXEC, 3);
    if (moved < 0) return failed("fcntl(F_DUPFD_CLOEXEC)");
    mnt.reset(moved);
  }
  return mnt;
}

absl::StatusOr<UniqueFd> new_layer_store() {
  auto const failed = [](char const* what) {
    return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(errno)));
  };
  UniqueFd fs(fsopen("tmpfs", FSOPEN_CLOEXEC));
  if (!fs) return failed("fsopen(tmpfs)");
  if (fsconfig(fs.get(), FSCONFIG_SET_STRING, "mode", "0700", 0) != 0) {
    return failed("fsconfig(tmpfs)");
  }
  if (fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    return failed("fsconfig(tmpfs, create)");
  }
  UniqueFd mnt(fsmount(fs.get(), FSMOUNT_CLOEXEC, 0));
  if (!mnt) return failed("fsmount(tmpfs)");
  if (mnt.get() < 3) {
    int const moved = fcntl(mnt.get(), F_DUPFD_CLOEXEC, 3);
    if (moved < 0) return failed("fcntl(F_DUPFD_CLOEXEC)");
    mnt.reset(moved);
  }
  return mnt;
}

absl::StatusOr<UniqueFd> new_overlay(std::vector<std::string> const& lower,
                                     std::string const& upper, std::string const& work) {
  auto const failed = [](char const* what) {
    return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
  };
  if (lower.empty()) return absl::InvalidArgumentError("an overlay needs a lower layer");
  std::string lowerdir;
  for (auto const& layer : lower) {
    if (!lowerdir.empty()) lowerdir.push_back(':');
    absl::StrAppend(&lowerdir, escape_overlay(layer));
  }
  UniqueFd fs(fsopen("overlay", FSOPEN_CLOEXEC));
  if (!fs) return failed("fsopen(overlay)");
  if (fsconfig(fs.get(), FSCONFIG_SET_STRING, "lowerdir", lowerdir.c_str(), 0) != 0) {
    return failed("fsconfig(overlay, lowerdir)");
  }
  if (fsconfig(fs.get(), FSCONFIG_SET_STRING, "upperdir", escape_overlay(upper).c_str(), 0) != 0 ||
      fsconfig(fs.get(), FSCONFIG_SET_STRING, "workdir", escape_overlay(work).c_str(), 0) != 0) {
    return failed("fsconfig(overlay, upperdir)");
  }
  if (fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    return failed("mount an overlay of the image's layers");
  }
  UniqueFd mnt(fsmount(fs.get(), FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV));
  if (!mnt) return failed("fsmount(overlay)");
  if (mnt.get() < 3) {
    int const moved = fcntl(mnt.get(), F_DUPFD_CLOEXEC, 3);
    if (moved < 0) return failed("fcntl(F_DUPFD_CLOEXEC)");
    mnt.reset(moved);
  }
  return mnt;
}

absl::Status open_devpts_pty(int devpts_fd, uint16_t rows, uint16_t cols, UniqueFd* master,
                             UniqueFd* slave) {
  auto const failed = [](char const* what) {
    return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
  };
  UniqueFd m(openat(devpts_fd, "ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!m) return failed("open ptmx");
  int unlock = 0;
  if (ioctl(m.get(), TIOCSPTLCK, &unlock) != 0) return failed("unlockpt");
  // The slave through the master (no path lookup into the sandbox's /dev/pts).
  UniqueFd s(ioctl(m.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!s) return failed("TIOCGPTPEER");
  struct winsize ws {};
  ws.ws_row = rows;
  ws.ws_col = cols;
  if (ioctl(s.get(), TIOCSWINSZ, &ws) != 0) return failed("TIOCSWINSZ");
  *master = std::move(m);
  *slave = std::move(s);
  return absl::OkStatus();
}

uint64_t sandbox_capabilities() {
  uint64_t keep = 0;
  for (int cap : {CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID, CAP_KILL, CAP_SETGID,
                  CAP_SETUID, CAP_SETPCAP, CAP_NET_BIND_SERVICE, CAP_NET_RAW, CAP_SYS_CHROOT,
                  CAP_AUDIT_WRITE, CAP_SETFCAP}) {
    keep |= uint64_t{1} << cap;
  }
  return keep;
}

}  // namespace modal::emulator::runtime::internal
