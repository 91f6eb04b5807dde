// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
//
// Fuzzes the TOML config loader (~/.modal.toml): the input is written to a private temporary
// file, which resolve_config() reads through ClientOptions::config_path, with an empty
// environment — once choosing the active profile, once asking for profile "default". Its
// documented failure, ConfigError, is caught; anything else (another exception, a crash, a
// sanitizer report) is a finding.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>

#include "internal/config.h"
#include "modal/errors.h"

namespace {

// One file per fuzzing process, removed at exit.
std::string const& config_file() {
  static std::string const kPath = [] {
    char const* tmp = std::getenv("TMPDIR");
    std::string name =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/modal-fuzz-config.XXXXXX";
    int const fd = ::mkstemp(name.data());
    if (fd < 0) {
      std::perror("mkstemp");
      std::abort();
    }
    ::close(fd);
    return name;
  }();
  return kPath;
}

void remove_config_file() { std::remove(config_file().c_str()); }

void write_all(std::string const& path, std::uint8_t const* data, std::size_t size) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    std::perror(path.c_str());
    std::abort();
  }
  bool const written = size == 0 || std::fwrite(data, 1, size, f) == size;
  if (std::fclose(f) != 0 || !written) {
    std::perror(path.c_str());
    std::abort();
  }
}

void resolve(std::optional<std::string> profile) {
  modal::ClientOptions options;
  options.config_path = config_file();
  options.profile = std::move(profile);
  auto const no_environment = [](char const*) -> std::optional<std::string> {
    return std::nullopt;
  };
  try {
    auto const cfg = modal::internal::resolve_config(options, no_environment);
    if (cfg.server.target.empty()) std::abort();  // a resolved config has a usable target
  } catch (modal::ConfigError const&) {
    // An invalid file, profile or setting: the documented outcome.
  }
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls.
extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  config_file();
  std::atexit(remove_config_file);
  return 0;
}

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls.
extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  write_all(config_file(), data, size);
  resolve(std::nullopt);
  resolve("default");
  return 0;
}
