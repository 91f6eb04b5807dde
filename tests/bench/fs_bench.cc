// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Sandbox filesystem benchmarks against a modal-emulator child process on loopback:
//   BM_FsWriteBytes / BM_FsReadBytes   write_bytes / read_bytes of 64 MiB
//   BM_FsCopyFromLocal / BM_FsCopyToLocal  a local file of MODAL_BENCH_BYTES (default 1 GiB)
//   BM_FsSmallFileRoundTrip            write_bytes then read_bytes of 1 KiB
//   BM_SandboxCreate                   create + terminate a Sandbox (overlay root) on a warm
//                                      client
//   BM_SandboxCreateWithLayers         the same on an Image of three RUN layers
//   BM_MountImage                      mount_image + unmount_image of a directory snapshot
//   BM_CreateToFirstExec/v2:0|1        create a V1 / V2 Sandbox, exec `echo`, read its output
//                                      (V2's create reply spares SandboxGetTaskId and
//                                      TaskGetCommandRouterAccess)
// Counters: bytes_per_second and client_cpu_s_per_GiB. See docs/performance.md.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "bench_emulator.h"
#include "modal/modal.h"

namespace {

using modal::bench::cpu_seconds;

std::uint64_t copy_bytes() {
  if (char const* v = std::getenv("MODAL_BENCH_BYTES")) return std::strtoull(v, nullptr, 10);
  return std::uint64_t{1} << 30;
}

struct World {
  std::unique_ptr<modal::bench::EmulatorProcess> emulator{};
  std::unique_ptr<modal::Client> client{};
  std::unique_ptr<modal::App> app{};
  std::unique_ptr<modal::Sandbox> sandbox{};
  std::filesystem::path local{};
};
World* world = nullptr;

void report(benchmark::State& state, std::uint64_t bytes, double cpu) {
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  double const gib = static_cast<double>(bytes) / (1u << 30);
  state.counters["client_cpu_s_per_GiB"] = bytes == 0 ? 0.0 : cpu / gib;
}

constexpr std::size_t kMemoryBytes = std::size_t{64} << 20;

void BM_FsWriteBytes(benchmark::State& state) {  // NOLINT(readability-identifier-naming)
  auto fs = world->sandbox->filesystem();
  std::string const data(kMemoryBytes, 'w');
  std::uint64_t total = 0;
  double const cpu0 = cpu_seconds();
  for (auto _ : state) {
    fs.write_bytes(data, "/tmp/bench-64m");
    total += data.size();
  }
  report(state, total, cpu_seconds() - cpu0);
}
BENCHMARK(BM_FsWriteBytes)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_FsReadBytes(benchmark::State& state) {  // NOLINT(readability-identifier-naming)
  auto fs = world->sandbox->filesystem();
  fs.write_bytes(std::string(kMemoryBytes, 'r'), "/tmp/bench-64m-read");
  std::uint64_t total = 0;
  double const cpu0 = cpu_seconds();
  for (auto _ : state) {
    auto const data = fs.read_bytes("/tmp/bench-64m-read");
    if (data.size() != kMemoryBytes) state.SkipWithError("short read");
    total += data.size();
  }
  report(state, total, cpu_seconds() - cpu0);
}
BENCHMARK(BM_FsReadBytes)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_FsCopyFromLocal(benchmark::State& state) {  // NOLINT(readability-identifier-naming)
  auto fs = world->sandbox->filesystem();
  auto const src = (world->local / "upload").string();
  std::uint64_t const bytes = copy_bytes();
  std::filesystem::resize_file(src, bytes);  // sparse: reads as zeros at page-cache speed
  std::uint64_t total = 0;
  double const cpu0 = cpu_seconds();
  for (auto _ : state) {
    fs.copy_from_local(src, "/tmp/bench-copy");
    total += bytes;
  }
  report(state, total, cpu_seconds() - cpu0);
}
BENCHMARK(BM_FsCopyFromLocal)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_FsCopyToLocal(benchmark::State& state) {  // NOLINT(readability-identifier-naming)
  auto fs = world->sandbox->filesystem();
  std::uint64_t const bytes = copy_bytes();
  // The remote file: a sparse file of the same size, made in the Sandbox.
  auto p = world->sandbox->exec({"truncate", "-s", std::to_string(bytes), "/tmp/bench-copy-down"});
  if (p.wait() != 0) state.SkipWithError("truncate failed");
  auto const dst = (world->local / "download").string();
  std::uint64_t total = 0;
  double const cpu0 = cpu_seconds();
  for (auto _ : state) {
    fs.copy_to_local("/tmp/bench-copy-down", dst);
    if (std::filesystem::file_size(dst) != bytes) state.SkipWithError("short download");
    total += bytes;
  }
  report(state, total, cpu_seconds() - cpu0);
  std::filesystem::remove(dst);
}
BENCHMARK(BM_FsCopyToLocal)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_FsSmallFileRoundTrip(benchmark::State& state) {  // NOLINT(readability-identifier-naming)
  auto fs = world->sandbox->filesystem();
  std::string const data(1024, 's');
  for (auto _ : state) {
    fs.write_bytes(data, "/tmp/bench-small");
    if (fs.read_bytes("/tmp/bench-small").size() != data.size()) state.SkipWithError("short");
  }
}
BENCHMARK(BM_FsSmallFileRoundTrip)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_SandboxCreate(benchmark::State& state) {  // NOLINT(readability-identifier-naming)
  auto image = world->client->images().from_registry("alpine:3.21");
  world->client->sandboxes().create(*world->app, image).terminate();  // warm
  for (auto _ : state) {
    auto sb = world->client->sandboxes().create(*world->app, image);
    state.PauseTiming();
    sb.terminate();
    state.ResumeTiming();
  }
}
BENCHMARK(BM_SandboxCreate)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_SandboxCreateWithLayers(benchmark::State& state) {  // NOLINT(readability-identifier-naming)
  auto image = world->client->images()
                   .from_registry("alpine:3.21")
                   .dockerfile_commands({"RUN mkdir -p /opt/a && echo one > /opt/a/1",
                                         "RUN echo two > /opt/a/2",
                                         "RUN rm /opt/a/1 && echo three > /opt/a/3"});
  image.build(*world->app);
  world->client->sandboxes().create(*world->app, image).terminate();  // warm
  for (auto _ : state) {
    auto sb = world->client->sandboxes().create(*world->app, image);
    state.PauseTiming();
    sb.terminate();
    state.ResumeTiming();
  }
}
BENCHMARK(BM_SandboxCreateWithLayers)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_CreateToFirstExec(benchmark::State& state) {  // NOLINT(readability-identifier-naming)
  auto options = world->emulator->client_options();
  options.sandbox_v2 = state.range(0) != 0;
  modal::Client client(options);
  auto app = client.apps().from_name("fs-bench", {.create_if_missing = true});
  auto image = client.images().from_registry("alpine:3.21");
  client.sandboxes().create(app, image).terminate();  // warm
  for (auto _ : state) {
    auto sb = client.sandboxes().create(app, image);
    auto p = sb.exec({"echo", "first"});
    if (p.stdout_stream().read_all() != "first\n") state.SkipWithError("wrong output");
    state.PauseTiming();
    sb.terminate();
    state.ResumeTiming();
  }
}
BENCHMARK(BM_CreateToFirstExec)
    ->ArgName("v2")
    ->Arg(0)
    ->Arg(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void BM_MountImage(benchmark::State& state) {  // NOLINT(readability-identifier-naming)
  auto fs = world->sandbox->filesystem();
  fs.write_bytes(std::string(1 << 20, 'm'), "/tmp/bench-mount-src/data");
  auto image = world->sandbox->snapshot_directory("/tmp/bench-mount-src");
  for (auto _ : state) {
    world->sandbox->mount_image("/mnt/bench", image);
    world->sandbox->unmount_image("/mnt/bench");
  }
}
BENCHMARK(BM_MountImage)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  World w;
  w.emulator = std::make_unique<modal::bench::EmulatorProcess>();
  w.client = std::make_unique<modal::Client>(w.emulator->client_options());
  w.app = std::make_unique<modal::App>(
      w.client->apps().from_name("fs-bench", {.create_if_missing = true}));
  w.sandbox = std::make_unique<modal::Sandbox>(
      w.client->sandboxes().create(*w.app, w.client->images().from_registry("alpine:3.21")));
  std::string tmpl = (std::filesystem::temp_directory_path() / "modal-fs-bench-XXXXXX").string();
  w.local = ::mkdtemp(tmpl.data());
  {
    int const fd = ::open((w.local / "upload").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    if (fd >= 0) ::close(fd);
  }
  world = &w;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  w.sandbox->terminate();
  std::filesystem::remove_all(w.local);
  world = nullptr;
  return 0;
}
