// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_SANDBOX_FILESYSTEM_H
#define MODAL_SANDBOX_FILESYSTEM_H

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "modal/range.h"

namespace modal {

class Sandbox;

/// The kind of a remote filesystem entry (symbolic links are not followed).
enum class FileType {
  /// A regular file (or anything that is neither a directory nor a symbolic link).
  kFile,
  /// A directory.
  kDirectory,
  /// A symbolic link; `FileInfo::symlink_target` holds where it points.
  kSymlink,
};

/// What `SandboxFilesystem::stat` and `list_files` report about an entry.
struct FileInfo {
  /// The entry's name (its last path component).
  std::string name{};
  /// The entry's absolute path in the Sandbox.
  std::string path{};
  /// File, directory or symbolic link.
  FileType type = FileType::kFile;
  /// Size in bytes (of the link itself for a symbolic link).
  std::uint64_t size = 0;
  /// The full `st_mode`, file-type bits included (0100644 for a plain file).
  std::uint32_t mode = 0;
  /// The permission bits as four octal digits, e.g. "0644".
  std::string permissions{};
  /// The owner's user name, or the uid in decimal when it has none.
  std::string owner{};
  /// The group's name, or the gid in decimal when it has none.
  std::string group{};
  /// The last modification time.
  std::chrono::system_clock::time_point modified_time{};
  /// Where a symbolic link points (as stored, possibly relative or dangling).
  std::optional<std::string> symlink_target{};
};

/// A kind of change `SandboxFilesystem::watch` reports. Renames and moves are reported
/// as kModify.
enum class WatchEventType {
  /// A file was read.
  kAccess,
  /// An entry was created.
  kCreate,
  /// A file's contents or an entry's name changed.
  kModify,
  /// An entry was removed.
  kRemove,
  /// A change the filesystem could not classify.
  kUnknown,
};

/// One change seen by `SandboxFilesystem::watch`.
struct WatchEvent {
  /// What happened.
  WatchEventType type = WatchEventType::kUnknown;
  /// The absolute paths concerned (source and destination for a rename).
  std::vector<std::string> paths{};
};

/// Options of `SandboxFilesystem::make_directory`.
struct SandboxFilesystemMakeDirectoryParams {
  /// Create missing parent directories too, and succeed if the directory exists.
  bool create_parents = true;
};

/// Options of `SandboxFilesystem::remove`.
struct SandboxFilesystemRemoveParams {
  /// Remove a directory with everything in it.
  bool recursive = false;
};

/// Options of `SandboxFilesystem::watch`.
struct SandboxFilesystemWatchParams {
  /// The event types to report; unset reports all, an empty list none.
  std::optional<std::vector<WatchEventType>> filter{};
  /// Watch every subdirectory too, not only the path and its direct children.
  bool recursive = false;
  /// Stop after this long (rounded down to whole seconds; zero stops at once); unset
  /// watches until the range is destroyed.
  std::optional<std::chrono::milliseconds> timeout{};
};

/// The events of one `SandboxFilesystem::watch`, in order. Destroying the range (and its
/// iterators) stops the watch.
using WatchEventRange = Range<WatchEvent>;

/**
 * Files and directories of a running Sandbox: `sandbox.filesystem()`.
 *
 * Every operation runs Modal's filesystem tool (`/__modal/.bin/modal-sandbox-fs-tools`)
 * in the Sandbox through the exec path, exactly as Modal's own SDKs do, so it sees the
 * Sandbox's own view (its image, mounts and user). Remote paths must be absolute
 * (`InvalidError` otherwise, before anything is sent); they are used as given.
 *
 * Errors: the tool's failures become the `SandboxFilesystem*Error` named on each method
 * (all `SandboxFilesystemError`s; an unclassified failure is a plain
 * `SandboxFilesystemError`); a Sandbox that is gone or unreachable gives
 * `NotFoundError("The Sandbox is unavailable. ...")`; another RPC failure gives
 * `SandboxFilesystemError` whose `server_message()` keeps the original error.
 * `ClientClosedError` and `CancelledError` pass through unchanged.
 *
 * @par Thread Safety
 * Copies share the Sandbox's connection; every method may be called from any thread.
 */
class SandboxFilesystem {
 public:
  /// The whole contents of a remote file.
  /// @throws SandboxFilesystemNotFoundError, SandboxFilesystemIsADirectoryError,
  ///   SandboxFilesystemPermissionError, SandboxFilesystemFileTooLargeError (over 5 GiB).
  std::string read_bytes(std::string const& remote_path) const;
  /// read_bytes() as text. The bytes are returned as they are (no UTF-8 check).
  std::string read_text(std::string const& remote_path) const;

