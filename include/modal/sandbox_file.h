// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_SANDBOX_FILE_H
#define MODAL_SANDBOX_FILE_H

#include <cstdint>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace modal {
namespace internal {
struct SandboxFileState;
class SandboxFileBuf;
}  // namespace internal

/// Where `SandboxFile::seek` counts from.
enum class SeekWhence {
  /// From the start of the file.
  kSet,
  /// From the current position.
  kCur,
  /// From the end of the file.
  kEnd,
};

/// Options of `Sandbox::mkdir`.
struct SandboxMkdirParams {
  /// Create missing parent directories too (and succeed if the directory exists).
  bool parents = false;
};

/// Options of `Sandbox::rm`.
struct SandboxRmParams {
  /// Remove a directory and everything in it.
  bool recursive = false;
};

class SandboxFile;

/// A `std::iostream` over a SandboxFile (`SandboxFile::iostream()`): buffered, 64 KiB
/// each way; seeking flushes what was written. It shares the file: the file stays open as
/// long as the stream or a SandboxFile copy exists. Errors set badbit and are also thrown
/// (exceptions(badbit) is set), so none is silent.
class SandboxFileStream : public std::iostream {
 public:
  /// A stream over `file`.
  explicit SandboxFileStream(SandboxFile const& file);
  ~SandboxFileStream() override;
  SandboxFileStream(SandboxFileStream const&) = delete;
  SandboxFileStream& operator=(SandboxFileStream const&) = delete;

 private:
  std::unique_ptr<internal::SandboxFileBuf> buf_;
};

/**
 * A file opened in a Sandbox with `Sandbox::open(path, mode)`, Modal's open-file API
 * (ContainerFilesystemExec). The file is a real open file in the Sandbox: reads, writes
 * and seeks act on its position exactly as on a local file opened with the same `fopen`
 * mode. For whole files, `Sandbox::filesystem()` is faster.
 *
 * Errors of the file system are `SandboxFilesystemError`s (NotFound, IsADirectory,
 * NotADirectory, Permission, PathAlreadyExists where the OS error says so), with the
 * Sandbox's message.
 *
 * @par Thread Safety
 * Copies share the open file; calls are serialized (one request at a time per file).
 */
class SandboxFile {
 public:
  /// Reads up to `n` bytes from the current position (fewer only at the end of the
  /// file); without `n`, everything to the end. @throws InvalidError if not readable.
  std::string read(std::optional<std::size_t> n = std::nullopt) const;
  /// Everything from the current position to the end.
  std::string read_all() const;
  /// Writes `data` at the current position (at the end in append mode).
  /// @throws InvalidError if not writable.
  void write(std::string_view data) const;
  /// Moves the position. @throws InvalidError for an offset beyond ±2 GiB - 1 (the
  /// protocol's range) or a resulting negative position.
  void seek(std::int64_t offset, SeekWhence whence = SeekWhence::kSet) const;
  /// Flushes the file's data to the Sandbox's disk.
  void flush() const;
  /// Closes the file; later calls throw ClientClosedError. Idempotent. The last copy's
  /// destructor closes it too (without throwing; a failure there is logged).
  void close() const;
  /// A std::iostream over this file.
  SandboxFileStream iostream() const { return SandboxFileStream(*this); }

  /// The mode the file was opened with.
  std::string const& mode() const;
  /// The path it was opened at.
  std::string const& path() const;

 private:
  friend struct internal::SandboxFileState;
  friend class internal::SandboxFileBuf;
  explicit SandboxFile(std::shared_ptr<internal::SandboxFileState> state)
      : state_(std::move(state)) {}
  std::shared_ptr<internal::SandboxFileState> state_;
};

}  // namespace modal

#endif  // MODAL_SANDBOX_FILE_H
