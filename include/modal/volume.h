// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_VOLUME_H
#define MODAL_VOLUME_H

#include <memory>
#include <string>

namespace modal {
namespace internal {
class ClientState;
}  // namespace internal

/// A persistent Volume, mountable into Sandboxes. Cheap to copy; immutable.
class Volume {
 public:
  /// The Volume's id.
  std::string const& volume_id() const { return volume_id_; }
  /// The Volume's name.
  std::string const& name() const { return name_; }
  /// Whether the Volume mounts read-only (see `as_read_only()`).
  bool read_only() const { return read_only_; }
  /// A copy that mounts read-only.
  Volume as_read_only() const {
    Volume v = *this;
    v.read_only_ = true;
    return v;
  }

 private:
  friend class VolumeService;
  Volume(std::string id, std::string name) : volume_id_(std::move(id)), name_(std::move(name)) {}
  std::string volume_id_;
  std::string name_;
  bool read_only_ = false;
};

/// Options of `VolumeService::from_name`.
struct VolumeFromNameParams {
  /// Environment name; empty uses the client's.
  std::string environment{};
  /// Create the Volume if it does not exist.
  bool create_if_missing = false;
};

/// Looks up Volumes. Obtain it with `Client::volumes()`. Thread-safe, cheap to copy.
class VolumeService {
 public:
  /// Finds the Volume named `name`, creating it when `params.create_if_missing`.
  /// @throws NotFoundError if there is none named `name` and it was not to be created.
  Volume from_name(std::string const& name, VolumeFromNameParams const& params = {}) const;

 private:
  friend class Client;
  explicit VolumeService(std::shared_ptr<internal::ClientState> state) : state_(std::move(state)) {}
  std::shared_ptr<internal::ClientState> state_;
};

}  // namespace modal

#endif  // MODAL_VOLUME_H
