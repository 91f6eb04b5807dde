// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "testing_util/temp_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>  // mkdtemp, mkstemps (POSIX)
#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>

namespace modal::testing_util {
namespace {

std::filesystem::path temp_root() {
  std::error_code ec;
  auto root = std::filesystem::temp_directory_path(ec);  // honours $TMPDIR
  if (ec) root = "/tmp";
  return root;
}

[[noreturn]] void throw_errno(std::string const& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

void write_file(std::filesystem::path const& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw_errno("cannot open " + path.string() + " for writing");
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  if (!out) throw_errno("cannot write " + path.string());
}

std::string read_file(std::filesystem::path const& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_errno("cannot open " + path.string() + " for reading");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return std::move(buffer).str();
}

TempDir::TempDir(std::string_view prefix) {
  std::string pattern = (temp_root() / std::string(prefix)).string() + "XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw_errno("mkdtemp(" + pattern + ")");
  path_ = std::filesystem::path(pattern);
}

TempDir::~TempDir() { remove(); }

TempDir::TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    remove();
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

std::filesystem::path TempDir::operator/(std::filesystem::path const& relative) const {
  return path_ / relative;
}

std::filesystem::path TempDir::write_file(std::filesystem::path const& relative,
                                          std::string_view content) const {
  auto target = path_ / relative;
  std::filesystem::create_directories(target.parent_path());
  testing_util::write_file(target, content);
  return target;
}

void TempDir::remove() noexcept {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);  // best effort: never throw from a destructor
  path_.clear();
}

TempFile::TempFile(std::string_view content, std::string_view suffix) {
  std::string pattern = (temp_root() / "modal-test-").string() + "XXXXXX" + std::string(suffix);
  int const fd = ::mkstemps(pattern.data(), static_cast<int>(suffix.size()));
  if (fd < 0) throw_errno("mkstemps(" + pattern + ")");
  ::close(fd);
  path_ = std::filesystem::path(pattern);
  try {
    write(content);
  } catch (...) {
    remove();
    throw;
  }
}

TempFile::~TempFile() { remove(); }

TempFile::TempFile(TempFile&& other) noexcept : path_(std::exchange(other.path_, {})) {}

TempFile& TempFile::operator=(TempFile&& other) noexcept {
  if (this != &other) {
    remove();
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

void TempFile::write(std::string_view content) const { write_file(path_, content); }

std::string TempFile::read() const { return read_file(path_); }

void TempFile::remove() noexcept {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove(path_, ec);
  path_.clear();
}

}  // namespace modal::testing_util
