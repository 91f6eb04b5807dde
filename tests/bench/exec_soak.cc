// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Exec soak (not run in CI): injected stream breaks across a large exec output and a
// large stdin, checking that no byte is lost or duplicated. Against an in-process
// modal-emulator.
//
//   exec_soak [OUTPUT_BYTES [STDIN_BYTES [BREAKS]]]   (defaults: 4 GiB, 1 GiB, 1000)
//
// Output: `seq 1 N` (N picked so that the output is at least OUTPUT_BYTES) read with
// StreamReader::read() and compared byte for byte with the same text generated here,
// while every TaskExecStdioRead stream breaks (UNAVAILABLE) after OUTPUT_BYTES / (BREAKS
// * 4/5) bytes. Stdin: STDIN_BYTES of pseudo-random data written to `sha256sum` in
// 4 MiB writes, the TaskExecStdinWrite call before a fifth of the breaks failing with
// UNAVAILABLE; the digest must match the one computed here. Prints the figures and exits
// non-zero on any mismatch. See docs/performance.md.
#include <openssl/evp.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "modal/emulator.h"
#include "modal/modal.h"

namespace {

/// Generates "1\n2\n3\n..." incrementally, the text `seq 1 N` prints.
class SeqText {
 public:
  /// Appends the next bytes of the sequence to `out` until it holds at least `n` bytes.
  void fill(std::string& out, std::size_t n) {
    while (out.size() < n) {
      if (pos_ == line_.size()) {
        ++value_;
        line_ = std::to_string(value_);
        line_ += '\n';
        pos_ = 0;
      }
      auto const k = std::min(n - out.size(), line_.size() - pos_);
      out.append(line_, pos_, k);
      pos_ += k;
    }
  }

