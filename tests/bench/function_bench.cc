// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Functions against a modal-emulator child process (its libmodal-test-support fixtures),
// and the CBOR codec on its own:
//   BM_FunctionRemote/control  one warm remote() of identity_with_repr (control plane:
//                              FunctionMap + FunctionGetOutputs)
//   BM_FunctionRemote/input    one warm remote() of input_plane (AttemptStart + AttemptAwait)
//   BM_FunctionSpawnThenGet    1,000 echo_string spawns, then a get() of each
//   BM_FunctionBlobIn          10 MiB of bytes into bytelength (BlobCreate + HTTP PUT)
//   BM_FunctionBlobOut         10 MiB of text through echo_string (a blob each way)
//   BM_CborEncode/Decode       a list of mixed values of about 1 MB
// Figures and commands: docs/performance.md.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "bench_emulator.h"
#include "codec_bench.h"
#include "internal/cbor.h"
#include "modal/modal.h"

namespace {

using modal::bench::cpu_seconds;

constexpr char kApp[] = "libmodal-test-support";

struct World {
  std::unique_ptr<modal::bench::EmulatorProcess> emulator{};
  std::unique_ptr<modal::Client> client{};
};
World* world = nullptr;

std::size_t blob_bytes() {
  if (char const* v = std::getenv("MODAL_BENCH_FUNCTION_BYTES")) {
    return std::strtoull(v, nullptr, 10);
  }
  return std::size_t{10} << 20;
}

int spawns() {
  if (char const* v = std::getenv("MODAL_BENCH_SPAWNS")) return std::atoi(v);
  return 1000;
}

void BM_FunctionRemote(benchmark::State& state) {  // NOLINT(readability-identifier-naming)
  bool const input_plane = state.range(0) == 1;
  auto f = world->client->functions().from_name(kApp,
                                                input_plane ? "input_plane" : "identity_with_repr");
  f.remote({"warm"});
  double const cpu0 = cpu_seconds();
  int i = 0;
  for (auto _ : state) {
    auto const s = "x" + std::to_string(i++);
    modal::Value const out = f.remote({s});
    if (input_plane ? out != modal::Value("output: " + s) : out.at(0) != modal::Value(s)) {
      state.SkipWithError("wrong output");
    }
  }
  state.counters["client_cpu_us_per_call"] =
      1e6 * (cpu_seconds() - cpu0) / static_cast<double>(std::max(i, 1));
  state.SetLabel(input_plane ? "input plane" : "control plane");
}
BENCHMARK(BM_FunctionRemote)->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_FunctionSpawnThenGet(benchmark::State& state) {  // NOLINT(readability-identifier-naming)
  auto f = world->client->functions().from_name(kApp, "echo_string");
  f.remote({"warm"});
  int const n = spawns();
  for (auto _ : state) {
    std::vector<modal::FunctionCall> calls;
    calls.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) calls.push_back(f.spawn({std::to_string(i)}));
    for (int i = 0; i < n; ++i) {
      if (calls[static_cast<std::size_t>(i)].get() !=
          modal::Value("output: " + std::to_string(i))) {
        state.SkipWithError("wrong output");
      }
    }
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_FunctionSpawnThenGet)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_FunctionBlobIn(benchmark::State& state) {  // NOLINT(readability-identifier-naming)
  auto f = world->client->functions().from_name(kApp, "bytelength");
  auto const n = blob_bytes();
  modal::Value const input = modal::Value::bytes(std::string(n, '\x5a'));
  for (auto _ : state) {
    if (f.remote({input}).as_int() != static_cast<std::int64_t>(n)) state.SkipWithError("length");
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(n));
}
BENCHMARK(BM_FunctionBlobIn)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_FunctionBlobOut(benchmark::State& state) {  // NOLINT(readability-identifier-naming)
  auto f = world->client->functions().from_name(kApp, "echo_string");
  auto const n = blob_bytes();
  modal::Value const input(std::string(n, 'z'));
  for (auto _ : state) {
    if (f.remote({input}).as_string().size() != n + 8) state.SkipWithError("length");
  }
  // Each call moves the bytes twice: up in one blob, down in another.
  state.SetBytesProcessed(state.iterations() * 2 * static_cast<std::int64_t>(n));
}
BENCHMARK(BM_FunctionBlobOut)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_CborEncode(benchmark::State& state) {  // NOLINT(readability-identifier-naming)
  modal::bench::encode_benchmark(
      state, [](modal::Value const& v) { return modal::internal::cbor_encode(v); }, "cbor_bytes");
}
BENCHMARK(BM_CborEncode)->Unit(benchmark::kMillisecond);

void BM_CborDecode(benchmark::State& state) {  // NOLINT(readability-identifier-naming)
  modal::bench::decode_benchmark(
      state, [](modal::Value const& v) { return modal::internal::cbor_encode(v); },
      [](std::string const& data) { return modal::internal::cbor_decode(data); });
}
BENCHMARK(BM_CborDecode)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  World w;
  w.emulator = std::make_unique<modal::bench::EmulatorProcess>();
  w.client = std::make_unique<modal::Client>(w.emulator->client_options());
  world = &w;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  world = nullptr;
  return 0;
}
