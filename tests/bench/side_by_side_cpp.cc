// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// The C++ half of tests/bench/side_by_side.py: runs one workload through the C++ SDK
// against the emulator named by MODAL_SERVER_URL / MODAL_TOKEN_ID / MODAL_TOKEN_SECRET
// and prints one JSON line with the same fields as tests/bench/side_by_side.mjs.
//
// Usage: side_by_side_cpp WORKLOAD BYTES ITERATIONS [read|chunk]
//   throughput  one exec of `head -c BYTES /dev/zero`, stdout read to the end
//   concurrent  ITERATIONS (readers) such execs at once, each on its own thread
//   roundtrip   ITERATIONS warm `exec({"true"})` → wait()
//   create_exec ITERATIONS of: create a Sandbox, exec `echo first`, read it, terminate
//               (V2 Sandboxes unless MODAL_SANDBOX_V2=0, as both SDKs read it)
//   fs_write, fs_read, fs_small   Sandbox filesystem (see side_by_side.py)
//   queue_roundtrip  ITERATIONS put + get of a small dict on an ephemeral Queue
//   queue_put_many   one put_many of ITERATIONS small dicts
//   queue_8x8        8 producer and 8 consumer threads move ITERATIONS dicts, in batches
//                    of 100, through one Queue
//   fn_roundtrip     ITERATIONS warm remote() of identity_with_repr (control plane)
//   fn_input_plane   ITERATIONS warm remote() of input_plane (the input plane)
//   fn_spawn_get     ITERATIONS echo_string spawn() calls, then a get() of each
//   fn_blob_in       one bytelength remote() of BYTES (through a blob), its length back
//   fn_blob_out      one echo_string remote() of BYTES of text, as much back (blobs both ways)
// The last argument picks how stdout is read: StreamReader::read() into one reused
// 1 MiB buffer (the default, allocation-free) or read_chunk() (each chunk a new string
// the caller owns).
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "modal/modal.h"

