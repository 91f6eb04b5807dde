// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "runtime/image_unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "runtime/unique_fd.h"

namespace modal::emulator::runtime {
namespace {

using internal::UniqueFd;
using Json = nlohmann::json;

/// Indexes of indexes deeper than this are an error.
constexpr int kMaxIndexDepth = 4;
/// JSON nested deeper than this is an error (image JSON is a few levels deep).
constexpr int kMaxJsonDepth = 64;
/// Bounds on what an image may hold, against hostile archives that would make us keep
/// unbounded state in memory.
constexpr std::size_t kMaxOuterEntries = std::size_t{1} << 18;
constexpr std::size_t kMaxLayers = 4096;
constexpr std::size_t kMaxLayerEntries = std::size_t{1} << 22;
/// Symbolic and hard links followed inside an outer archive to find a blob.
constexpr int kMaxLinkHops = 16;
/// Small files of an outer tar archive kept in memory by its first pass (the JSON
/// documents, mostly), so that reading them needs no further pass.
constexpr std::size_t kMaxCachedEntry = std::size_t{1} << 20;
constexpr std::size_t kMaxCachedTotal = std::size_t{16} << 20;
/// Directory levels removed recursively (one file descriptor each).
constexpr int kMaxRemoveDepth = 512;
/// Longest destination path handed to libarchive: at PATH_MAX it would chdir() (its
/// "deep directories" support), which a multithreaded process must never do.
constexpr std::size_t kMaxFullPath = PATH_MAX - 2;
constexpr std::size_t kReadBlock = std::size_t{64} << 10;

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kWhiteoutMetaPrefix = ".wh..wh.";
constexpr std::string_view kOpaqueWhiteout = ".wh..wh..opq";

constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
constexpr std::string_view kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";

absl::string_view av(std::string_view s) { return {s.data(), s.size()}; }

/// `s` for an error message: quoted, control characters escaped, long ones cut.
std::string quote(std::string_view s) {
  constexpr std::size_t kMax = 120;
  std::string out = "'";
  for (std::size_t i = 0; i < s.size() && i < kMax; ++i) {
    auto const c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f || c == '\'' || c == '\\') {
      absl::StrAppend(&out, "\\x", absl::Hex(c, absl::kZeroPad2));
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (s.size() > kMax) out += "...";
  out += "'";
  return out;
}

absl::Status invalid(std::string_view where, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(av(where), ": ", what));
}

/// `status` with "`where`: " in front of its message (same code).
absl::Status prefixed(std::string_view where, absl::Status const& status) {
  return {status.code(), absl::StrCat(av(where), ": ", status.message())};
}

std::string errno_text(int err) { return std::strerror(err); }

// --- JSON -----------------------------------------------------------------------------

/// Parses `text` as JSON, bounded in size and nesting depth. Errors name no file (the
/// caller puts it in front).
absl::StatusOr<Json> parse_json(std::string_view text) {
  if (text.size() > kMaxImageJsonBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("larger than ", kMaxImageJsonBytes, " bytes (", text.size(), ")"));
  }
  // The nesting depth before parsing: nlohmann builds the whole tree, and a document of
  // 16 MiB of '[' would be millions of nested values. Brackets inside strings do not count.
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char const c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) {
        return absl::InvalidArgumentError(
            absl::StrCat("JSON nested deeper than ", kMaxJsonDepth, " levels"));
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  Json json;
  try {
    json = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  } catch (Json::exception const& e) {
    return absl::InvalidArgumentError(absl::StrCat("not valid JSON: ", e.what()));
  }
  if (json.is_discarded()) return absl::InvalidArgumentError("not valid JSON");
  return json;
}

/// The string member `key` of `object` ("" when absent); `field` names it in errors.
absl::StatusOr<std::string> optional_string(Json const& object, char const* key,
                                            std::string_view field) {
  auto const it = object.find(key);
  if (it == object.end() || it->is_null()) return std::string();
  if (!it->is_string()) {
    return absl::InvalidArgumentError(absl::StrCat(av(field), key, " is not a string"));
  }
  return it->get_ref<std::string const&>();
}

/// The array-of-strings member `key` of `object` (empty when absent or null).
absl::StatusOr<std::vector<std::string>> optional_strings(Json const& object, char const* key,
                                                          std::string_view field) {
  std::vector<std::string> out;
  auto const it = object.find(key);
  if (it == object.end() || it->is_null()) return out;
  if (!it->is_array()) {
    return absl::InvalidArgumentError(absl::StrCat(av(field), key, " is not an array of strings"));
  }
  out.reserve(it->size());
  for (auto const& element : *it) {
    if (!element.is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat(av(field), key, " is not an array of strings"));
    }
    out.push_back(element.get_ref<std::string const&>());
  }
  return out;
}

bool is_index_type(std::string_view media_type) {
  return media_type == kOciIndex || media_type == kDockerManifestList;
}
bool is_manifest_type(std::string_view media_type) {
  return media_type == kOciManifest || media_type == kDockerManifest;
}

/// A layer media type we can unpack ("" for unknown: Docker's manifest.json has none).
absl::Status check_layer_media_type(std::string_view media_type) {
  static constexpr std::array<std::string_view, 6> kTar = {
      "",
      "application/vnd.oci.image.layer.v1.tar",
      "application/vnd.oci.image.layer.nondistributable.v1.tar",
      "application/vnd.docker.image.rootfs.diff.tar",
      "application/vnd.docker.image.rootfs.foreign.diff.tar",
      "application/x-tar"};
  static constexpr std::array<std::string_view, 5> kGzip = {
      "application/vnd.oci.image.layer.v1.tar+gzip",
      "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
      "application/vnd.docker.image.rootfs.diff.tar.gzip",
      "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", "application/x-gzip"};
  static constexpr std::array<std::string_view, 2> kZstd = {
      "application/vnd.oci.image.layer.v1.tar+zstd",
      "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"};
  for (auto const t : kTar) {
    if (media_type == t) return absl::OkStatus();
  }
  for (auto const t : kGzip) {
    if (media_type == t) {
      if (archive_zlib_version() == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(
            "unsupported layer media type ", quote(media_type), ": this libarchive has no zlib"));
      }
      return absl::OkStatus();
    }
  }
  for (auto const t : kZstd) {
    if (media_type == t) {
      if (archive_libzstd_version() == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat("unsupported layer media type ",
                                                       quote(media_type),
                                                       ": this libarchive cannot read zstd"));
      }
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unsupported layer media type ", quote(media_type)));
}

