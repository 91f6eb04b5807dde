// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Queues against a modal-emulator child process, and the pickle codec on its own:
//   BM_QueuePutGet       one put + get of a small dict (one client, one thread)
//   BM_QueuePutMany      one put_many of 10,000 small dicts (drained outside the timing;
//                        the emulator allows 20,000 items per partition for it)
//   BM_Queue8x8          8 producer and 8 consumer threads move 100,000 small dicts
//   BM_PickleEncode/Decode  a list of mixed values of about 1 MB pickled
// Figures and commands: docs/performance.md.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench_emulator.h"
#include "codec_bench.h"
#include "internal/pickle.h"
#include "modal/modal.h"

namespace {

using modal::bench::cpu_seconds;

struct World {
  std::unique_ptr<modal::bench::EmulatorProcess> emulator{};
  std::unique_ptr<modal::Client> client{};
};
World* world = nullptr;

modal::Value small_value(int i) { return {{"i", i}, {"s", "payload"}}; }

int items_8x8() {
  if (char const* v = std::getenv("MODAL_BENCH_QUEUE_ITEMS")) return std::atoi(v);
  return 100'000;
}

void BM_QueuePutGet(benchmark::State& state) {  // NOLINT(readability-identifier-naming)
  auto q = world->client->queues().ephemeral();
  double const cpu0 = cpu_seconds();
  int i = 0;
  for (auto _ : state) {
    q.put(small_value(i));
    if (q.get()["i"].as_int() != i) state.SkipWithError("wrong value");
    ++i;
  }
  state.counters["client_cpu_us_per_op"] =
      1e6 * (cpu_seconds() - cpu0) / static_cast<double>(std::max(i, 1));
  q.close_ephemeral();
}
BENCHMARK(BM_QueuePutGet)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_QueuePutMany(benchmark::State& state) {  // NOLINT(readability-identifier-naming)
  auto q = world->client->queues().ephemeral();
  std::vector<modal::Value> values;
  values.reserve(10'000);
  for (int i = 0; i < 10'000; ++i) values.push_back(small_value(i));
  for (auto _ : state) {
    q.put_many(values);
    state.PauseTiming();
    q.clear();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(values.size()));
  q.close_ephemeral();
}
BENCHMARK(BM_QueuePutMany)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_Queue8x8(benchmark::State& state) {  // NOLINT(readability-identifier-naming)
  int const items = items_8x8();
  constexpr int kThreads = 8;
  constexpr int kBatch = 100;
  auto q = world->client->queues().ephemeral();
  for (auto _ : state) {
    std::atomic<int> next{0};
    std::atomic<int> taken{0};
    std::atomic<bool> failed{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        try {
          for (int start; (start = next.fetch_add(kBatch)) < items;) {
            std::vector<modal::Value> batch;
            for (int i = start; i < std::min(items, start + kBatch); ++i) {
              batch.push_back(small_value(i));
            }
            q.put_many(batch);
          }
        } catch (std::exception const&) {
          failed = true;
        }
      });
      threads.emplace_back([&] {
        try {
          while (taken.load() < items && !failed) {
            try {
              taken += static_cast<int>(
                  q.get_many(kBatch, {.timeout = std::chrono::milliseconds(200)}).size());
            } catch (modal::QueueEmptyError const&) {
            }
          }
        } catch (std::exception const&) {
          failed = true;
        }
      });
    }
    for (auto& t : threads) t.join();
    if (failed || taken.load() != items) state.SkipWithError("lost values");
  }
  state.SetItemsProcessed(state.iterations() * items);
  q.close_ephemeral();
}
BENCHMARK(BM_Queue8x8)->UseRealTime()->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_PickleEncode(benchmark::State& state) {  // NOLINT(readability-identifier-naming)
  modal::bench::encode_benchmark(
      state, [](modal::Value const& v) { return modal::internal::pickle_encode(v); },
      "pickle_bytes");
}
BENCHMARK(BM_PickleEncode)->Unit(benchmark::kMillisecond);

void BM_PickleDecode(benchmark::State& state) {  // NOLINT(readability-identifier-naming)
  modal::bench::decode_benchmark(
      state, [](modal::Value const& v) { return modal::internal::pickle_encode(v); },
      [](std::string const& data) { return modal::internal::pickle_decode(data); });
}
BENCHMARK(BM_PickleDecode)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  World w;
  // Room for put_many of 10,000 in one partition (Modal's, and the emulator's default
  // limit, is 5,000 items).
  w.emulator = std::make_unique<modal::bench::EmulatorProcess>(
      std::vector<std::string>{"--queue-max-partition-items", "20000"});
  w.client = std::make_unique<modal::Client>(w.emulator->client_options());
  world = &w;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  world = nullptr;
  return 0;
}