namespace {

struct Usage {
  double cpu = 0;
  long minflt = 0;
};

/// User + system CPU seconds (getrusage) and minor page faults (/proc/self/stat, field 10).
Usage usage() {
  std::ifstream in("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string f;
  Usage u;
  for (int i = 3; i <= 10 && fields >> f; ++i) {
    if (i == 10) u.minflt = std::stol(f);
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto tv = [](timeval t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  u.cpu = tv(ru.ru_utime) + tv(ru.ru_stime);
  return u;
}

std::uint64_t read_all(modal::Sandbox const& sb, std::uint64_t bytes, bool chunks) {
  modal::SandboxExecParams params;
  params.stderr_behavior = modal::StdioBehavior::kIgnore;
  auto p = sb.exec({"head", "-c", std::to_string(bytes), "/dev/zero"}, params);
  auto out = p.stdout_stream();
  std::uint64_t n = 0;
  if (chunks) {
    while (auto chunk = out.read_chunk()) n += chunk->size();
  } else {
    std::vector<char> buffer(std::size_t{1} << 20);
    while (auto const got = out.read(buffer)) n += got;
  }
  if (p.wait() != 0) throw std::runtime_error("head failed");
  return n;
}

modal::Value small_value(int i) { return {{"i", i}, {"s", "payload"}}; }

/// 8 producers put `items` values in batches of 100; 8 consumers take them; every value
/// must arrive exactly once.
void eight_by_eight(modal::Queue const& queue, int items) {
  constexpr int kThreads = 8;
  constexpr int kBatch = 100;
  std::atomic<int> next{0};
  std::atomic<int> taken{0};
  std::atomic<long long> sum{0};
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
          queue.put_many(batch);
        }
      } catch (std::exception const& e) {
        std::cerr << "producer: " << e.what() << "\n";
        failed = true;
      }
    });
    threads.emplace_back([&] {
      try {
        while (taken.load() < items && !failed) {
          try {
            for (auto const& v :
                 queue.get_many(kBatch, {.timeout = std::chrono::milliseconds(200)})) {
              sum += v["i"].as_int();
              ++taken;
            }
          } catch (modal::QueueEmptyError const&) {
            // Dry for now (the others may have taken the rest): look at `taken` again.
          }
        }
      } catch (std::exception const& e) {
        std::cerr << "consumer: " << e.what() << "\n";
        failed = true;
      }
    });
  }
  for (auto& t : threads) t.join();
  long long const expected = static_cast<long long>(items) * (items - 1) / 2;
  if (failed || taken.load() != items || sum.load() != expected) {
    throw std::runtime_error("8x8: lost or duplicated values");
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: side_by_side_cpp throughput|concurrent|roundtrip|create_exec|fs_write|"
                 "fs_read|"
                 "fs_small|queue_roundtrip|queue_put_many|queue_8x8|fn_roundtrip|"
                 "fn_input_plane|fn_spawn_get|fn_blob_in|fn_blob_out BYTES ITERATIONS "
                 "[read|chunk]\n";
    return 2;
  }
  std::string const workload = argv[1];
  std::uint64_t const bytes = std::strtoull(argv[2], nullptr, 10);
  int const iterations = std::atoi(argv[3]);
  bool const chunks = argc > 4 && std::string(argv[4]) == "chunk";
  try {
    modal::Client client;  // MODAL_SERVER_URL, MODAL_TOKEN_ID, MODAL_TOKEN_SECRET
    auto app = client.apps().from_name("side-by-side-cpp", {.create_if_missing = true});
    auto sb = client.sandboxes().create(app, client.images().from_registry("alpine:3.21"));
    sb.exec({"true"}).wait();  // warm: router session, JWT and connection exist
    auto fs = sb.filesystem();
    std::string const payload(
        workload == "fs_small" ? 1024 : (workload.starts_with("fs_") ? bytes : 0), '\0');
    if (workload == "fs_read") fs.write_bytes(payload, "/tmp/side-by-side");
    auto queue = client.queues().ephemeral();
    bool const fn_workload = workload.starts_with("fn_");
    std::string const fn_name = workload == "fn_roundtrip"     ? "identity_with_repr"
                                : workload == "fn_input_plane" ? "input_plane"
                                : workload == "fn_blob_in"     ? "bytelength"
                                                               : "echo_string";
    std::optional<modal::Function> fn;
    if (fn_workload) {
      fn = client.functions().from_name("libmodal-test-support", fn_name);
      if (!workload.starts_with("fn_blob")) fn->remote({"warm"});
    }
    modal::Value const fn_payload =
        workload == "fn_blob_in"
            ? modal::Value::bytes(std::string(bytes, '\0'))
            : modal::Value(std::string(workload == "fn_blob_out" ? bytes : 0, 'z'));
    auto const u0 = usage();
    auto const t0 = std::chrono::steady_clock::now();
    std::uint64_t total = 0;
    int ops = 1;
    if (workload == "throughput") {
      total = read_all(sb, bytes, chunks);
      if (total != bytes) throw std::runtime_error("short read");
    } else if (workload == "concurrent") {
      std::atomic<std::uint64_t> got{0};
      std::atomic<bool> failed{false};
      std::vector<std::thread> threads;
      threads.reserve(static_cast<std::size_t>(iterations));
      for (int r = 0; r < iterations; ++r) {
        threads.emplace_back([&] {
          try {
            got += read_all(sb, bytes, chunks);
          } catch (std::exception const& e) {
            std::cerr << "reader: " << e.what() << "\n";
            failed = true;
          }
        });
      }
      for (auto& t : threads) t.join();
      total = got.load();
      if (failed || total != bytes * static_cast<std::uint64_t>(iterations)) {
        throw std::runtime_error("short read");
      }
    } else if (workload == "create_exec") {
      ops = iterations;
      auto const image = client.images().from_registry("alpine:3.21");
      for (int i = 0; i < iterations; ++i) {
        auto fresh = client.sandboxes().create(app, image);
        if (fresh.exec({"echo", "first"}).stdout_stream().read_all() != "first\n") {
          throw std::runtime_error("wrong output");
        }
        fresh.terminate();
      }
    } else if (workload == "roundtrip") {
      ops = iterations;
      for (int i = 0; i < iterations; ++i) {
        if (sb.exec({"true"}).wait() != 0) throw std::runtime_error("true failed");
      }
    } else if (workload == "fs_write") {
      fs.write_bytes(payload, "/tmp/side-by-side");
      total = bytes;
    } else if (workload == "fs_read") {
      total = fs.read_bytes("/tmp/side-by-side").size();
      if (total != bytes) throw std::runtime_error("short read");
    } else if (workload == "fs_small") {
      ops = iterations;
      for (int i = 0; i < iterations; ++i) {
        fs.write_bytes(payload, "/tmp/side-by-side-small");
        if (fs.read_bytes("/tmp/side-by-side-small").size() != 1024) {
          throw std::runtime_error("short read");
        }
      }
    } else if (workload == "queue_roundtrip") {
      ops = iterations;
      for (int i = 0; i < iterations; ++i) {
        queue.put(small_value(i));
        if (queue.get()["i"].as_int() != i) throw std::runtime_error("wrong value");
      }
    } else if (workload == "queue_put_many") {
      std::vector<modal::Value> values;
      values.reserve(static_cast<std::size_t>(iterations));
      for (int i = 0; i < iterations; ++i) values.push_back(small_value(i));
      queue.put_many(values);
      ops = iterations;
    } else if (workload == "queue_8x8") {
      ops = iterations;
      eight_by_eight(queue, iterations);
    } else if (workload == "fn_roundtrip" || workload == "fn_input_plane") {
      ops = iterations;
      for (int i = 0; i < iterations; ++i) {
        auto const s = "x" + std::to_string(i);
        modal::Value const out = fn->remote({s});
        if (workload == "fn_roundtrip" ? out.at(0) != modal::Value(s)
                                       : out != modal::Value("output: " + s)) {
          throw std::runtime_error("wrong output");
        }
      }
    } else if (workload == "fn_spawn_get") {
      ops = iterations;
      std::vector<modal::FunctionCall> calls;
      calls.reserve(static_cast<std::size_t>(iterations));
      for (int i = 0; i < iterations; ++i) calls.push_back(fn->spawn({std::to_string(i)}));
      for (int i = 0; i < iterations; ++i) {
        if (calls[static_cast<std::size_t>(i)].get() !=
            modal::Value("output: " + std::to_string(i))) {
          throw std::runtime_error("wrong output");
        }
      }
    } else if (workload == "fn_blob_in") {
      if (fn->remote({fn_payload}).as_int() != static_cast<std::int64_t>(bytes)) {
        throw std::runtime_error("wrong length");
      }
      total = bytes;
    } else if (workload == "fn_blob_out") {
      if (fn->remote({fn_payload}).as_string().size() != bytes + 8) {
        throw std::runtime_error("wrong length");
      }
      total = 2 * bytes;
    } else {
      throw std::runtime_error("unknown workload " + workload);
    }
    double const seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    auto const u1 = usage();
    std::printf(
        "{\"sdk\": \"cpp\", \"workload\": \"%s\", \"bytes\": %llu, \"ops\": %d, \"seconds\": %.6f, "
        "\"cpu_seconds\": %.6f, \"minflt\": %ld}\n",
        workload.c_str(), static_cast<unsigned long long>(total), ops, seconds, u1.cpu - u0.cpu,
        u1.minflt - u0.minflt);
    std::fflush(stdout);
    sb.terminate();
  } catch (std::exception const& e) {
    std::cerr << "side_by_side_cpp: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
