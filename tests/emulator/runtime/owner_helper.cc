// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// A process that owns a runtime, for tests that need one to die (or to run as another
// user) without forking the test process itself, whose threads may hold locks at fork
// time:
//
//   emulator_runtime_owner_helper namespaces|fallback [fork]
//       starts a runtime (spawning with fork: the TSan path), a sandbox and an exec in it,
//       writes their two host pids to fd 3 and waits to be killed
//       (SandboxTest.SandboxesDieWithACrashedOwner);
//   emulator_runtime_owner_helper as-nobody [--unsafe-host-filesystem]
//       becomes uid/gid 65534 (no capabilities: no namespaces), tries to start a sandbox
//       running `echo started` and prints "isolated <0|1> <output>" or
//       "error <code> <message>" (IsolationTest.RefusesWhereSandboxesCannotBeIsolated).
#include <grp.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "runtime/runtime.h"
#include "test_util.h"

namespace rt = modal::emulator::runtime;

namespace {

int own_a_sandbox(bool isolated, bool fork) {
  rt::RuntimeOptions options;
  options.isolation = isolated ? rt::Isolation::kAuto : rt::Isolation::kNone;
  options.unsafe_host_filesystem = !isolated;
  options.spawn_with_fork = fork;
  rt::Runtime runtime(options);
  rt::SandboxSpec spec;
  // With namespaces the whole tree dies (the init's death kills the PID namespace);
  // without them only direct children are PDEATHSIG'd (a grandchild would survive).
  spec.argv = isolated ? std::vector<std::string>{"sh", "-c", "sleep 1000 & sleep 1000"}
                       : std::vector<std::string>{"sleep", "1000"};
  auto sb = runtime.create_sandbox(spec);
  if (!sb.ok()) return 1;
  rt::ProcessSpec sleeper;
  sleeper.argv = {"sleep", "1000"};
  auto exec = (*sb)->exec(sleeper);
  if (!exec.ok()) return 2;
  pid_t pids[2] = {(*sb)->pid(), (*exec)->pid()};
  if (::write(3, pids, sizeof pids) != sizeof pids) return 3;
  for (;;) ::pause();
}

int start_as_nobody(bool unsafe) {
  constexpr uid_t kNobody = 65534;
  if (::setgroups(0, nullptr) != 0 || ::setgid(kNobody) != 0 || ::setuid(kNobody) != 0) {
    std::perror("drop privileges");
    return 4;
  }
  rt::RuntimeOptions options;
  options.state_dir = "/tmp";
  options.unsafe_host_filesystem = unsafe;
  rt::Runtime runtime(options);
  rt::SandboxSpec spec;
  spec.argv = {"echo", "started"};
  auto sb = runtime.create_sandbox(spec);
  if (!sb.ok()) {
    std::printf("error %s %s\n", absl::StatusCodeToString(sb.status().code()).c_str(),
                std::string(sb.status().message()).c_str());
    return 0;
  }
  std::string const out = rt::testing::read_all((*sb)->stdout_buffer());
  std::printf("isolated %d %s", (*sb)->isolated() ? 1 : 0, out.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string const mode = argc > 1 ? argv[1] : "";
  if (mode == "namespaces" || mode == "fallback") {
    return own_a_sandbox(mode == "namespaces", argc > 2 && std::string(argv[2]) == "fork");
  }
  if (mode == "as-nobody") {
    return start_as_nobody(argc > 2 && std::string(argv[2]) == "--unsafe-host-filesystem");
  }
  std::fprintf(stderr,
               "usage: %s namespaces|fallback [fork] | as-nobody [--unsafe-host-filesystem]\n",
               argv[0]);
  return 2;
}
