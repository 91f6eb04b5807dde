// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// What the benchmarks share: a modal-emulator child process on an ephemeral loopback port
// (so the client's CPU time is the client's alone) and process counters.
#ifndef MODAL_TESTS_BENCH_BENCH_EMULATOR_H
#define MODAL_TESTS_BENCH_BENCH_EMULATOR_H

#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "modal/client.h"
#include "modal/value.h"

extern char** environ;

namespace modal::bench {

/// User + system CPU seconds of this process so far.
inline double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto tv = [](timeval t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return tv(ru.ru_utime) + tv(ru.ru_stime);
}

/// Fields 10..17 of /proc/PID/stat (minflt, cminflt, majflt, cmajflt, utime, stime,
/// cutime, cstime), indexed from 10.
inline std::vector<double> stat_fields(std::string const& pid) {
  std::ifstream in("/proc/" + pid + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<double> out(8, 0.0);
  auto const close = stat.rfind(')');
  if (close == std::string::npos) return out;
  std::istringstream fields(stat.substr(close + 2));
  std::string f;
  for (int i = 3; i <= 17 && fields >> f; ++i) {
    if (i >= 10) out[static_cast<std::size_t>(i - 10)] = std::stod(f);
  }
  return out;
}

/// Minor page faults of this process so far (/proc/self/stat).
inline double minor_faults() { return stat_fields("self")[0]; }

/// A modal-emulator child process on an ephemeral loopback port.
class EmulatorProcess {
 public:
  /// `extra_args`: more modal-emulator options, e.g. {"--queue-max-partition-items", "20000"}.
  explicit EmulatorProcess(std::vector<std::string> const& extra_args = {}) {
    dir_ = std::filesystem::temp_directory_path() / ("modal-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    auto const port_file = (dir_ / "port").string();
    std::vector<std::string> args = {MODAL_EMULATOR_BINARY, "--port", "0", "--port-file",
                                     port_file};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ) != 0) {
      throw std::runtime_error("cannot start " + args[0]);
    }
    for (int i = 0; i < 500 && port_ == 0; ++i) {
      std::ifstream in(port_file);
      if (!(in >> port_)) {
        port_ = 0;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    if (port_ == 0) throw std::runtime_error("modal-emulator did not start");
  }
  ~EmulatorProcess() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  /// Options of a Client of this emulator (its default credentials, no config file).
  ClientOptions client_options() const {
    ClientOptions o;
    o.server_url = url();
    o.token_id = "ak-emulator";
    o.token_secret = "as-emulator";
    o.config_path = "/nonexistent/modal-bench.toml";
    return o;
  }
  /// CPU seconds (user + system) of the emulator and of its reaped children (the
  /// commands it ran), from /proc/PID/stat.
  double cpu_seconds() const {
    auto const f = stat_fields(std::to_string(pid_));
    return (f[4] + f[5] + f[6] + f[7]) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  }
  /// Minor page faults of the emulator itself (not of the commands it ran).
  double minor_faults() const { return stat_fields(std::to_string(pid_))[0]; }

 private:
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

/// About 1 MB once pickled or CBOR-encoded: 12,000 dicts of ints, floats, str, bytes,
/// None and a big int (the codec benchmarks' input).
inline Value mixed_megabyte() {
  std::vector<Value> items;
  items.reserve(12'000);
  for (int i = 0; i < 12'000; ++i) {
    items.push_back(Value{{"id", i},
                          {"score", i * 0.5},
                          {"name", "item-" + std::to_string(i)},
                          {"blob", Value::bytes(std::string(32, 'b'))},
                          {"tags", Value::list({"a", "b", nullptr, true})},
                          {"big", Value::big_int("123456789012345678901234567890")}});
  }
  return Value::list(std::move(items));
}

}  // namespace modal::bench

#endif  // MODAL_TESTS_BENCH_BENCH_EMULATOR_H
