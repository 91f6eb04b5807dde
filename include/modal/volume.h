// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_VOLUME_H
#define MODAL_VOLUME_H

#include <memory>
#include <optional>
#include <string>

namespace modal {
namespace internal {
class ClientState;
struct VolumeState;
}  // namespace internal

/// Options of `Volume::with_mount_options`; unset fields keep the Volume's current value.
struct VolumeMountOptionsParams {
  /// Mount read-only: writes inside the Sandbox fail with EROFS.
  std::optional<bool> read_only{};
  /// Mount only this directory of the Volume, named from the Volume's root ("/data" or
  /// "data/train"); "/" mounts the whole Volume again.
  std::optional<std::string> sub_path{};
};

/**
 * A Volume: a file system that persists beyond Sandboxes and is shared between them while
 * mounted (`SandboxCreateParams::volumes`). Obtain one with `VolumeService`.
 *
 * A handle carries its mount options (read-only, sub-path); `read_only()` and
 * `with_mount_options()` return copies with other options, sharing the Volume. An
 * ephemeral Volume (`VolumeService::ephemeral`) is kept alive by a `VolumeHeartbeat` every
 * `ClientOptions::heartbeat_interval` (300 s) until the last copy of its handle goes or
 * `close_ephemeral()` is called; the server then deletes it.
 *
 * @par Thread Safety
 * Immutable; safe to copy and to use from any number of threads at once.
 */
class Volume {
 public:
  /// The Volume's id ("vo-...").
  std::string const& volume_id() const;
  /// The name it was looked up by; "" for an ephemeral Volume.
  std::string const& name() const;
  /// Whether it came from `VolumeService::ephemeral`.
  bool is_ephemeral() const;
  /// Whether this handle mounts read-only.
  bool is_read_only() const { return read_only_; }
  /// The directory of the Volume this handle mounts; "" for the whole Volume.
  std::string const& sub_path() const { return sub_path_; }

  /// A copy that mounts read-only.
  Volume read_only() const;
  /// A copy with `params`' options set (unset ones keep this handle's), as upstream's
  /// `WithMountOptions`, so calls stack.
  /// @throws InvalidError for an empty sub-path, one with "." or ".." components, or one
  ///   containing a NUL character.
  Volume with_mount_options(VolumeMountOptionsParams const& params) const;

  /// Stops the heartbeat of an ephemeral Volume (the server then deletes it); no beat is
  /// sent once this returns. Idempotent.
  /// @throws InvalidError if the Volume is not ephemeral.
  void close_ephemeral() const;

 private:
  friend class VolumeService;
  explicit Volume(std::shared_ptr<internal::VolumeState> state) : state_(std::move(state)) {}
  std::shared_ptr<internal::VolumeState> state_;
  bool read_only_ = false;
  std::string sub_path_;
};

/// Options of `VolumeService::from_name`.
struct VolumeFromNameParams {
  /// Environment name; empty uses the client's.
  std::string environment{};
  /// Create the Volume if it does not exist.
  bool create_if_missing = false;
};

/// Options of `VolumeService::ephemeral`.
struct VolumeEphemeralParams {
  /// Environment name; empty uses the client's.
  std::string environment{};
};

/// Options of `VolumeService::remove`.
struct VolumeDeleteParams {
  /// Environment name; empty uses the client's.
  std::string environment{};
  /// A missing Volume is not an error.
  bool allow_missing = false;
};

/// Looks up, creates and deletes Volumes. Obtain it with `Client::volumes()`.
/// Thread-safe, cheap to copy.
class VolumeService {
 public:
  /// Finds the Volume named `name` (`VolumeGetOrCreate`), creating it when
  /// `params.create_if_missing`.
  /// @throws NotFoundError("Volume 'name' not found"); InvalidError for a bad name.
  Volume from_name(std::string const& name, VolumeFromNameParams const& params = {}) const;
  /// Creates an anonymous Volume that lives while its heartbeats do (see `Volume`).
  Volume ephemeral(VolumeEphemeralParams const& params = {}) const;
  /// Deletes the Volume named `name` and its contents (`VolumeGetOrCreate`, then
  /// `VolumeDelete`). @throws NotFoundError unless `params.allow_missing`.
  void remove(std::string const& name, VolumeDeleteParams const& params = {}) const;

 private:
  friend class Client;
  explicit VolumeService(std::shared_ptr<internal::ClientState> state) : state_(std::move(state)) {}
  std::shared_ptr<internal::ClientState> state_;
};

}  // namespace modal

#endif  // MODAL_VOLUME_H
