// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_TESTING_UTIL_TEMP_FILE_H
#define MODAL_TESTING_UTIL_TEMP_FILE_H

#include <filesystem>
#include <string>
#include <string_view>

namespace modal::testing_util {

/**
 * A fresh, private (mode 0700) directory under $TMPDIR (or /tmp), removed with all its
 * contents by the destructor. Movable; a moved-from TempDir owns nothing.
 */
class TempDir {
 public:
  /// Creates the directory; `prefix` starts its name. @throws std::system_error.
  explicit TempDir(std::string_view prefix = "modal-test-");
  ~TempDir();
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(TempDir const&) = delete;
  TempDir& operator=(TempDir const&) = delete;

  /// Absolute path of the directory (empty after a move).
  std::filesystem::path const& path() const { return path_; }
  /// `path() / relative`; the file need not exist.
  std::filesystem::path operator/(std::filesystem::path const& relative) const;
  /// Writes `content` to `path() / relative`, creating parent directories, replacing an
  /// existing file. Returns the absolute path. @throws std::system_error.
  std::filesystem::path write_file(std::filesystem::path const& relative,
                                   std::string_view content) const;

 private:
  void remove() noexcept;

  std::filesystem::path path_;
};

/**
 * A fresh file under $TMPDIR (or /tmp) holding `content`, removed by the destructor.
 * Movable; a moved-from TempFile owns nothing.
 */
class TempFile {
 public:
  /// Creates the file (mode 0600); its name ends with `suffix`, e.g. ".toml".
  /// @throws std::system_error.
  explicit TempFile(std::string_view content = {}, std::string_view suffix = {});
  ~TempFile();
  TempFile(TempFile&& other) noexcept;
  TempFile& operator=(TempFile&& other) noexcept;
  TempFile(TempFile const&) = delete;
  TempFile& operator=(TempFile const&) = delete;

  /// Absolute path of the file (empty after a move).
  std::filesystem::path const& path() const { return path_; }
  /// Replaces the file's content. @throws std::system_error.
  void write(std::string_view content) const;
  /// The file's current content. @throws std::system_error.
  std::string read() const;

 private:
  void remove() noexcept;

  std::filesystem::path path_;
};

/// Writes `content` to `path` (truncating). @throws std::system_error.
void write_file(std::filesystem::path const& path, std::string_view content);
/// Reads all of `path`. @throws std::system_error.
std::string read_file(std::filesystem::path const& path);

}  // namespace modal::testing_util

#endif  // MODAL_TESTING_UTIL_TEMP_FILE_H