  /// Creates or replaces a remote file with `data`, creating missing parent directories.
  /// Uploaded in 256 KiB messages; a broken upload resumes where the Sandbox stopped
  /// receiving, so the file is byte-exact.
  /// @throws SandboxFilesystemIsADirectoryError, SandboxFilesystemNotADirectoryError (a
  ///   parent is a file), SandboxFilesystemPermissionError.
  void write_bytes(std::string_view data, std::string const& remote_path) const;
  /// write_bytes() of text.
  void write_text(std::string_view text, std::string const& remote_path) const;

  /// Uploads the local file `local_path` to `remote_path`, streaming it (the file is
  /// never held in memory) and resuming after a break like write_bytes().
  /// @throws InvalidError if the local file cannot be opened (missing, a directory, no
  ///   permission), Error if reading it fails midway (the remote file is then not
  ///   completed), and write_bytes()'s errors.
  void copy_from_local(std::string const& local_path, std::string const& remote_path) const;
  /// Downloads `remote_path` to the local file `local_path`, streaming it. Missing local
  /// parent directories are created; the data goes to a temporary file in the target's
  /// directory that replaces `local_path` only once the download succeeded, so an
  /// existing local file survives a failure.
  /// @throws read_bytes()'s errors, Error for a local write failure.
  void copy_to_local(std::string const& remote_path, std::string const& local_path) const;

  /// The entries of a remote directory, sorted by name (symbolic links not followed,
  /// except a link given as `remote_path` itself).
  /// @throws SandboxFilesystemNotFoundError, SandboxFilesystemNotADirectoryError,
  ///   SandboxFilesystemPermissionError.
  std::vector<FileInfo> list_files(std::string const& remote_path) const;
  /// Creates a remote directory.
  /// @throws SandboxFilesystemPathAlreadyExistsError (the path exists and is not a
  ///   directory, or is one and `create_parents` is false), SandboxFilesystemNotFoundError
  ///   (a parent is missing and `create_parents` is false),
  ///   SandboxFilesystemNotADirectoryError, SandboxFilesystemPermissionError.
  void make_directory(std::string const& remote_path,
                      SandboxFilesystemMakeDirectoryParams const& params = {}) const;
  /// Removes a remote file, symbolic link (not its target) or directory.
  /// @throws SandboxFilesystemNotFoundError, SandboxFilesystemDirectoryNotEmptyError (a
  ///   non-empty directory without `recursive`), SandboxFilesystemPermissionError.
  void remove(std::string const& remote_path,
              SandboxFilesystemRemoveParams const& params = {}) const;
  /// What `remote_path` is (a symbolic link is described, not followed).
  /// @throws SandboxFilesystemNotFoundError, SandboxFilesystemNotADirectoryError,
  ///   SandboxFilesystemPermissionError.
  FileInfo stat(std::string const& remote_path) const;

  /**
   * Watches `remote_path` (a file, or a directory and its entries) for changes. Nothing
   * is sent until the range is first iterated; iterating blocks until the next event.
   * The range ends when the timeout elapses; destroying it stops the watch early.
   *
   * @code
   * for (modal::WatchEvent const& ev : sb.filesystem().watch("/data")) { ... }
   * @endcode
   *
   * @throws InvalidError for a relative path (at once); while iterating:
   *   SandboxFilesystemNotFoundError, SandboxFilesystemPermissionError.
   */
  WatchEventRange watch(std::string const& remote_path,
                        SandboxFilesystemWatchParams const& params = {}) const;

 private:
  friend class Sandbox;
  friend class SidecarContainer;
  explicit SandboxFilesystem(std::shared_ptr<Sandbox const> sandbox, std::string container_id = {})
      : sandbox_(std::move(sandbox)), container_id_(std::move(container_id)) {}
  std::shared_ptr<Sandbox const> sandbox_;
  /// Where the tool runs: "" = the main container, else a sidecar's container id.
  std::string container_id_;
};

}  // namespace modal

#endif  // MODAL_SANDBOX_FILESYSTEM_H
