// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_TESTS_EMULATOR_RUNTIME_TEST_UTIL_H
#define MODAL_TESTS_EMULATOR_RUNTIME_TEST_UTIL_H

#include <dirent.h>
#include <signal.h>
#include <sys/types.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "runtime/output_buffer.h"
#include "runtime/types.h"

namespace modal::emulator::runtime::testing {

/// Reads `buffer` from `offset` to EOF (or the deadline), acknowledging as it goes.
inline std::string read_all(OutputBuffer& buffer,
                            Deadline deadline = deadline_after(std::chrono::seconds(10)),
                            uint64_t offset = 0) {
  std::string out;
  for (;;) {
    auto r = buffer.read_into(offset, 1 << 20, &out, deadline);
    if (!r.ok() || r->eof || (r->size == 0 && Clock::now() >= deadline)) break;
    offset = r->offset + r->size;
  }
  return out;
}

/// /proc/<pid>/stat fields: state (3rd) and session (6th). Empty when gone.
inline bool read_stat(pid_t pid, char* state, long* session) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return false;
  auto const close_paren = line.rfind(')');
  if (close_paren == std::string::npos) return false;
  std::istringstream rest(line.substr(close_paren + 2));
  long ppid, pgrp;
  rest >> *state >> ppid >> pgrp >> *session;
  return static_cast<bool>(rest);
}

/// True when `pid` no longer runs (absent, or a zombie / dead entry nobody reaped yet).
inline bool process_gone(pid_t pid) {
  if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
  char state = '?';
  long session = 0;
  if (!read_stat(pid, &state, &session)) return true;
  return state == 'Z' || state == 'X';
}

/// Polls process_gone for up to `timeout`.
inline bool wait_gone(pid_t pid, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  auto const deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (process_gone(pid)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return process_gone(pid);
}

/// Live (non-zombie) processes whose session id is one of `sessions`.
inline std::vector<pid_t> live_in_sessions(std::set<long> const& sessions) {
  std::vector<pid_t> pids;
  DIR* dir = opendir("/proc");
  if (dir == nullptr) return pids;
  while (struct dirent* entry = readdir(dir)) {
    char* end = nullptr;
    long const pid = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0') continue;
    char state = '?';
    long session = 0;
    if (!read_stat(static_cast<pid_t>(pid), &state, &session)) continue;
    if (state == 'Z' || state == 'X') continue;
    if (sessions.count(session) != 0) pids.push_back(static_cast<pid_t>(pid));
  }
  closedir(dir);
  return pids;
}

/// Polls until no live process remains in `sessions`.
inline bool wait_sessions_empty(std::set<long> const& sessions,
                                std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  auto const deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (live_in_sessions(sessions).empty()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return live_in_sessions(sessions).empty();
}

}  // namespace modal::emulator::runtime::testing

#endif  // MODAL_TESTS_EMULATOR_RUNTIME_TEST_UTIL_H