 private:
  std::uint64_t value_ = 0;
  std::string line_{};
  std::size_t pos_ = 0;
};

/// Length of the text of `seq 1 n`.
std::uint64_t seq_bytes(std::uint64_t n) {
  std::uint64_t total = 0;
  std::uint64_t lo = 1;
  for (int digits = 1; lo <= n; ++digits, lo *= 10) {
    std::uint64_t const hi = std::min(n, lo * 10 - 1);
    total += (hi - lo + 1) * static_cast<std::uint64_t>(digits + 1);
  }
  return total;
}

std::string sha256_hex(EVP_MD_CTX* ctx) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx, md, &n);
  std::string out;
  char buf[3];
  for (unsigned i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", md[i]);
    out += buf;
  }
  return out;
}

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t const output_bytes = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 4ull << 30;
  std::uint64_t const stdin_bytes = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1ull << 30;
  std::uint64_t const breaks = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1000;
  std::uint64_t const output_breaks = breaks * 4 / 5;
  std::uint64_t const stdin_breaks = breaks - output_breaks;

  modal::emulator::Emulator emu;
  modal::ClientOptions o;
  o.server_url = emu.server_url();
  o.token_id = emu.options().token_id;
  o.token_secret = emu.options().token_secret;
  o.config_path = "/nonexistent/modal-soak.toml";
  o.retry.initial_delay = std::chrono::milliseconds(1);
  o.retry.max_delay = std::chrono::milliseconds(4);
  modal::Client client(o);
  auto app = client.apps().from_name("exec-soak", {.create_if_missing = true});
  auto sb = client.sandboxes().create(app, client.images().from_registry("alpine:3.21"));
  int failures = 0;

  // ---- output ----
  std::uint64_t n = 1;
  while (seq_bytes(n) < output_bytes) n *= 2;
  for (std::uint64_t step = n / 2; step > 0; step /= 2) {
    if (seq_bytes(n - step) >= output_bytes) n -= step;
  }
  std::uint64_t const expected_bytes = seq_bytes(n);
  std::uint64_t const break_every = expected_bytes / std::max<std::uint64_t>(output_breaks, 1);
  emu.break_stdio_every(break_every);
  auto const t0 = std::chrono::steady_clock::now();
  auto const reads0 = emu.received_calls("TaskExecStdioRead").size();
  modal::SandboxExecParams params;
  params.stderr_behavior = modal::StdioBehavior::kIgnore;
  auto p = sb.exec({"seq", "1", std::to_string(n)}, params);
  auto out = p.stdout_stream();
  std::vector<char> buffer(std::size_t{1} << 20);
  std::string expected;
  SeqText seq;
  std::uint64_t got = 0;
  std::uint64_t first_mismatch = UINT64_MAX;
  while (auto const k = out.read(buffer)) {
    expected.clear();
    seq.fill(expected, k);
    if (first_mismatch == UINT64_MAX && std::memcmp(expected.data(), buffer.data(), k) != 0) {
      for (std::size_t i = 0; i < k; ++i) {
        if (expected[i] != buffer[i]) {
          first_mismatch = got + i;
          break;
        }
      }
    }
    got += k;
  }
  int const code = p.wait();
  double const output_seconds = since(t0);
  emu.break_stdio_every(0);
  auto const opened = emu.received_calls("TaskExecStdioRead").size() - reads0;
  emu.clear_received_calls();
  std::cout << "output: " << got << " of " << expected_bytes << " bytes (seq 1 " << n
            << "), stream broken every " << break_every << " bytes, " << opened
            << " TaskExecStdioRead streams (" << (opened > 0 ? opened - 1 : 0)
            << " reopened), exit " << code << ", " << output_seconds << " s";
  if (got != expected_bytes || first_mismatch != UINT64_MAX || code != 0) {
    std::cout << "  FAILED (first mismatch at " << first_mismatch << ")";
    ++failures;
  }
  std::cout << "\n";

  // ---- stdin ----
  auto const t1 = std::chrono::steady_clock::now();
  auto sum = sb.exec({"sha256sum"});
  auto in = sum.stdin_stream();
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  std::mt19937_64 rng(42);
  std::string chunk(std::size_t{4} << 20, '\0');
  std::uint64_t const writes = (stdin_bytes + chunk.size() - 1) / chunk.size();
  std::uint64_t injected = 0;
  std::uint64_t sent = 0;
  for (std::uint64_t w = 0; w < writes; ++w) {
    auto const size =
        static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), stdin_bytes - sent));
    for (std::size_t i = 0; i + 8 <= size; i += 8) {
      auto const v = rng();
      std::memcpy(chunk.data() + i, &v, 8);
    }
    // Spread the stdin breaks evenly over the writes (at most one per write).
    if (injected < stdin_breaks && w * stdin_breaks / writes >= injected) {
      emu.inject_fault("TaskExecStdinWrite", {.count = 1, .code = 14, .message = "soak break"});
      ++injected;
    }
    std::string_view const data(chunk.data(), size);
    EVP_DigestUpdate(ctx, data.data(), data.size());
    in.write(data);
    sent += size;
  }
  in.close();
  std::string const digest = sum.stdout_stream().read_all().substr(0, 64);
  int const sum_code = sum.wait();
  std::string const want = sha256_hex(ctx);
  EVP_MD_CTX_free(ctx);
  auto const stdin_calls = emu.received_calls("TaskExecStdinWrite").size();
  std::cout << "stdin: " << sent << " bytes in " << writes << " writes, " << injected
            << " injected TaskExecStdinWrite failures, " << stdin_calls
            << " TaskExecStdinWrite calls received, sha256 "
            << (digest == want ? "matches" : "DIFFERS") << ", exit " << sum_code << ", "
            << since(t1) << " s";
  if (digest != want || sum_code != 0) {
    std::cout << "  FAILED";
    ++failures;
  }
  std::cout << "\n";
  std::cout << "breaks: " << (opened > 0 ? opened - 1 : 0) + injected << " ("
            << (failures == 0 ? "0 bytes lost or duplicated" : "FAILED") << ")\n";
  sb.terminate();
  return failures == 0 ? 0 : 1;
}
