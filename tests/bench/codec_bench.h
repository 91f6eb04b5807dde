// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// The codec benchmarks of queue_bench (pickle) and function_bench (CBOR): one encode or
// decode of bench::mixed_megabyte() per iteration.
#ifndef MODAL_TESTS_BENCH_CODEC_BENCH_H
#define MODAL_TESTS_BENCH_CODEC_BENCH_H

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "bench_emulator.h"

namespace modal::bench {

/// Encodes the mixed megabyte with `encode` per iteration; reports bytes/s and the
/// encoding's size as the counter `size_counter`.
template <typename Encode>
void encode_benchmark(benchmark::State& state, Encode encode, char const* size_counter) {
  auto const v = mixed_megabyte();
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto data = encode(v);
    bytes = data.size();
    benchmark::DoNotOptimize(data);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes));
  state.counters[size_counter] = static_cast<double>(bytes);
}

/// Decodes the mixed megabyte (encoded once with `encode`) with `decode` per iteration.
template <typename Encode, typename Decode>
void decode_benchmark(benchmark::State& state, Encode encode, Decode decode) {
  std::string const data = encode(mixed_megabyte());
  for (auto _ : state) {
    auto v = decode(data);
    benchmark::DoNotOptimize(v);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(data.size()));
}

}  // namespace modal::bench

#endif  // MODAL_TESTS_BENCH_CODEC_BENCH_H