absl::StatusOr<OciDescriptor> parse_descriptor(Json const& json, std::string const& field) {
  if (!json.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is not an object"));
  }
  OciDescriptor d;
  auto media_type = optional_string(json, "mediaType", field + ".");
  if (!media_type.ok()) return media_type.status();
  d.media_type = *std::move(media_type);
  auto const digest = json.find("digest");
  if (digest == json.end() || !digest->is_string()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".digest is missing or not a string"));
  }
  d.digest = digest->get_ref<std::string const&>();
  if (auto const path = blob_path(d.digest); !path.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".digest: ", path.status().message()));
  }
  if (auto const size = json.find("size"); size != json.end() && !size->is_null()) {
    if (size->is_number_unsigned()) {
      auto const value = size->get<uint64_t>();
      if (value > static_cast<uint64_t>(INT64_MAX)) {
        return absl::InvalidArgumentError(absl::StrCat(field, ".size is too large"));
      }
      d.size = static_cast<int64_t>(value);
    } else if (size->is_number_integer() && size->get<int64_t>() >= 0) {
      d.size = size->get<int64_t>();
    } else {
      return absl::InvalidArgumentError(absl::StrCat(field, ".size is not a non-negative integer"));
    }
  }
  if (auto const platform = json.find("platform"); platform != json.end() && !platform->is_null()) {
    if (!platform->is_object()) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".platform is not an object"));
    }
    std::string const pf = field + ".platform.";
    auto os = optional_string(*platform, "os", pf);
    auto arch = optional_string(*platform, "architecture", pf);
    auto variant = optional_string(*platform, "variant", pf);
    if (!os.ok()) return os.status();
    if (!arch.ok()) return arch.status();
    if (!variant.ok()) return variant.status();
    d.os = *std::move(os);
    d.architecture = *std::move(arch);
    d.variant = *std::move(variant);
  }
  return d;
}

absl::StatusOr<std::vector<OciDescriptor>> index_from_json(Json const& json) {
  if (!json.is_object()) return absl::InvalidArgumentError("not a JSON object");
  auto media_type = optional_string(json, "mediaType", "");
  if (!media_type.ok()) return media_type.status();
  if (!media_type->empty() && !is_index_type(*media_type)) {
    return absl::InvalidArgumentError(
        absl::StrCat("mediaType ", quote(*media_type), " is not an image index"));
  }
  auto const manifests = json.find("manifests");
  if (manifests == json.end() || !manifests->is_array()) {
    return absl::InvalidArgumentError("no \"manifests\" array");
  }
  if (manifests->empty()) return absl::InvalidArgumentError("\"manifests\" is empty");
  std::vector<OciDescriptor> out;
  out.reserve(manifests->size());
  for (std::size_t i = 0; i < manifests->size(); ++i) {
    auto d = parse_descriptor((*manifests)[i], absl::StrCat("manifests[", i, "]"));
    if (!d.ok()) return d.status();
    out.push_back(*std::move(d));
  }
  return out;
}

absl::StatusOr<OciManifest> manifest_from_json(Json const& json) {
  if (!json.is_object()) return absl::InvalidArgumentError("not a JSON object");
  auto media_type = optional_string(json, "mediaType", "");
  if (!media_type.ok()) return media_type.status();
  if (!media_type->empty() && !is_manifest_type(*media_type)) {
    return absl::InvalidArgumentError(
        absl::StrCat("mediaType ", quote(*media_type), " is not an image manifest"));
  }
  OciManifest m;
  auto const config = json.find("config");
  if (config == json.end()) return absl::InvalidArgumentError("no \"config\"");
  auto c = parse_descriptor(*config, "config");
  if (!c.ok()) return c.status();
  m.config = *std::move(c);
  if (!m.config.media_type.empty() && m.config.media_type != kOciConfig &&
      m.config.media_type != kDockerConfig) {
    return absl::InvalidArgumentError(absl::StrCat("config.mediaType ", quote(m.config.media_type),
                                                   " is not a container image config"));
  }
  auto const layers = json.find("layers");
  if (layers == json.end() || !layers->is_array()) {
    return absl::InvalidArgumentError("no \"layers\" array");
  }
  if (layers->size() > kMaxLayers) {
    return absl::InvalidArgumentError(absl::StrCat("more than ", kMaxLayers, " layers"));
  }
  for (std::size_t i = 0; i < layers->size(); ++i) {
    std::string const field = absl::StrCat("layers[", i, "]");
    auto d = parse_descriptor((*layers)[i], field);
    if (!d.ok()) return d.status();
    if (auto const s = check_layer_media_type(d->media_type); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": ", s.message()));
    }
    m.layers.push_back(*std::move(d));
  }
  return m;
}

// --- libarchive ---------------------------------------------------------------------

struct ReadArchiveDeleter {
  void operator()(struct archive* a) const { archive_read_free(a); }
};
using ReadArchive = std::unique_ptr<struct archive, ReadArchiveDeleter>;
struct WriteArchiveDeleter {
  void operator()(struct archive* a) const { archive_write_free(a); }
};
using WriteArchive = std::unique_ptr<struct archive, WriteArchiveDeleter>;

std::string archive_error(struct archive* a) {
  char const* e = archive_error_string(a);
  return e != nullptr ? e : "unknown libarchive error";
}

/// A reader of tar archives, compressed with any filter this libarchive implements itself
/// (never one that would run an external program: that needs a fork of this process).
ReadArchive new_tar_reader() {
  ReadArchive a(archive_read_new());
  if (!a) return a;
  if (archive_zlib_version() != nullptr) archive_read_support_filter_gzip(a.get());
  if (archive_libzstd_version() != nullptr) archive_read_support_filter_zstd(a.get());
  if (archive_liblzma_version() != nullptr) archive_read_support_filter_xz(a.get());
  if (archive_bzlib_version() != nullptr) archive_read_support_filter_bzip2(a.get());
  if (archive_liblz4_version() != nullptr) archive_read_support_filter_lz4(a.get());
  archive_read_support_format_tar(a.get());
  archive_read_support_format_empty(a.get());
  return a;
}

char const* entry_path(struct archive_entry* e) {
  char const* p = archive_entry_pathname(e);
  return p != nullptr ? p : archive_entry_pathname_utf8(e);
}
char const* entry_hardlink(struct archive_entry* e) {
  char const* p = archive_entry_hardlink(e);
  return p != nullptr ? p : archive_entry_hardlink_utf8(e);
}
char const* entry_symlink(struct archive_entry* e) {
  char const* p = archive_entry_symlink(e);
  return p != nullptr ? p : archive_entry_symlink_utf8(e);
}

/// Reads the current entry's data, at most `limit` bytes (more is an error).
absl::StatusOr<std::string> read_entry_data(struct archive* a, std::size_t limit) {
  std::string out;
  std::vector<char> buf(kReadBlock);
  for (;;) {
    la_ssize_t const n = archive_read_data(a, buf.data(), buf.size());
    if (n < 0) return absl::InvalidArgumentError(archive_error(a));
    if (n == 0) break;
    if (out.size() + static_cast<std::size_t>(n) > limit) {
      return absl::InvalidArgumentError(absl::StrCat("larger than ", limit, " bytes"));
    }
    out.append(buf.data(), static_cast<std::size_t>(n));
  }
  return out;
}

/// Reads the regular file `fd`, at most `limit` bytes.
absl::StatusOr<std::string> read_fd(int fd, std::size_t limit) {
  std::string out;
  std::vector<char> buf(kReadBlock);
  for (;;) {
    ssize_t const n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::InvalidArgumentError(absl::StrCat("read: ", errno_text(errno)));
    }
    if (n == 0) break;
    if (out.size() + static_cast<std::size_t>(n) > limit) {
      return absl::InvalidArgumentError(absl::StrCat("larger than ", limit, " bytes"));
    }
    out.append(buf.data(), static_cast<std::size_t>(n));
  }
  return out;
}

// --- image sources --------------------------------------------------------------------

