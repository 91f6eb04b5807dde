// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_RUNTIME_IMAGE_UNPACK_H
#define MODAL_EMULATOR_RUNTIME_IMAGE_UNPACK_H

/// Unpacking a local container image into a root file system directory (for the
/// emulator's `--image TAG=PATH`). The image is outside input: every path, digest and
/// JSON document in it is checked, and nothing is ever written outside the destination.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace modal::emulator::runtime {

/// What a Sandbox of the image runs with: the "config" object of the image's config JSON.
struct UnpackedImageConfig {
  /// "KEY=VALUE" strings, as in Env.
  std::vector<std::string> env{};
  /// WorkingDir (empty: not set).
  std::string workdir{};
  /// User: "name", "uid", "uid:gid", ... (empty: not set).
  std::string user{};
  /// Entrypoint (empty: not set).
  std::vector<std::string> entrypoint{};
  /// Cmd (empty: not set).
  std::vector<std::string> cmd{};
};

/// Counts of what unpack_image() did.
struct UnpackStats {
  /// Layers applied.
  uint64_t layers = 0;
  /// Non-directory entries created: regular files, symbolic links, hard links, FIFOs and
  /// device nodes.
  uint64_t files = 0;
  /// Directory entries created or updated.
  uint64_t directories = 0;
  /// Bytes of file content written.
  uint64_t bytes = 0;
  /// Entries left out without an error: device nodes that could not be created (no
  /// permission to mknod) and aufs metadata (".wh..wh.*" other than the opaque marker).
  uint64_t skipped = 0;
};

/// A content descriptor of an OCI index or manifest ("mediaType", "digest", "size" and,
/// in an index, "platform").
struct OciDescriptor {
  std::string media_type{};
  /// "sha256:<64 lowercase hex>" or "sha512:<128 lowercase hex>" (checked).
  std::string digest{};
  /// -1 when absent.
  int64_t size = -1;
  /// platform.os, platform.architecture, platform.variant (empty when absent).
  std::string os{};
  std::string architecture{};
  std::string variant{};
};

/// An image manifest: the config blob and the layers, lowest first.
struct OciManifest {
  OciDescriptor config{};
  std::vector<OciDescriptor> layers{};
};

/// The first image of a `docker save` manifest.json: paths inside the archive (checked:
/// relative, no "..", normalized without "./" and repeated slashes).
struct DockerSaveManifest {
  std::string config{};
  std::vector<std::string> layers{};
};

/// The largest JSON document (manifest.json, index.json, manifest, config) read into
/// memory; a larger one is an error.
inline constexpr std::size_t kMaxImageJsonBytes = std::size_t{16} << 20;

/**
 * Unpacks the container image at `path` into `dest`, an existing empty directory, which
 * then holds the image's flattened root file system.
 *
 * `path` is one of:
 *  - a directory in OCI image layout: index.json (and oci-layout), blobs/<alg>/<hex>;
 *  - a tar archive of one (what `docker save` writes since Docker 25, which also has a
 *    manifest.json; index.json is preferred);
 *  - a classic `docker save` archive: manifest.json whose first entry names Config and
 *    Layers by their paths inside the archive (also as an unpacked directory).
 * The outer archive may itself be compressed (gzip, zstd, xz, bzip2).
 *
 * When an index lists several manifests, the one for linux/amd64 is taken (else the
 * first that is not an attestation), among those whose blob is present; nested indexes are
 * followed up to a bounded depth. The layers are applied in order, each a tar archive
 * (plain or compressed with anything the libarchive build reads natively: gzip, zstd,
 * ...). Whiteouts are applied, never extracted: ".wh.NAME" removes NAME of the lower
 * layers, ".wh..wh..opq" empties its directory of what lower layers put there.
 *
 * Safety: entries are written with libarchive below realpath(`dest`), never outside it.
 * An entry with an absolute path, a ".." component, a path through a symbolic link (e.g.
 * one an earlier entry created), or a hard link to such a path fails the unpack with
 * InvalidArgument, as does a whiteout of such a path. Modes, numeric owners, times,
 * symbolic links and hard links are kept; device nodes are created when mknod is allowed
 * (else skipped); extended attributes are kept only in the user.* namespace and
 * security.capability (never trusted.*, e.g. overlayfs' own). The calling thread never
 * changes directory.
 *
 * Errors: NotFound when `path` does not exist; InvalidArgument, naming the file and the
 * problem, for anything wrong with the image (not an image, bad JSON, a missing blob, a
 * bad digest, an unsupported media type, a hostile entry, ...) or with `dest`; Internal
 * for an I/O error while writing. On error `dest` may hold part of the image; the caller
 * removes it.
 *
 * Note: libarchive's disk writer briefly sets the process umask to 0 (and restores it)
 * for every entry; files other threads create in that instant get mode bits they did not
 * ask for.
 */
absl::StatusOr<UnpackedImageConfig> unpack_image(std::string const& path, std::string const& dest,
                                                 UnpackStats* stats = nullptr);

/// Parses an image config JSON (OCI or Docker: the "config" object's Env, WorkingDir,
/// User, Entrypoint, Cmd; an absent "config" is an empty one). An "os" other than "linux"
/// is an error.
absl::StatusOr<UnpackedImageConfig> parse_image_config(std::string_view json);

/// Parses a `docker save` manifest.json (a non-empty array; its first element is used).
absl::StatusOr<DockerSaveManifest> parse_docker_manifest(std::string_view json);

/// Parses an OCI image index (index.json or an index blob; also Docker's manifest list):
/// its "manifests", each with a checked digest.
absl::StatusOr<std::vector<OciDescriptor>> parse_oci_index(std::string_view json);

/// Parses an OCI image manifest (or Docker's schema 2 manifest): "config" and "layers",
/// each with a checked digest. A config media type other than an image config's is an
/// error (an artifact, not a container image).
absl::StatusOr<OciManifest> parse_oci_manifest(std::string_view json);

/// The index in `manifests` (non-empty) of the preferred one: linux/amd64, else one
/// without a platform, else one of another real platform, else the first
/// ("unknown/unknown" are attestations).
std::size_t pick_manifest(std::vector<OciDescriptor> const& manifests);

/// "blobs/<alg>/<hex>" for a digest "sha256:<64 lowercase hex>" or "sha512:<128 lowercase
/// hex>"; InvalidArgument for anything else.
absl::StatusOr<std::string> blob_path(std::string_view digest);

/// `path` (a path inside an archive or layer) normalized: without "." components, empty
/// components or a trailing slash; "" for the root itself. InvalidArgument for an absolute
/// path or a ".." component.
absl::StatusOr<std::string> normalize_relative_path(std::string_view path);

}  // namespace modal::emulator::runtime

#endif  // MODAL_EMULATOR_RUNTIME_IMAGE_UNPACK_H
