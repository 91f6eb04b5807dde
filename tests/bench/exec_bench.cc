// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Exec benchmarks against a modal-emulator child process on loopback (so the client's
// CPU time is the client's alone):
//   BM_ExecRoundTrip       exec `true` → wait on a warm Sandbox
//   BM_StdoutThroughput/N  N concurrent execs of `head -c BYTES /dev/zero`, each read to
//                          the end (BYTES = MODAL_BENCH_BYTES, default 1 GiB)
//                          read with read() into a reused buffer (chunks:0) or with
//                          read_chunk() (chunks:1)
// Counters: bytes_per_second, client_cpu_s_per_GiB (user + system CPU of this process
// per GiB streamed), emulator_cpu_s_per_GiB (the emulator and the commands it ran),
// client_minflt_per_GiB and emulator_minflt_per_GiB (minor page faults, /proc/PID/stat).
// See docs/performance.md.
#include <benchmark/benchmark.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_emulator.h"
#include "modal/modal.h"

namespace {

using modal::bench::cpu_seconds;
using modal::bench::EmulatorProcess;
using modal::bench::minor_faults;

std::uint64_t bench_bytes() {
  if (char const* v = std::getenv("MODAL_BENCH_BYTES")) return std::strtoull(v, nullptr, 10);
  return std::uint64_t{1} << 30;
}

/// Total duration and count of the client's attempts per RPC (from the CallObserver).
struct RpcTimes {
  std::atomic<std::int64_t> start_us{0}, start_n{0}, wait_us{0}, wait_n{0};
  void record(modal::CallInfo const& call) {
    if (call.method.ends_with("/TaskExecStart")) {
      start_us += call.duration.count();
      ++start_n;
    } else if (call.method.ends_with("/TaskExecWait")) {
      wait_us += call.duration.count();
      ++wait_n;
    }
  }
  void reset() { start_us = start_n = wait_us = wait_n = 0; }
};
RpcTimes rpc_times;

struct World {
  std::unique_ptr<EmulatorProcess> emulator{};
  std::unique_ptr<modal::Client> client{};
  std::unique_ptr<modal::Sandbox> sandbox{};
};
World* world = nullptr;

void BM_ExecRoundTrip(benchmark::State& state) {  // NOLINT(readability-identifier-naming)
  auto& sb = *world->sandbox;
  sb.exec({"true"}).wait();  // warm: router session and connection exist
  rpc_times.reset();
  for (auto _ : state) {
    auto p = sb.exec({"true"});
    if (p.wait() != 0) state.SkipWithError("true failed");
  }
  // Where the round trip goes: the two RPCs as the client saw them.
  auto avg = [](std::int64_t total, std::int64_t n) {
    return n ? static_cast<double>(total) / static_cast<double>(n) : 0.0;
  };
  state.counters["TaskExecStart_us"] = avg(rpc_times.start_us, rpc_times.start_n);
  state.counters["TaskExecWait_us"] = avg(rpc_times.wait_us, rpc_times.wait_n);
}
BENCHMARK(BM_ExecRoundTrip)->UseRealTime()->Unit(benchmark::kMicrosecond);

/// range(0): concurrent readers; range(1): 0 = StreamReader::read() into one reused 1 MiB
/// buffer (allocation-free), 1 = read_chunk() (each chunk a string the caller owns).
void BM_StdoutThroughput(benchmark::State& state) {  // NOLINT(readability-identifier-naming)
  auto& sb = *world->sandbox;
  int const readers = static_cast<int>(state.range(0));
  bool const chunks = state.range(1) == 1;
  std::uint64_t const bytes = bench_bytes();
  std::uint64_t total = 0;
  double cpu = 0;
  double emulator_cpu = 0;
  double minflt = 0;
  double emulator_minflt = 0;
  for (auto _ : state) {
    std::atomic<std::uint64_t> got{0};
    double const cpu0 = cpu_seconds();
    double const emulator_cpu0 = world->emulator->cpu_seconds();
    double const minflt0 = minor_faults();
    double const emulator_minflt0 = world->emulator->minor_faults();
    std::vector<std::thread> threads;
    threads.reserve(static_cast<std::size_t>(readers));
    for (int r = 0; r < readers; ++r) {
      threads.emplace_back([&] {
        modal::SandboxExecParams params;
        params.stderr_behavior = modal::StdioBehavior::kIgnore;
        auto p = sb.exec({"head", "-c", std::to_string(bytes), "/dev/zero"}, params);
        auto out = p.stdout_stream();
        std::uint64_t n = 0;
        if (chunks) {
          while (auto chunk = out.read_chunk()) n += chunk->size();
        } else {
          std::vector<char> buffer(std::size_t{1} << 20);
          while (auto const k = out.read(buffer)) n += k;
        }
        p.wait();
        got += n;
      });
    }
    for (auto& t : threads) t.join();
    cpu += cpu_seconds() - cpu0;
    emulator_cpu += world->emulator->cpu_seconds() - emulator_cpu0;
    minflt += minor_faults() - minflt0;
    emulator_minflt += world->emulator->minor_faults() - emulator_minflt0;
    if (got.load() != bytes * readers) state.SkipWithError("short read");
    total += got.load();
  }
  state.SetBytesProcessed(static_cast<int64_t>(total));
  double const gib = static_cast<double>(total) / (1u << 30);
  state.counters["client_cpu_s_per_GiB"] = total == 0 ? 0.0 : cpu / gib;
  // The emulator's own CPU plus the commands' (head writing /dev/zero into the pipe).
  state.counters["emulator_cpu_s_per_GiB"] = total == 0 ? 0.0 : emulator_cpu / gib;
  // Page faults: memory returned to the kernel and touched again shows up here.
  state.counters["client_minflt_per_GiB"] = total == 0 ? 0.0 : minflt / gib;
  state.counters["emulator_minflt_per_GiB"] = total == 0 ? 0.0 : emulator_minflt / gib;
}
BENCHMARK(BM_StdoutThroughput)
    ->ArgNames({"readers", "chunks"})
    ->Args({1, 0})
    ->Args({8, 0})
    ->Args({1, 1})
    ->Args({8, 1})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  World w;
  w.emulator = std::make_unique<EmulatorProcess>();
  modal::ClientOptions o = w.emulator->client_options();
  o.call_observer = [](modal::CallInfo const& call) { rpc_times.record(call); };
  w.client = std::make_unique<modal::Client>(o);
  auto app = w.client->apps().from_name("exec-bench", {.create_if_missing = true});
  w.sandbox = std::make_unique<modal::Sandbox>(
      w.client->sandboxes().create(app, w.client->images().from_registry("alpine:3.21")));
  world = &w;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  w.sandbox->terminate();
  world = nullptr;
  return 0;
}