/// The files of an image: a directory or a tar archive. Names are normalized relative
/// paths (normalize_relative_path()).
class ImageSource {
 public:
  virtual ~ImageSource() = default;
  /// Whether `name` is a regular file (following links inside the image only).
  virtual bool exists(std::string const& name) = 0;
  /// The content of `name`, at most kMaxImageJsonBytes.
  virtual absl::StatusOr<std::string> read_small(std::string const& name) = 0;
  /// Calls `fn` with a tar reader (any native compression) over the file `name`.
  virtual absl::Status with_layer(std::string const& name,
                                  std::function<absl::Status(struct archive*)> const& fn) = 0;
};

/// Opens `name` below `root_fd` for reading, never resolving to anything outside it
/// (symbolic links inside it are followed when the kernel has openat2; else none is).
absl::StatusOr<UniqueFd> open_beneath(int root_fd, std::string const& name) {
  struct open_how how {};
  how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  long fd = ::syscall(SYS_openat2, root_fd, name.c_str(), &how, sizeof how);
  if (fd < 0 && (errno == ENOSYS || errno == EPERM)) {
    // No openat2 (Linux < 5.6, or a seccomp filter): component by component, no links.
    UniqueFd dir(::fcntl(root_fd, F_DUPFD_CLOEXEC, 0));
    std::string_view rest = name;
    fd = -1;
    while (dir) {
      auto const slash = rest.find('/');
      std::string const component(rest.substr(0, slash));
      if (slash == std::string_view::npos) {
        fd = ::openat(dir.get(), component.c_str(),
                      O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
        break;
      }
      dir.reset(
          ::openat(dir.get(), component.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      rest.remove_prefix(slash + 1);
    }
  }
  if (fd < 0) return absl::NotFoundError(errno_text(errno));
  UniqueFd out(static_cast<int>(fd));
  struct stat st {};
  if (::fstat(out.get(), &st) != 0) return absl::NotFoundError(errno_text(errno));
  if (!S_ISREG(st.st_mode)) return absl::NotFoundError("not a regular file");
  ::fcntl(out.get(), F_SETFL, O_RDONLY);  // clear O_NONBLOCK
  return out;
}

class DirectorySource : public ImageSource {
 public:
  explicit DirectorySource(UniqueFd root) : root_(std::move(root)) {}

  bool exists(std::string const& name) override { return open_beneath(root_.get(), name).ok(); }

  absl::StatusOr<std::string> read_small(std::string const& name) override {
    auto fd = open_beneath(root_.get(), name);
    if (!fd.ok()) return invalid(name, fd.status().message());
    auto data = read_fd(fd->get(), kMaxImageJsonBytes);
    if (!data.ok()) return prefixed(name, data.status());
    return data;
  }

  absl::Status with_layer(std::string const& name,
                          std::function<absl::Status(struct archive*)> const& fn) override {
    auto fd = open_beneath(root_.get(), name);
    if (!fd.ok()) return invalid(name, fd.status().message());
    ReadArchive a = new_tar_reader();
    if (!a) return absl::ResourceExhaustedError("archive_read_new failed");
    if (archive_read_open_fd(a.get(), fd->get(), kReadBlock) != ARCHIVE_OK) {
      return absl::InvalidArgumentError(
          absl::StrCat("not a tar archive (", archive_error(a.get()), ")"));
    }
    return fn(a.get());
  }

 private:
  UniqueFd root_;
};

/// A tar archive of an image (OCI layout or `docker save`). The first pass lists its
/// entries (and keeps the small ones); each later read is one more pass over the file.
class TarSource : public ImageSource {
 public:
  explicit TarSource(UniqueFd fd) : fd_(std::move(fd)) {}

  /// Lists the archive; InvalidArgument when it is not a tar archive.
  absl::Status init() {
    auto a = open_pass();
    if (!a.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("not a directory nor a tar archive (", a.status().message(), ")"));
    }
    bool any = false;
    for (;;) {
      struct archive_entry* e = nullptr;
      int const r = archive_read_next_header(a->get(), &e);
      if (r == ARCHIVE_EOF) break;
      if (r < ARCHIVE_WARN) {
        return absl::InvalidArgumentError(any ? archive_error(a->get())
                                              : absl::StrCat("not a directory nor a tar archive (",
                                                             archive_error(a->get()), ")"));
      }
      any = true;
      char const* raw = entry_path(e);
      if (raw == nullptr) continue;
      auto name = normalize_relative_path(raw);
      if (!name.ok() || name->empty()) continue;  // never looked up
      if (entries_.size() >= kMaxOuterEntries) {
        return absl::InvalidArgumentError(absl::StrCat("more than ", kMaxOuterEntries, " entries"));
      }
      Entry entry;
      if (char const* link = entry_hardlink(e); link != nullptr) {
        entry.kind = Entry::Kind::kHardlink;
        entry.link = link;
      } else if (archive_entry_filetype(e) == AE_IFLNK) {
        entry.kind = Entry::Kind::kSymlink;
        char const* target = entry_symlink(e);
        entry.link = target != nullptr ? target : "";
      } else if (archive_entry_filetype(e) == AE_IFREG) {
        entry.kind = Entry::Kind::kFile;
      } else if (archive_entry_filetype(e) == AE_IFDIR) {
        entry.kind = Entry::Kind::kDirectory;
      }
      auto const [it, inserted] = entries_.emplace(*name, entry);
      if (!inserted) {
        if (entry.kind == Entry::Kind::kDirectory && it->second.kind == Entry::Kind::kDirectory) {
          continue;
        }
        // Which one a reader would see is ambiguous; refuse rather than guess.
        return absl::InvalidArgumentError(
            absl::StrCat("two entries named ", quote(*name), " in the archive"));
      }
      if (entry.kind == Entry::Kind::kFile && archive_entry_size_is_set(e) &&
          archive_entry_size(e) >= 0 &&
          static_cast<uint64_t>(archive_entry_size(e)) <= kMaxCachedEntry &&
          cached_bytes_ + static_cast<std::size_t>(archive_entry_size(e)) <= kMaxCachedTotal) {
        auto data = read_entry_data(a->get(), kMaxCachedEntry);
        if (!data.ok()) return prefixed(*name, data.status());
        cached_bytes_ += data->size();
        cache_.emplace(*name, *std::move(data));
      }
    }
    if (!any) return absl::InvalidArgumentError("an empty archive");
    return absl::OkStatus();
  }

  bool exists(std::string const& name) override { return resolve(name).ok(); }

  absl::StatusOr<std::string> read_small(std::string const& name) override {
    auto target = resolve(name);
    if (!target.ok()) return prefixed(name, target.status());
    if (auto const it = cache_.find(*target); it != cache_.end()) return it->second;
    std::optional<std::string> data;
    absl::Status status = pass_to(*target, [&](struct archive* a) -> absl::Status {
      auto d = read_entry_data(a, kMaxImageJsonBytes);
      if (!d.ok()) return d.status();
      data = *std::move(d);
      return absl::OkStatus();
    });
    if (!status.ok()) return prefixed(name, status);
    return *std::move(data);
  }

  absl::Status with_layer(std::string const& name,
                          std::function<absl::Status(struct archive*)> const& fn) override {
    auto target = resolve(name);
    if (!target.ok()) return prefixed(name, target.status());
    absl::Status inner_status = absl::OkStatus();
    absl::Status status = pass_to(*target, [&](struct archive* outer) -> absl::Status {
      ReadArchive inner = new_tar_reader();
      if (!inner) return absl::ResourceExhaustedError("archive_read_new failed");
      Stream stream{outer, std::vector<char>(kReadBlock)};
      if (archive_read_open(inner.get(), &stream, nullptr, &Stream::read, nullptr) != ARCHIVE_OK) {
        inner_status = absl::InvalidArgumentError(
            absl::StrCat("not a tar archive (", archive_error(inner.get()), ")"));
        return absl::OkStatus();
      }
      inner_status = fn(inner.get());
      return absl::OkStatus();
    });
    if (!status.ok()) return prefixed(name, status);
    return inner_status;
  }

 private:
  struct Entry {
    enum class Kind { kFile, kDirectory, kSymlink, kHardlink, kOther };
    Kind kind = Kind::kOther;
    std::string link{};
  };

  /// The inner reader's input: the data of the outer archive's current entry.
  struct Stream {
    struct archive* outer;
    std::vector<char> buffer;
    static la_ssize_t read(struct archive* inner, void* data, void const** block) {
      auto* self = static_cast<Stream*>(data);
      la_ssize_t const n = archive_read_data(self->outer, self->buffer.data(), self->buffer.size());
      if (n < 0) {
        archive_set_error(inner, EIO, "%s", archive_error(self->outer).c_str());
        return -1;
      }
      *block = self->buffer.data();
      return n;
    }
  };

  absl::StatusOr<ReadArchive> open_pass() {
    if (::lseek(fd_.get(), 0, SEEK_SET) != 0) {
      return absl::InvalidArgumentError(absl::StrCat("lseek: ", errno_text(errno)));
    }
    ReadArchive a = new_tar_reader();
    if (!a) return absl::ResourceExhaustedError("archive_read_new failed");
    if (archive_read_open_fd(a.get(), fd_.get(), kReadBlock) != ARCHIVE_OK) {
      return absl::InvalidArgumentError(archive_error(a.get()));
    }
    return a;
  }

  /// One pass over the archive up to the entry `name` (a regular file), then `fn` on it.
  absl::Status pass_to(std::string const& name,
                       std::function<absl::Status(struct archive*)> const& fn) {
    auto a = open_pass();
    if (!a.ok()) return a.status();
    for (;;) {
      struct archive_entry* e = nullptr;
      int const r = archive_read_next_header(a->get(), &e);
      if (r == ARCHIVE_EOF) break;
      if (r < ARCHIVE_WARN) return absl::InvalidArgumentError(archive_error(a->get()));
      char const* raw = entry_path(e);
      if (raw == nullptr || archive_entry_filetype(e) != AE_IFREG || entry_hardlink(e) != nullptr) {
        continue;
      }
      if (auto n = normalize_relative_path(raw); n.ok() && *n == name) return fn(a->get());
    }
    return absl::InvalidArgumentError("not found in the archive on a second reading");
  }

  /// The regular file `name` names, following the archive's own links.
  absl::StatusOr<std::string> resolve(std::string name) const {
    for (int hop = 0; hop <= kMaxLinkHops; ++hop) {
      auto const it = entries_.find(name);
      if (it == entries_.end()) return absl::InvalidArgumentError("missing from the archive");
      Entry const& entry = it->second;
      switch (entry.kind) {
        case Entry::Kind::kFile:
          return name;
        case Entry::Kind::kHardlink: {
          auto target = normalize_relative_path(entry.link);
          if (!target.ok()) {
            return absl::InvalidArgumentError(
                absl::StrCat("hard link to ", quote(entry.link), ": ", target.status().message()));
          }
          name = *std::move(target);
          break;
        }
        case Entry::Kind::kSymlink: {
          // Relative to the link's directory; ".." may climb, but not out of the archive.
          if (entry.link.empty() || entry.link.front() == '/') {
            return absl::InvalidArgumentError(
                absl::StrCat("symbolic link to ", quote(entry.link), " leaves the archive"));
          }
          std::vector<std::string_view> parts;
          std::string_view const dir = std::string_view(name).substr(
              0, name.rfind('/') == std::string::npos ? 0 : name.rfind('/'));
          std::string const joined =
              dir.empty() ? entry.link : absl::StrCat(av(dir), "/", entry.link);
          std::string_view rest = joined;
          while (!rest.empty()) {
            auto const slash = rest.find('/');
            std::string_view const part = rest.substr(0, slash);
            rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
            if (part.empty() || part == ".") continue;
            if (part == "..") {
              if (parts.empty()) {
                return absl::InvalidArgumentError(
                    absl::StrCat("symbolic link to ", quote(entry.link), " leaves the archive"));
              }
              parts.pop_back();
            } else {
              parts.push_back(part);
            }
          }
          std::string next;
          for (auto const part : parts) absl::StrAppend(&next, next.empty() ? "" : "/", av(part));
          name = std::move(next);
          break;
        }
        default:
          return absl::InvalidArgumentError("not a regular file");
      }
    }
    return absl::InvalidArgumentError("too many levels of links");
  }

  UniqueFd fd_;
  std::map<std::string, Entry> entries_;
  std::map<std::string, std::string> cache_;
  std::size_t cached_bytes_ = 0;
};

// --- layers ---------------------------------------------------------------------------

/// The result of walking directories below dest without following links.
struct Walk {
  UniqueFd fd{};     ///< an O_PATH fd of the directory, when found
  int error = 0;     ///< 0, ENOENT (a component is missing), or why a component is no directory
  std::string at{};  ///< the component's path when error != 0
};

/// Walks `rel` (a normalized relative path, "" for the root) below `root_fd` with
/// O_NOFOLLOW: a symbolic link or a non-directory on the way stops it.
Walk walk_directories(int root_fd, std::string_view rel) {
  Walk w;
  w.fd.reset(::fcntl(root_fd, F_DUPFD_CLOEXEC, 0));
  if (!w.fd) {
    w.error = errno;
    return w;
  }
  std::size_t pos = 0;
  while (pos < rel.size()) {
    auto slash = rel.find('/', pos);
    if (slash == std::string_view::npos) slash = rel.size();
    std::string const component(rel.substr(pos, slash - pos));
    int const fd =
        ::openat(w.fd.get(), component.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      w.error = errno;
      // With O_PATH, O_NOFOLLOW opens a symbolic link itself: O_DIRECTORY then fails with
      // ENOTDIR. Tell the two apart for the error message.
      struct stat st {};
      if (w.error == ENOTDIR &&
          ::fstatat(w.fd.get(), component.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
          S_ISLNK(st.st_mode)) {
        w.error = ELOOP;
      }
      w.at = std::string(rel.substr(0, slash));
      w.fd.reset();
      return w;
    }
    w.fd.reset(fd);
    pos = slash + 1;
  }
  return w;
}

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};

/// The names in the directory `dir_fd` (an O_PATH fd is fine), without "." and "..".
absl::StatusOr<std::vector<std::string>> list_directory(int dir_fd) {
  int const fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return absl::InternalError(absl::StrCat("open: ", errno_text(errno)));
  std::unique_ptr<DIR, DirCloser> dir(::fdopendir(fd));
  if (!dir) {
    ::close(fd);
    return absl::InternalError(absl::StrCat("fdopendir: ", errno_text(errno)));
  }
  std::vector<std::string> names;
  errno = 0;
  while (struct dirent const* d = ::readdir(dir.get())) {
    std::string_view const n = d->d_name;
    if (n != "." && n != "..") names.emplace_back(n);
  }
  if (errno != 0) return absl::InternalError(absl::StrCat("readdir: ", errno_text(errno)));
  return names;
}

/// Removes `name` in `dir_fd` and, for a directory, all below it; never follows a link.
absl::Status remove_at(int dir_fd, std::string const& name, int depth = 0) {
  struct stat st {};
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return absl::InternalError(absl::StrCat("stat ", quote(name), ": ", errno_text(errno)));
  }
  if (S_ISDIR(st.st_mode)) {
    if (depth >= kMaxRemoveDepth) {
      return absl::InvalidArgumentError(
          absl::StrCat("directories nested deeper than ", kMaxRemoveDepth, " levels"));
    }
    UniqueFd child(::openat(dir_fd, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!child) {
      return absl::InternalError(absl::StrCat("open ", quote(name), ": ", errno_text(errno)));
    }
    auto names = list_directory(child.get());
    if (!names.ok()) return prefixed(quote(name), names.status());
    for (auto const& n : *names) {
      if (auto s = remove_at(child.get(), n, depth + 1); !s.ok()) return s;
    }
    if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
      return absl::InternalError(absl::StrCat("rmdir ", quote(name), ": ", errno_text(errno)));
    }
    return absl::OkStatus();
  }
  if (::unlinkat(dir_fd, name.c_str(), 0) != 0 && errno != ENOENT) {
    return absl::InternalError(absl::StrCat("unlink ", quote(name), ": ", errno_text(errno)));
  }
  return absl::OkStatus();
}

std::string_view dirname_of(std::string_view rel) {
  auto const slash = rel.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : rel.substr(0, slash);
}
std::string_view basename_of(std::string_view rel) {
  auto const slash = rel.rfind('/');
  return slash == std::string_view::npos ? rel : rel.substr(slash + 1);
}
std::string join(std::string_view dir, std::string_view name) {
  return dir.empty() ? std::string(name) : absl::StrCat(av(dir), "/", av(name));
}

/// Extended attributes an image may set: user.* and file capabilities. Never trusted.*
/// (overlayfs reads trusted.overlay.* of its layers: redirects, opaque markers), nor
/// security labels.
bool xattr_allowed(std::string_view name) {
  return name.substr(0, 5) == "user." || name == "security.capability";
}

void filter_xattrs(struct archive_entry* e) {
  int const n = archive_entry_xattr_reset(e);
  if (n <= 0) return;
  std::vector<std::pair<std::string, std::string>> keep;
  bool dropped = false;
  for (int i = 0; i < n; ++i) {
    char const* name = nullptr;
    void const* value = nullptr;
    std::size_t size = 0;
    if (archive_entry_xattr_next(e, &name, &value, &size) != ARCHIVE_OK || name == nullptr) {
      dropped = true;
      continue;
    }
    if (!xattr_allowed(name)) {
      dropped = true;
      continue;
    }
    keep.emplace_back(name, std::string(static_cast<char const*>(value), size));
  }
  if (!dropped) return;
  archive_entry_xattr_clear(e);
  for (auto const& [name, value] : keep) {
    archive_entry_xattr_add_entry(e, name.c_str(), value.data(), value.size());
  }
}

bool is_disk_full(int err) { return err == ENOSPC || err == EDQUOT || err == EIO || err == EROFS; }

/// Applies layers to the destination directory, in order.
class LayerWriter {
 public:
  LayerWriter(std::string dest, UniqueFd dest_fd, UnpackStats& stats)
      : dest_(std::move(dest)), dest_fd_(std::move(dest_fd)), stats_(stats) {}

  absl::Status apply(struct archive* reader) {
    layer_paths_.clear();
    if (auto s = ensure_writer(); !s.ok()) return s;
    std::size_t entries = 0;
    for (;;) {
      struct archive_entry* e = nullptr;
      int const r = archive_read_next_header(reader, &e);
      if (r == ARCHIVE_EOF) break;
      if (r < ARCHIVE_WARN) {
        return absl::InvalidArgumentError(
            entries == 0 ? absl::StrCat("not a tar archive (", archive_error(reader), ")")
                         : archive_error(reader));
      }
      if (++entries > kMaxLayerEntries) {
        return absl::InvalidArgumentError(absl::StrCat("more than ", kMaxLayerEntries, " entries"));
      }
      char const* path = entry_path(e);
      if (path == nullptr) return absl::InvalidArgumentError("an entry without a path name");
      // A copy: the entry's own strings change when its paths are set below.
      std::string const raw = path;
      auto rel = normalize_relative_path(raw);
      if (!rel.ok()) return entry_error(raw, rel.status().message());
      if (auto s = apply_entry(reader, e, *rel, raw); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  /// Applies the deferred directory modes and times.
  absl::Status finish() {
    if (writer_ && archive_write_close(writer_.get()) < ARCHIVE_WARN) {
      return absl::InternalError(archive_error(writer_.get()));
    }
    writer_.reset();
    return absl::OkStatus();
  }

 private:
  static absl::Status entry_error(std::string_view raw, absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("entry ", quote(raw), ": ", why));
  }

  absl::Status ensure_writer() {
    if (writer_) return absl::OkStatus();
    writer_.reset(archive_write_disk_new());
    if (!writer_) return absl::ResourceExhaustedError("archive_write_disk_new failed");
    // No ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS: every path handed over is absolute (dest
    // in front); paths are checked to be relative without ".." before that. No lookup
    // functions: owners stay the image's numeric ids, never the host's names. No
    // ARCHIVE_EXTRACT_FFLAGS (an immutable file would resist later layers and removal),
    // no ACLs.
    int const flags = ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
                      ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                      ARCHIVE_EXTRACT_SECURE_NODOTDOT;
    if (archive_write_disk_set_options(writer_.get(), flags) != ARCHIVE_OK) {
      return absl::InternalError(archive_error(writer_.get()));
    }
    return absl::OkStatus();
  }

  /// Closes the writer when it has written anything since it was opened, so that its
  /// deferred work (directory modes and times, by path) is done before we remove
  /// anything: a path it remembers could otherwise lead through a symbolic link that
  /// replaces a removed directory.
  absl::Status flush() {
    if (!dirty_) return absl::OkStatus();
    dirty_ = false;
    if (auto s = finish(); !s.ok()) return s;
    return ensure_writer();
  }

  void mark(std::string_view rel) {
    std::hash<std::string_view> const hash;
    layer_paths_.insert(hash(rel));
    for (auto slash = rel.rfind('/'); slash != std::string_view::npos;
         slash = rel.rfind('/', slash - 1)) {
      if (!layer_paths_.insert(hash(rel.substr(0, slash))).second || slash == 0) break;
    }
  }
  bool marked(std::string_view rel) const {
    return layer_paths_.count(std::hash<std::string_view>()(rel)) != 0;
  }

  /// The directory `dir` of the destination, walked without following links.
  absl::StatusOr<std::optional<UniqueFd>> open_dir(std::string_view dir, std::string_view raw) {
    Walk w = walk_directories(dest_fd_.get(), dir);
    if (w.error == 0) return std::optional<UniqueFd>(std::move(w.fd));
    if (w.error == ENOENT) return std::optional<UniqueFd>();
    if (w.error == ELOOP || w.error == ENOTDIR) {
      return entry_error(
          raw, absl::StrCat("its path leads through ", quote(w.at),
                            w.error == ELOOP ? ", a symbolic link" : ", which is not a directory"));
    }
    return absl::InternalError(
        absl::StrCat("entry ", quote(raw), ": open ", quote(w.at), ": ", errno_text(w.error)));
  }

  absl::Status whiteout(std::string_view dir, std::string_view name, std::string_view raw) {
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string_view::npos) {
      return entry_error(raw, "a whiteout of no file");
    }
    // A whiteout hides what lower layers have; what this layer put there stays.
    if (marked(join(dir, name))) return absl::OkStatus();
    auto parent = open_dir(dir, raw);
    if (!parent.ok()) return parent.status();
    if (!parent->has_value()) return absl::OkStatus();
    if (auto s = flush(); !s.ok()) return s;
    if (auto s = remove_at((*parent)->get(), std::string(name)); !s.ok()) {
      return prefixed(absl::StrCat("whiteout ", quote(raw)), s);
    }
    return absl::OkStatus();
  }

  /// Empties `dir` of what lower layers put there (keeping what this layer did).
  absl::Status opaque(std::string_view dir, std::string_view raw) {
    auto d = open_dir(dir, raw);
    if (!d.ok()) return d.status();
    if (!d->has_value()) return absl::OkStatus();
    if (auto s = flush(); !s.ok()) return s;
    if (auto s = clear_lower((*d)->get(), std::string(dir), 0); !s.ok()) {
      return prefixed(absl::StrCat("opaque whiteout ", quote(raw)), s);
    }
    return absl::OkStatus();
  }

  absl::Status clear_lower(int dir_fd, std::string const& dir, int depth) {
    if (depth >= kMaxRemoveDepth) {
      return absl::InvalidArgumentError(
          absl::StrCat("directories nested deeper than ", kMaxRemoveDepth, " levels"));
    }
    auto names = list_directory(dir_fd);
    if (!names.ok()) return names.status();
    for (auto const& n : *names) {
      std::string const path = join(dir, n);
      if (!marked(path)) {
        if (auto s = remove_at(dir_fd, n); !s.ok()) return s;
        continue;
      }
      struct stat st {};
      if (::fstatat(dir_fd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode)) {
        continue;
      }
      UniqueFd child(::openat(dir_fd, n.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!child) continue;
      if (auto s = clear_lower(child.get(), path, depth + 1); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::Status apply_entry(struct archive* reader, struct archive_entry* e, std::string const& rel,
                           std::string const& raw) {
    std::string_view const base = basename_of(rel);
    if (base.substr(0, kWhiteoutPrefix.size()) == kWhiteoutPrefix) {
      if (base == kOpaqueWhiteout) return opaque(dirname_of(rel), raw);
      if (base.substr(0, kWhiteoutMetaPrefix.size()) == kWhiteoutMetaPrefix) {
        ++stats_.skipped;  // aufs' own files (.wh..wh.plnk, ...)
        return absl::OkStatus();
      }
      return whiteout(dirname_of(rel), base.substr(kWhiteoutPrefix.size()), raw);
    }
    mark(rel);

    char const* link = entry_hardlink(e);
    std::optional<std::string> const hardlink =
        link != nullptr ? std::optional<std::string>(link) : std::nullopt;
    auto const type = archive_entry_filetype(e);
    bool const is_dir = !hardlink && type == AE_IFDIR;
    if (rel.empty() && !is_dir) return entry_error(raw, "the root is not a directory");

    std::string const full = rel.empty() ? dest_ : absl::StrCat(dest_, "/", rel);
    if (full.size() > kMaxFullPath) return entry_error(raw, "path too long");
    if (!rel.empty()) {
      auto parent = open_dir(dirname_of(rel), raw);
      if (!parent.ok()) return parent.status();
      // A directory where a non-directory goes is replaced, with all below it
      // (libarchive would only rmdir an empty one).
      struct stat st {};
      if (parent->has_value() && !is_dir &&
          ::fstatat((*parent)->get(), std::string(base).c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
          S_ISDIR(st.st_mode)) {
        if (auto s = flush(); !s.ok()) return s;
        if (auto s = remove_at((*parent)->get(), std::string(base)); !s.ok()) {
          return prefixed(absl::StrCat("entry ", quote(raw)), s);
        }
      }
    }
    if (hardlink) {
      auto target = normalize_relative_path(*hardlink);
      if (!target.ok()) {
        return entry_error(
            raw, absl::StrCat("hard link to ", quote(*hardlink), ": ", target.status().message()));
      }
      if (target->empty()) return entry_error(raw, "hard link to the root");
      Walk w = walk_directories(dest_fd_.get(), dirname_of(*target));
      if (w.error == ELOOP || w.error == ENOTDIR) {
        return entry_error(
            raw,
            absl::StrCat("hard link to ", quote(*hardlink), " leads through ", quote(w.at),
                         w.error == ELOOP ? ", a symbolic link" : ", which is not a directory"));
      }
      struct stat st {};
      if (w.error != 0 ||
          ::fstatat(w.fd.get(), std::string(basename_of(*target)).c_str(), &st,
                    AT_SYMLINK_NOFOLLOW) != 0 ||
          S_ISDIR(st.st_mode)) {
        return entry_error(raw, absl::StrCat("hard link to ", quote(*hardlink),
                                             ", which is not a file of the image"));
      }
      std::string const full_target = absl::StrCat(dest_, "/", *target);
      if (full_target.size() > kMaxFullPath) return entry_error(raw, "link target too long");
      archive_entry_set_hardlink(e, full_target.c_str());
    } else if (type == AE_IFLNK && archive_entry_symlink(e) == nullptr) {
      char const* target = entry_symlink(e);  // not convertible to the locale's charset
      std::string const copy = target != nullptr ? target : "";
      archive_entry_set_symlink(e, copy.c_str());
    }
    archive_entry_set_pathname(e, full.c_str());
    filter_xattrs(e);

    int r = archive_write_header(writer_.get(), e);
    dirty_ = true;
    if (r == ARCHIVE_FATAL) return write_error(raw);
    if (r < ARCHIVE_WARN) {
      if (!hardlink && (type == AE_IFCHR || type == AE_IFBLK)) {
        ++stats_.skipped;  // no permission to mknod (an unprivileged container)
        return absl::OkStatus();
      }
      return write_error(raw);
    }
    if (archive_entry_size(e) > 0) {
      for (;;) {
        void const* block = nullptr;
        std::size_t size = 0;
        la_int64_t offset = 0;
        r = archive_read_data_block(reader, &block, &size, &offset);
        if (r == ARCHIVE_EOF) break;
        if (r < ARCHIVE_WARN) {
          return absl::InvalidArgumentError(
              absl::StrCat("entry ", quote(raw), ": ", archive_error(reader)));
        }
        if (archive_write_data_block(writer_.get(), block, size, offset) < ARCHIVE_WARN) {
          return write_error(raw);
        }
        stats_.bytes += size;
      }
    }
    if (archive_write_finish_entry(writer_.get()) < ARCHIVE_WARN) return write_error(raw);
    if (is_dir) {
      ++stats_.directories;
    } else {
      ++stats_.files;
    }
    return absl::OkStatus();
  }

  absl::Status write_error(std::string const& raw) {
    int const err = archive_errno(writer_.get());
    std::string const message =
        absl::StrCat("entry ", quote(raw), ": ", archive_error(writer_.get()));
    if (is_disk_full(err)) return absl::InternalError(message);
    return absl::InvalidArgumentError(message);
  }

  std::string dest_;
  UniqueFd dest_fd_;
  UnpackStats& stats_;
  WriteArchive writer_;
  bool dirty_ = false;
  /// Hashes of the paths this layer created and their parents (whiteouts spare them).
  std::unordered_set<std::size_t> layer_paths_;
};

/// A layer to apply: its file in the source and its media type ("" unknown).
struct LayerRef {
  std::string name;
  std::string media_type;
};

/// What to unpack: the config file and the layers, lowest first.
struct Plan {
  std::string config;
  std::vector<LayerRef> layers;
};

/// The order in which index entries are preferred (pick_manifest() comes first).
std::vector<std::size_t> preference_order(std::vector<OciDescriptor> const& manifests) {
  auto rank = [](OciDescriptor const& d) {
    if (d.os == "linux" && d.architecture == "amd64") return 0;
    if (d.os.empty() && d.architecture.empty()) return 1;
    if (d.os == "unknown" || d.architecture == "unknown") return 3;
    return 2;
  };
  std::vector<std::size_t> order;
  for (int r = 0; r <= 3; ++r) {
    for (std::size_t i = 0; i < manifests.size(); ++i) {
      if (rank(manifests[i]) == r) order.push_back(i);
    }
  }
  return order;
}

absl::StatusOr<Plan> oci_plan(ImageSource& source) {
  if (source.exists("oci-layout")) {
    auto text = source.read_small("oci-layout");
    if (!text.ok()) return text.status();
    auto json = parse_json(*text);
    if (!json.ok()) return prefixed("oci-layout", json.status());
    if (!json->is_object() || !json->contains("imageLayoutVersion") ||
        !(*json)["imageLayoutVersion"].is_string()) {
      return invalid("oci-layout", "no imageLayoutVersion string");
    }
  }
  std::string file = "index.json";
  auto text = source.read_small(file);
  if (!text.ok()) return text.status();
  for (int depth = 0;; ++depth) {
    auto json = parse_json(*text);
    if (!json.ok()) return prefixed(file, json.status());
    bool const is_index = json->is_object() && json->contains("manifests");
    if (is_index) {
      if (depth > kMaxIndexDepth) {
        return invalid(file, absl::StrCat("image indexes nested deeper than ", kMaxIndexDepth));
      }
      auto manifests = index_from_json(*json);
      if (!manifests.ok()) return prefixed(file, manifests.status());
      // The preferred manifest among those present (an archive of one platform of a
      // multi-platform image has the others' blobs missing).
      std::optional<std::size_t> chosen;
      for (std::size_t const i : preference_order(*manifests)) {
        auto const& d = (*manifests)[i];
        if (!d.media_type.empty() && !is_index_type(d.media_type) &&
            !is_manifest_type(d.media_type)) {
          continue;
        }
        if (source.exists(*blob_path(d.digest))) {
          chosen = i;
          break;
        }
      }
      if (!chosen) {
        auto const& d = (*manifests)[pick_manifest(*manifests)];
        if (!d.media_type.empty() && !is_index_type(d.media_type) &&
            !is_manifest_type(d.media_type)) {
          return invalid(file,
                         absl::StrCat("unsupported manifest media type ", quote(d.media_type)));
        }
        return invalid(file, absl::StrCat("missing blob ", *blob_path(d.digest), " (manifest ",
                                          d.digest, ")"));
      }
      file = *blob_path((*manifests)[*chosen].digest);
      text = source.read_small(file);
      if (!text.ok()) return text.status();
      continue;
    }
    auto manifest = manifest_from_json(*json);
    if (!manifest.ok()) return prefixed(file, manifest.status());
    Plan plan;
    plan.config = *blob_path(manifest->config.digest);
    for (auto const& layer : manifest->layers) {
      plan.layers.push_back({*blob_path(layer.digest), layer.media_type});
    }
    return plan;
  }
}

absl::StatusOr<Plan> docker_plan(ImageSource& source) {
  auto text = source.read_small("manifest.json");
  if (!text.ok()) return text.status();
  auto manifest = parse_docker_manifest(*text);
  if (!manifest.ok()) return prefixed("manifest.json", manifest.status());
  Plan plan;
  plan.config = manifest->config;
  for (auto const& layer : manifest->layers) plan.layers.push_back({layer, ""});
  return plan;
}

/// Checks `dest` (an existing empty directory) and returns its real path and an fd.
absl::StatusOr<std::pair<std::string, UniqueFd>> open_dest(std::string const& dest) {
  std::unique_ptr<char, decltype(&std::free)> real(::realpath(dest.c_str(), nullptr), &std::free);
  if (!real) return invalid(dest, absl::StrCat("destination: ", errno_text(errno)));
  UniqueFd fd(::open(real.get(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return invalid(dest, absl::StrCat("destination: ", errno_text(errno)));
  auto names = list_directory(fd.get());
  if (!names.ok()) return invalid(dest, absl::StrCat("destination: ", names.status().message()));
  if (!names->empty()) return invalid(dest, "destination is not an empty directory");
  return std::make_pair(std::string(real.get()), std::move(fd));
}

}  // namespace

absl::StatusOr<std::string> normalize_relative_path(std::string_view path) {
  if (path.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError("a path with a NUL byte");
  }
  if (!path.empty() && path.front() == '/') {
    return absl::InvalidArgumentError("an absolute path");
  }
  std::string out;
  std::string_view rest = path;
  while (!rest.empty()) {
    auto const slash = rest.find('/');
    std::string_view const part = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (part.empty() || part == ".") continue;
    if (part == "..") return absl::InvalidArgumentError("a path with a \"..\" component");
    if (!out.empty()) out.push_back('/');
    out.append(part);
  }
  return out;
}

absl::StatusOr<std::string> blob_path(std::string_view digest) {
  auto const colon = digest.find(':');
  if (colon == std::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(quote(digest), " is not a digest"));
  }
  std::string_view const algorithm = digest.substr(0, colon);
  std::string_view const hex = digest.substr(colon + 1);
  std::size_t length = 0;
  if (algorithm == "sha256") {
    length = 64;
  } else if (algorithm == "sha512") {
    length = 128;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported digest algorithm ", quote(algorithm)));
  }
  bool const hex_ok = hex.size() == length && std::all_of(hex.begin(), hex.end(), [](char c) {
                        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                      });
  if (!hex_ok) {
    return absl::InvalidArgumentError(absl::StrCat(quote(digest), " is not a ", av(algorithm),
                                                   " digest (", length, " lowercase hex digits)"));
  }
  return absl::StrCat("blobs/", av(algorithm), "/", av(hex));
}

absl::StatusOr<UnpackedImageConfig> parse_image_config(std::string_view json) {
  auto parsed = parse_json(json);
  if (!parsed.ok()) return parsed.status();
  if (!parsed->is_object()) return absl::InvalidArgumentError("not a JSON object");
  auto os = optional_string(*parsed, "os", "");
  if (!os.ok()) return os.status();
  if (!os->empty() && *os != "linux") {
    return absl::InvalidArgumentError(absl::StrCat("an image for ", quote(*os), ", not linux"));
  }
  UnpackedImageConfig out;
  auto const config = parsed->find("config");
  if (config == parsed->end() || config->is_null()) return out;
  if (!config->is_object()) return absl::InvalidArgumentError("config is not an object");
  auto env = optional_strings(*config, "Env", "config.");
  auto workdir = optional_string(*config, "WorkingDir", "config.");
  auto user = optional_string(*config, "User", "config.");
  auto entrypoint = optional_strings(*config, "Entrypoint", "config.");
  auto cmd = optional_strings(*config, "Cmd", "config.");
  for (absl::Status const& s :
       {env.status(), workdir.status(), user.status(), entrypoint.status(), cmd.status()}) {
    if (!s.ok()) return s;
  }
  out.env = *std::move(env);
  out.workdir = *std::move(workdir);
  out.user = *std::move(user);
  out.entrypoint = *std::move(entrypoint);
  out.cmd = *std::move(cmd);
  return out;
}

absl::StatusOr<DockerSaveManifest> parse_docker_manifest(std::string_view json) {
  auto parsed = parse_json(json);
  if (!parsed.ok()) return parsed.status();
  if (!parsed->is_array() || parsed->empty()) {
    return absl::InvalidArgumentError("not a non-empty JSON array");
  }
  Json const& first = (*parsed)[0];
  if (!first.is_object()) return absl::InvalidArgumentError("[0] is not an object");
  DockerSaveManifest out;
  auto const config = first.find("Config");
  if (config == first.end() || !config->is_string()) {
    return absl::InvalidArgumentError("[0].Config is missing or not a string");
  }
  auto config_path = normalize_relative_path(config->get_ref<std::string const&>());
  if (!config_path.ok() || config_path->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("[0].Config ", quote(config->get_ref<std::string const&>()), ": ",
                     config_path.ok() ? "empty" : config_path.status().message()));
  }
  out.config = *std::move(config_path);
  auto const layers = first.find("Layers");
  if (layers == first.end() || !layers->is_array()) {
    return absl::InvalidArgumentError("[0].Layers is missing or not an array");
  }
  if (layers->size() > kMaxLayers) {
    return absl::InvalidArgumentError(absl::StrCat("more than ", kMaxLayers, " layers"));
  }
  for (std::size_t i = 0; i < layers->size(); ++i) {
    Json const& layer = (*layers)[i];
    if (!layer.is_string()) {
      return absl::InvalidArgumentError(absl::StrCat("[0].Layers[", i, "] is not a string"));
    }
    auto path = normalize_relative_path(layer.get_ref<std::string const&>());
    if (!path.ok() || path->empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("[0].Layers[", i, "] ", quote(layer.get_ref<std::string const&>()), ": ",
                       path.ok() ? "empty" : path.status().message()));
    }
    out.layers.push_back(*std::move(path));
  }
  return out;
}

absl::StatusOr<std::vector<OciDescriptor>> parse_oci_index(std::string_view json) {
  auto parsed = parse_json(json);
  if (!parsed.ok()) return parsed.status();
  return index_from_json(*parsed);
}

absl::StatusOr<OciManifest> parse_oci_manifest(std::string_view json) {
  auto parsed = parse_json(json);
  if (!parsed.ok()) return parsed.status();
  return manifest_from_json(*parsed);
}

std::size_t pick_manifest(std::vector<OciDescriptor> const& manifests) {
  auto const order = preference_order(manifests);
  return order.empty() ? 0 : order.front();
}

absl::StatusOr<UnpackedImageConfig> unpack_image(std::string const& path, std::string const& dest,
                                                 UnpackStats* stats) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) {
      return absl::NotFoundError(absl::StrCat(path, ": no such image file or directory"));
    }
    return invalid(path, errno_text(errno));
  }
  std::unique_ptr<ImageSource> source;
  if (S_ISDIR(st.st_mode)) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return invalid(path, errno_text(errno));
    source = std::make_unique<DirectorySource>(std::move(fd));
  } else if (S_ISREG(st.st_mode)) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (!fd) return invalid(path, errno_text(errno));
    struct stat fst {};
    if (::fstat(fd.get(), &fst) != 0 || !S_ISREG(fst.st_mode)) {
      return invalid(path, "not a regular file");
    }
    ::fcntl(fd.get(), F_SETFL, O_RDONLY);
    auto tar = std::make_unique<TarSource>(std::move(fd));
    if (auto s = tar->init(); !s.ok()) return prefixed(path, s);
    source = std::move(tar);
  } else {
    return invalid(path, "not an image: neither a directory nor a regular file");
  }

  absl::StatusOr<Plan> plan = absl::InvalidArgumentError(
      "not an image: no index.json (OCI image layout) nor manifest.json (docker save)");
  if (source->exists("index.json")) {
    plan = oci_plan(*source);
  } else if (source->exists("manifest.json")) {
    plan = docker_plan(*source);
  }
  if (!plan.ok()) return prefixed(path, plan.status());
  // Everything present before anything is written.
  if (!source->exists(plan->config)) {
    return invalid(path, absl::StrCat("missing blob ", plan->config, " (the image config)"));
  }
  for (std::size_t i = 0; i < plan->layers.size(); ++i) {
    if (!source->exists(plan->layers[i].name)) {
      return invalid(path, absl::StrCat("missing blob ", plan->layers[i].name, " (layer ", i + 1,
                                        " of ", plan->layers.size(), ")"));
    }
  }
  auto config_text = source->read_small(plan->config);
  if (!config_text.ok()) return prefixed(path, config_text.status());
  auto config = parse_image_config(*config_text);
  if (!config.ok()) return prefixed(absl::StrCat(path, ": ", plan->config), config.status());

  auto dest_dir = open_dest(dest);
  if (!dest_dir.ok()) return dest_dir.status();
  UnpackStats local_stats;
  UnpackStats& out_stats = stats != nullptr ? *stats : local_stats;
  out_stats = UnpackStats{};
  LayerWriter writer(dest_dir->first, std::move(dest_dir->second), out_stats);
  for (std::size_t i = 0; i < plan->layers.size(); ++i) {
    LayerRef const& layer = plan->layers[i];
    std::string const where =
        absl::StrCat(path, ": layer ", i + 1, " of ", plan->layers.size(), " (", layer.name, ")");
    absl::Status s = source->with_layer(
        layer.name, [&](struct archive* reader) { return writer.apply(reader); });
    if (!s.ok()) {
      (void)writer.finish();
      return prefixed(where, s);
    }
    ++out_stats.layers;
  }
  if (auto s = writer.finish(); !s.ok()) return prefixed(path, s);
  return config;
}

}  // namespace modal::emulator::runtime
