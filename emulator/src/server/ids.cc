// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "server/ids.h"

#include <chrono>
#include <cstdint>
#include <random>

namespace modal::emulator {
namespace {

constexpr std::string_view kAlphabet =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

std::mt19937_64& generator() {
  thread_local std::mt19937_64 gen = [] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }();
  return gen;
}

bool is_alnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

}  // namespace

std::string random_alnum(std::size_t length) {
  std::uniform_int_distribution<std::size_t> dist(0, kAlphabet.size() - 1);
  auto& gen = generator();
  std::string out;
  out.reserve(length);
  for (std::size_t i = 0; i < length; ++i) out.push_back(kAlphabet[dist(gen)]);
  return out;
}

std::string new_id(std::string_view prefix) {
  std::string id(prefix);
  id.push_back('-');
  id += random_alnum(kIdSuffixLength);
  return id;
}

std::string new_ulid_id(std::string_view prefix) {
  static constexpr std::string_view kCrockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  auto const ms =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  std::string id(prefix);
  id.push_back('-');
  // 10 characters of timestamp (50 bits, the top two always 0), then 16 of randomness.
  for (int i = 9; i >= 0; --i) id.push_back(kCrockford[(ms >> (5 * i)) & 31]);
  std::uniform_int_distribution<std::size_t> dist(0, kCrockford.size() - 1);
  auto& gen = generator();
  for (int i = 0; i < 16; ++i) id.push_back(kCrockford[dist(gen)]);
  return id;
}

bool is_id(std::string_view id, std::string_view prefix) {
  if (id.size() != prefix.size() + 1 + kIdSuffixLength) return false;
  if (id.substr(0, prefix.size()) != prefix || id[prefix.size()] != '-') return false;
  for (char c : id.substr(prefix.size() + 1)) {
    if (!is_alnum(c)) return false;
  }
  return true;
}

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace modal::emulator
