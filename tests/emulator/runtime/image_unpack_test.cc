// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// unpack_image and its parsers (runtime/image_unpack.h): images built here, at test time,
// with libarchive's writer around Debian's static /bin/busybox (package busybox-static);
// hostile archives must leave nothing outside the destination.
#include "runtime/image_unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace modal::emulator::runtime {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr char kBusybox[] = "/bin/busybox";
constexpr char kGzipLayer[] = "application/vnd.oci.image.layer.v1.tar+gzip";
constexpr char kOciManifestType[] = "application/vnd.oci.image.manifest.v1+json";
constexpr char kOciIndexType[] = "application/vnd.oci.image.index.v1+json";

// --- building archives ----------------------------------------------------------------

/// One entry of a tar archive built by make_tar().
struct TarEntry {
  enum class Type { kFile, kDirectory, kSymlink, kHardlink, kCharDevice, kFifo };
  Type type = Type::kFile;
  std::string path{};
  /// Content (kFile) or link target (kSymlink, kHardlink).
  std::string data{};
  mode_t mode = 0644;
  int64_t uid = 0;
  int64_t gid = 0;
  time_t mtime = 1700000000;
  dev_t rdev = 0;
  std::vector<std::pair<std::string, std::string>> xattrs{};
};

TarEntry file(std::string path, std::string data, mode_t mode = 0644) {
  return {TarEntry::Type::kFile, std::move(path), std::move(data), mode};
}
TarEntry directory(std::string path, mode_t mode = 0755) {
  return {TarEntry::Type::kDirectory, std::move(path), "", mode};
}
TarEntry symlink(std::string path, std::string target) {
  return {TarEntry::Type::kSymlink, std::move(path), std::move(target), 0777};
}
TarEntry hardlink(std::string path, std::string target) {
  return {TarEntry::Type::kHardlink, std::move(path), std::move(target), 0644};
}

enum class Compression { kNone, kGzip, kZstd };

struct WriteArchiveDeleter {
  void operator()(struct archive* a) const { archive_write_free(a); }
};
struct EntryDeleter {
  void operator()(struct archive_entry* e) const { archive_entry_free(e); }
};

la_ssize_t append_to_string(struct archive* /*a*/, void* out, void const* data, size_t size) {
  static_cast<std::string*>(out)->append(static_cast<char const*>(data), size);
  return static_cast<la_ssize_t>(size);
}

/// A pax tar archive of `entries` (paths written exactly as given, hostile ones too).
std::string make_tar(std::vector<TarEntry> const& entries,
                     Compression compression = Compression::kNone) {
  std::string out;
  std::unique_ptr<struct archive, WriteArchiveDeleter> a(archive_write_new());
  EXPECT_EQ(archive_write_set_format_pax_restricted(a.get()), ARCHIVE_OK);
  // No zero padding after a compressed stream (a zstd reader takes it for a bad frame).
  EXPECT_EQ(archive_write_set_bytes_in_last_block(a.get(), 1), ARCHIVE_OK);
  if (compression == Compression::kGzip) {
    EXPECT_EQ(archive_write_add_filter_gzip(a.get()), ARCHIVE_OK);
  } else if (compression == Compression::kZstd) {
    EXPECT_EQ(archive_write_add_filter_zstd(a.get()), ARCHIVE_OK);
  }
  EXPECT_EQ(archive_write_open(a.get(), &out, nullptr, &append_to_string, nullptr), ARCHIVE_OK);
  for (TarEntry const& t : entries) {
    std::unique_ptr<struct archive_entry, EntryDeleter> e(archive_entry_new());
    archive_entry_set_pathname(e.get(), t.path.c_str());
    archive_entry_set_perm(e.get(), t.mode);
    archive_entry_set_uid(e.get(), t.uid);
    archive_entry_set_gid(e.get(), t.gid);
    archive_entry_set_mtime(e.get(), t.mtime, 0);
    archive_entry_set_size(e.get(), 0);
    switch (t.type) {
      case TarEntry::Type::kFile:
        archive_entry_set_filetype(e.get(), AE_IFREG);
        archive_entry_set_size(e.get(), static_cast<la_int64_t>(t.data.size()));
        break;
      case TarEntry::Type::kDirectory:
        archive_entry_set_filetype(e.get(), AE_IFDIR);
        break;
      case TarEntry::Type::kSymlink:
        archive_entry_set_filetype(e.get(), AE_IFLNK);
        archive_entry_set_symlink(e.get(), t.data.c_str());
        break;
      case TarEntry::Type::kHardlink:
        archive_entry_set_filetype(e.get(), AE_IFREG);
        archive_entry_set_hardlink(e.get(), t.data.c_str());
        break;
      case TarEntry::Type::kCharDevice:
        archive_entry_set_filetype(e.get(), AE_IFCHR);
        archive_entry_set_rdev(e.get(), t.rdev);
        break;
      case TarEntry::Type::kFifo:
        archive_entry_set_filetype(e.get(), AE_IFIFO);
        break;
    }
    for (auto const& [name, value] : t.xattrs) {
      archive_entry_xattr_add_entry(e.get(), name.c_str(), value.data(), value.size());
    }
    EXPECT_EQ(archive_write_header(a.get(), e.get()), ARCHIVE_OK) << t.path;
    if (t.type == TarEntry::Type::kFile && !t.data.empty()) {
      EXPECT_EQ(archive_write_data(a.get(), t.data.data(), t.data.size()),
                static_cast<la_ssize_t>(t.data.size()));
    }
  }
  EXPECT_EQ(archive_write_close(a.get()), ARCHIVE_OK);
  return out;
}

std::string sha256_hex(std::string const& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EXPECT_EQ(EVP_Digest(data.data(), data.size(), md, &length, EVP_sha256(), nullptr), 1);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 0xf]);
  }
  return out;
}

std::string read_file(fs::path const& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}
void write_file(fs::path const& p, std::string const& data) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << data;
}

/// An image config JSON with the given "config" object.
std::string config_json(std::string const& config) {
  return R"({"architecture":"amd64","os":"linux","config":)" + config +
         R"(,"rootfs":{"type":"layers","diff_ids":[]},"history":[{"created_by":"test"}]})";
}
std::string const kConfig = config_json(
    R"({"Env":["PATH=/bin","GREETING=hello world"],"WorkingDir":"/work","User":"1000:1000",)"
    R"("Entrypoint":null,"Cmd":["/bin/sh","-c","echo hi"]})");

/// A blob of an OCI layout: written to <layout>/blobs/sha256/<hex>; returns its digest.
std::string add_blob(fs::path const& layout, std::string const& data) {
  std::string const hex = sha256_hex(data);
  write_file(layout / "blobs" / "sha256" / hex, data);
  return "sha256:" + hex;
}

std::string descriptor(std::string const& media_type, std::string const& digest, size_t size,
                       std::string const& extra = "") {
  return R"({"mediaType":")" + media_type + R"(","digest":")" + digest + R"(","size":)" +
         std::to_string(size) + extra + "}";
}

struct Blob {
  std::string data;
  std::string media_type = kGzipLayer;
};

/// Adds a config, the layers and a manifest to the layout; returns the manifest's
/// descriptor (for an index).
std::string add_image(fs::path const& layout, std::string const& config,
                      std::vector<Blob> const& layers, std::string const& platform = "") {
  std::string const config_digest = add_blob(layout, config);
  std::string manifest =
      R"({"schemaVersion":2,"mediaType":")" + std::string(kOciManifestType) + R"(","config":)" +
      descriptor("application/vnd.oci.image.config.v1+json", config_digest, config.size()) +
      R"(,"layers":[)";
  for (size_t i = 0; i < layers.size(); ++i) {
    if (i > 0) manifest += ",";
    manifest +=
        descriptor(layers[i].media_type, add_blob(layout, layers[i].data), layers[i].data.size());
  }
  manifest += "]}";
  std::string extra;
  if (!platform.empty()) extra = R"(,"platform":)" + platform;
  return descriptor(kOciManifestType, add_blob(layout, manifest), manifest.size(), extra);
}

std::string index_json(std::vector<std::string> const& manifests) {
  std::string out =
      R"({"schemaVersion":2,"mediaType":")" + std::string(kOciIndexType) + R"(","manifests":[)";
  for (size_t i = 0; i < manifests.size(); ++i) out += (i > 0 ? "," : "") + manifests[i];
  return out + "]}";
}

void write_layout_files(fs::path const& layout, std::string const& index) {
  write_file(layout / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  write_file(layout / "index.json", index);
}

/// A tar archive of the directory `dir`, entries named "./..." as `tar -C dir .` does.
std::string tar_of_directory(fs::path const& dir, Compression compression) {
  std::vector<TarEntry> entries = {directory("./")};
  std::vector<fs::path> paths;
  for (auto const& e : fs::recursive_directory_iterator(dir)) paths.push_back(e.path());
  std::sort(paths.begin(), paths.end());
  for (auto const& p : paths) {
    std::string const rel = "./" + fs::relative(p, dir).string();
    if (fs::is_directory(p)) {
      entries.push_back(directory(rel + "/"));
    } else {
      entries.push_back(file(rel, read_file(p)));
    }
  }
  return make_tar(entries, compression);
}

/// A classic `docker save` archive: manifest.json, <hex>.json, <id>/layer.tar; the last
/// layer's layer.tar is a symbolic link to shared/layer.tar, as Docker writes for layers
/// that two saved images share.
std::string docker_save_tar(std::string const& config, std::vector<std::string> const& layers) {
  std::string const config_name = sha256_hex(config) + ".json";
  std::vector<TarEntry> entries;
  std::string layer_list;
  for (size_t i = 0; i < layers.size(); ++i) {
    std::string const id = sha256_hex("layer id " + std::to_string(i));
    entries.push_back(directory(id + "/"));
    entries.push_back(file(id + "/VERSION", "1.0"));
    if (i + 1 == layers.size() && layers.size() > 1) {
      entries.push_back(directory("shared/"));
      entries.push_back(file("shared/layer.tar", layers[i]));
      entries.push_back(symlink(id + "/layer.tar", "../shared/layer.tar"));
    } else {
      entries.push_back(file(id + "/layer.tar", layers[i]));
    }
    layer_list += (i > 0 ? "," : "") + ("\"" + id + "/layer.tar\"");
  }
  entries.push_back(file(config_name, config));
  entries.push_back(file("manifest.json", R"([{"Config":")" + config_name +
                                              R"(","RepoTags":["busybox:test"],"Layers":[)" +
                                              layer_list + "]}]"));
  entries.push_back(file("repositories", R"({"busybox":{"test":"x"}})"));
  return make_tar(entries);
}

// --- the test image -------------------------------------------------------------------

std::string busybox() {
  std::string data = read_file(kBusybox);
  EXPECT_GT(data.size(), 100000u) << kBusybox << " (package busybox-static)";
  return data;
}

/// The lower layer: busybox, its links, files for the upper layer to delete or replace,
/// modes, owners, times, a device node, a FIFO, and extended attributes to filter.
std::string lower_layer(Compression compression = Compression::kNone) {
  TarEntry owned = file("home/user/owned", "mine\n", 0600);
  owned.uid = 1000;
  owned.gid = 1000;
  owned.mtime = 1234567890;
  TarEntry null_device{TarEntry::Type::kCharDevice, "dev/null2", "", 0666};
  null_device.rdev = makedev(1, 3);
  TarEntry fifo{TarEntry::Type::kFifo, "run/fifo", "", 0640};
  TarEntry attributed = file("etc/attributed", "x");
  attributed.xattrs = {{"user.test", "value"}, {"trusted.overlay.redirect", "/etc"}};
  TarEntry opaque_marked = directory("marked/");
  opaque_marked.xattrs = {{"trusted.overlay.opaque", "y"}};
  return make_tar({directory("bin/"),
                   file("bin/busybox", busybox(), 0755),
                   symlink("bin/sh", "busybox"),
                   hardlink("bin/ls", "bin/busybox"),
                   file("bin/suid", "#!/bin/sh\n", 04755),
                   directory("etc/"),
                   file("etc/hostname", "base\n"),
                   file("etc/remove-me", "gone\n"),
                   attributed,
                   opaque_marked,
                   directory("tmp/", 01777),
                   directory("var/"),
                   directory("var/cache/"),
                   file("var/cache/a", "a"),
                   directory("var/cache/sub/"),
                   file("var/cache/sub/b", "b"),
                   directory("replace-me/"),
                   file("replace-me/child", "c"),
                   file("grow", "a file first"),
                   directory("home/"),
                   directory("home/user/", 0700),
                   owned,
                   directory("dev/"),
                   null_device,
                   directory("run/"),
                   fifo},
                  compression);
}

/// The upper layer: a whiteout, an opaque directory (this layer's var/cache/new comes
/// before the marker and stays), replacements of a directory by a file and back.
std::string upper_layer(Compression compression = Compression::kNone) {
  return make_tar(
      {file("var/cache/new", "new"), file("var/cache/.wh..wh..opq", ""),
       file("etc/.wh.remove-me", ""), file("etc/hostname", "layer2\n"), directory("work/"),
       file("replace-me", "now a file"), directory("grow/"), file("grow/inner", "inner")},
      compression);
}

class ImageUnpackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "image-unpack-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    dest_ = root_ / "rootfs";
    sentinel_ = root_ / "sentinel";
    fs::create_directories(dest_);
    fs::create_directories(sentinel_ / "etc");
    write_file(sentinel_ / "keep", "keep");
    ::chmod((sentinel_ / "etc").c_str(), 0755);
    struct timespec const times[2] = {{1000000000, 0}, {1000000000, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, (sentinel_ / "etc").c_str(), times, 0), 0);
    ::stat("/etc/passwd", &passwd_before_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  /// The sentinel directory next to dest is exactly as SetUp made it, and /etc/passwd
  /// gained no link.
  void expect_sentinel_untouched() {
    std::vector<std::string> names;
    for (auto const& e : fs::recursive_directory_iterator(sentinel_)) {
      names.push_back(fs::relative(e.path(), sentinel_).string());
    }
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"etc", "keep"}));
    EXPECT_EQ(read_file(sentinel_ / "keep"), "keep");
    struct stat st {};
    ASSERT_EQ(::stat((sentinel_ / "keep").c_str(), &st), 0);
    EXPECT_EQ(st.st_nlink, 1u);
    ASSERT_EQ(::lstat((sentinel_ / "etc").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0755u);
    EXPECT_EQ(st.st_mtim.tv_sec, 1000000000);
    ASSERT_EQ(::stat("/etc/passwd", &st), 0);
    EXPECT_EQ(st.st_nlink, passwd_before_.st_nlink);
    EXPECT_EQ(st.st_mode, passwd_before_.st_mode);
  }

  /// unpack_image of a docker-save archive of `layers` (plain tars, lowest first).
  absl::StatusOr<UnpackedImageConfig> unpack_layers(std::vector<std::string> const& layers,
                                                    UnpackStats* stats = nullptr) {
    fs::path const archive = root_ / "hostile.tar";
    write_file(archive, docker_save_tar(kConfig, layers));
    return unpack_image(archive.string(), dest_.string(), stats);
  }

  /// The result of lower_layer() + upper_layer() in dest_.
  void expect_flattened(UnpackStats const& stats) {
    std::string const bb = busybox();
    EXPECT_EQ(read_file(dest_ / "bin/busybox"), bb);
    struct stat st {};
    ASSERT_EQ(::lstat((dest_ / "bin/busybox").c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 0755u);
    ino_t const busybox_ino = st.st_ino;
    EXPECT_TRUE(fs::is_symlink(dest_ / "bin/sh"));
    EXPECT_EQ(fs::read_symlink(dest_ / "bin/sh"), "busybox");
    ASSERT_EQ(::lstat((dest_ / "bin/ls").c_str(), &st), 0);
    EXPECT_EQ(st.st_ino, busybox_ino);  // a hard link, within the image
    ASSERT_EQ(::lstat((dest_ / "bin/suid").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 04755u);
    ASSERT_EQ(::lstat((dest_ / "tmp").c_str(), &st), 0);
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 01777u);
    ASSERT_EQ(::lstat((dest_ / "home/user/owned").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u);
    EXPECT_EQ(st.st_mtim.tv_sec, 1234567890);
    if (::geteuid() == 0) {
      EXPECT_EQ(st.st_uid, 1000u);
      EXPECT_EQ(st.st_gid, 1000u);
    }
    ASSERT_EQ(::lstat((dest_ / "run/fifo").c_str(), &st), 0);
    EXPECT_TRUE(S_ISFIFO(st.st_mode));
    // A device node is created when mknod is allowed, else skipped (and counted).
    if (::lstat((dest_ / "dev/null2").c_str(), &st) == 0) {
      EXPECT_TRUE(S_ISCHR(st.st_mode));
      EXPECT_EQ(st.st_rdev, makedev(1, 3));
      EXPECT_EQ(stats.skipped, 0u);
    } else {
      EXPECT_EQ(stats.skipped, 1u);
    }

    // Whiteouts: applied, never extracted.
    EXPECT_FALSE(fs::exists(dest_ / "etc/remove-me"));
    EXPECT_FALSE(fs::exists(dest_ / "etc/.wh.remove-me"));
    EXPECT_EQ(read_file(dest_ / "etc/hostname"), "layer2\n");
    EXPECT_TRUE(fs::is_directory(dest_ / "var/cache"));
    EXPECT_FALSE(fs::exists(dest_ / "var/cache/a"));
    EXPECT_FALSE(fs::exists(dest_ / "var/cache/sub"));
    EXPECT_FALSE(fs::exists(dest_ / "var/cache/.wh..wh..opq"));
    EXPECT_EQ(read_file(dest_ / "var/cache/new"), "new");  // same layer as the marker
    EXPECT_TRUE(fs::is_directory(dest_ / "work"));
    // Type changes between layers.
    EXPECT_TRUE(fs::is_regular_file(dest_ / "replace-me"));
    EXPECT_EQ(read_file(dest_ / "replace-me"), "now a file");
    EXPECT_EQ(read_file(dest_ / "grow/inner"), "inner");

    // Extended attributes: user.* kept (where the file system has them), trusted.* never.
    char value[64] = {};
    ssize_t const n =
        ::lgetxattr((dest_ / "etc/attributed").c_str(), "user.test", value, sizeof value);
    if (n >= 0) {
      EXPECT_EQ(std::string(value, static_cast<size_t>(n)), "value");
    } else {
      EXPECT_EQ(errno, ENOTSUP);
    }
    EXPECT_LT(::lgetxattr((dest_ / "etc/attributed").c_str(), "trusted.overlay.redirect", value,
                          sizeof value),
              0);
    EXPECT_LT(
        ::lgetxattr((dest_ / "marked").c_str(), "trusted.overlay.opaque", value, sizeof value), 0);

    EXPECT_EQ(stats.layers, 2u);
    EXPECT_GE(stats.bytes, bb.size());
    EXPECT_GE(stats.directories, 10u);
    EXPECT_GE(stats.files, 15u);

    // The unpacked busybox runs, also through the bin/sh link.
    int const status = std::system((dest_ / "bin/sh").string().append(" -c 'exit 3'").c_str());
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 3);
  }

  static void expect_config(UnpackedImageConfig const& config) {
    EXPECT_EQ(config.env, (std::vector<std::string>{"PATH=/bin", "GREETING=hello world"}));
    EXPECT_EQ(config.workdir, "/work");
    EXPECT_EQ(config.user, "1000:1000");
    EXPECT_TRUE(config.entrypoint.empty());
    EXPECT_EQ(config.cmd, (std::vector<std::string>{"/bin/sh", "-c", "echo hi"}));
  }

  /// An OCI layout of the test image (gzip layers) in root_/layout.
  fs::path make_layout() {
    fs::path layout = root_ / "layout";
    std::string const manifest = add_image(
        layout, kConfig, {{lower_layer(Compression::kGzip)}, {upper_layer(Compression::kGzip)}});
    write_layout_files(layout, index_json({manifest}));
    return layout;
  }

  fs::path root_, dest_, sentinel_;
  struct stat passwd_before_ {};
};

// --- images ---------------------------------------------------------------------------

TEST_F(ImageUnpackTest, DockerSaveArchiveWithWhiteouts) {
  fs::path const archive = root_ / "image.tar";
  write_file(archive, docker_save_tar(kConfig, {lower_layer(), upper_layer()}));
  UnpackStats stats;
  auto config = unpack_image(archive.string(), dest_.string(), &stats);
  ASSERT_TRUE(config.ok()) << config.status();
  expect_config(*config);
  expect_flattened(stats);
  expect_sentinel_untouched();
}

TEST_F(ImageUnpackTest, OciLayoutDirectory) {
  fs::path const layout = make_layout();
  UnpackStats stats;
  auto config = unpack_image(layout.string(), dest_.string(), &stats);
  ASSERT_TRUE(config.ok()) << config.status();
  expect_config(*config);
  expect_flattened(stats);
  expect_sentinel_untouched();
}

TEST_F(ImageUnpackTest, TarOfOciLayoutPlainAndCompressed) {
  fs::path const layout = make_layout();
  // Docker 25+ writes a manifest.json next to index.json; index.json is used.
  write_file(layout / "manifest.json", R"([{"Config":"missing.json","Layers":[]}])");
  for (Compression const c : {Compression::kNone, Compression::kGzip}) {
    fs::remove_all(dest_);
    fs::create_directories(dest_);
    fs::path const archive = root_ / "layout.tar";
    write_file(archive, tar_of_directory(layout, c));
    UnpackStats stats;
    auto config = unpack_image(archive.string(), dest_.string(), &stats);
    ASSERT_TRUE(config.ok()) << config.status();
    expect_config(*config);
    expect_flattened(stats);
  }
  expect_sentinel_untouched();
}

TEST_F(ImageUnpackTest, ZstdLayers) {
  if (archive_libzstd_version() == nullptr) GTEST_SKIP() << "libarchive without zstd";
  fs::path const layout = root_ / "layout";
  std::string const zstd = "application/vnd.oci.image.layer.v1.tar+zstd";
  write_layout_files(layout, index_json({add_image(layout, kConfig,
                                                   {{lower_layer(Compression::kZstd), zstd},
                                                    {upper_layer(Compression::kZstd), zstd}})}));
  UnpackStats stats;
  auto config = unpack_image(layout.string(), dest_.string(), &stats);
  ASSERT_TRUE(config.ok()) << config.status();
  expect_flattened(stats);
}

TEST_F(ImageUnpackTest, IndexPicksLinuxAmd64ThroughNestedIndex) {
  fs::path const layout = root_ / "layout";
  auto hostname_layer = [](std::string const& name) {
    return Blob{make_tar({directory("etc/"), file("etc/hostname", name)}, Compression::kGzip)};
  };
  std::string const arm64 = add_image(layout, kConfig, {hostname_layer("arm64")},
                                      R"({"architecture":"arm64","os":"linux"})");
  std::string const amd64 = add_image(layout, kConfig, {hostname_layer("amd64")},
                                      R"({"architecture":"amd64","os":"linux"})");
  std::string const attestation = add_image(layout, kConfig, {hostname_layer("attestation")},
                                            R"({"architecture":"unknown","os":"unknown"})");
  std::string const nested = index_json({arm64, attestation, amd64});
  write_layout_files(
      layout, index_json({descriptor(kOciIndexType, add_blob(layout, nested), nested.size())}));
  auto config = unpack_image(layout.string(), dest_.string());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(read_file(dest_ / "etc/hostname"), "amd64");
}

TEST_F(ImageUnpackTest, IndexTakesAPresentPlatformWhenAmd64IsMissing) {
  // An archive of one platform of a multi-platform image lacks the others' blobs.
  fs::path const layout = root_ / "layout";
  std::string const arm64 = add_image(
      layout, kConfig,
      {{make_tar({directory("etc/"), file("etc/hostname", "arm64")}, Compression::kGzip)}},
      R"({"architecture":"arm64","os":"linux"})");
  std::string const absent = descriptor(kOciManifestType, "sha256:" + std::string(64, 'a'), 10,
                                        R"(,"platform":{"architecture":"amd64","os":"linux"})");
  write_layout_files(layout, index_json({absent, arm64}));
  auto config = unpack_image(layout.string(), dest_.string());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(read_file(dest_ / "etc/hostname"), "arm64");
}

TEST_F(ImageUnpackTest, EmptyLayerAndEmptyConfig) {
  fs::path const layout = root_ / "layout";
  std::string const config = R"({"architecture":"amd64","os":"linux","rootfs":{}})";
  write_layout_files(
      layout, index_json({add_image(layout, config,
                                    {{make_tar({}), ""}, {make_tar({file("a", "a")}), ""}})}));
  UnpackStats stats;
  auto unpacked = unpack_image(layout.string(), dest_.string(), &stats);
  ASSERT_TRUE(unpacked.ok()) << unpacked.status();
  EXPECT_TRUE(unpacked->env.empty());
  EXPECT_TRUE(unpacked->cmd.empty());
  EXPECT_EQ(stats.layers, 2u);
  EXPECT_EQ(read_file(dest_ / "a"), "a");
}

// --- hostile archives -----------------------------------------------------------------
// Every one fails with InvalidArgument (none is skipped) and leaves the sentinel next to
// dest untouched.

TEST_F(ImageUnpackTest, AbsolutePathFails) {
  std::string const outside = "/image-unpack-test-evil-" + std::to_string(::getpid());
  auto result = unpack_layers({make_tar({file(outside, "evil")})});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("absolute path"));
  EXPECT_FALSE(fs::exists(outside));
  expect_sentinel_untouched();
}

TEST_F(ImageUnpackTest, DotDotPathFails) {
  auto result = unpack_layers({make_tar({file("ok", "ok"), file("../sentinel/evil", "evil")})});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("\"..\""));
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("../sentinel/evil"));
  expect_sentinel_untouched();
}

TEST_F(ImageUnpackTest, WriteThroughSymlinkOfALowerLayerFails) {
  auto result =
      unpack_layers({make_tar({symlink("x", "../sentinel")}), make_tar({file("x/evil", "evil")})});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("symbolic link"));
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("layer 2 of 2"));
  expect_sentinel_untouched();
}

TEST_F(ImageUnpackTest, WriteThroughSymlinkOfTheSameLayerFails) {
  for (std::string const& target : {sentinel_.string(), std::string("../../../../../..")}) {
    fs::remove_all(dest_);
    fs::create_directories(dest_);
    auto result = unpack_layers(
        {make_tar({symlink("etc", target), directory("etc/sub/"), file("etc/sub/evil", "evil")})});
    ASSERT_FALSE(result.ok()) << target;
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(result.status().message()), HasSubstr("symbolic link"));
    expect_sentinel_untouched();
  }
}

TEST_F(ImageUnpackTest, SymlinkToRootThenEtcPasswdFails) {
  std::string const passwd = read_file("/etc/passwd");
  auto result = unpack_layers({make_tar({symlink("root", "/")}),
                               make_tar({file("root/etc/passwd", "evil::0:0::/:/bin/sh\n")})});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(read_file("/etc/passwd"), passwd);
  EXPECT_EQ(fs::read_symlink(dest_ / "root"), "/");  // kept as a link, never followed
  expect_sentinel_untouched();
}

TEST_F(ImageUnpackTest, WhiteoutOutsideDestFails) {
  auto result =
      unpack_layers({make_tar({file("a", "a")}), make_tar({file("../sentinel/.wh.keep", "")})});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("\"..\""));
  expect_sentinel_untouched();
}

TEST_F(ImageUnpackTest, WhiteoutThroughSymlinkFails) {
  for (std::string const whiteout : {"x/.wh.keep", "x/.wh..wh..opq"}) {
    fs::remove_all(dest_);
    fs::create_directories(dest_);
    auto result =
        unpack_layers({make_tar({symlink("x", "../sentinel")}), make_tar({file(whiteout, "")})});
    ASSERT_FALSE(result.ok()) << whiteout;
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(result.status().message()), HasSubstr("symbolic link"));
    expect_sentinel_untouched();
  }
}

TEST_F(ImageUnpackTest, HardLinkOutsideTheImageFails) {
  for (std::string const target : {"/etc/passwd", "../sentinel/keep", "x/keep", "missing"}) {
    fs::remove_all(dest_);
    fs::create_directories(dest_);
    auto result = unpack_layers({make_tar({symlink("x", "../sentinel"), hardlink("h", target)})});
    ASSERT_FALSE(result.ok()) << target;
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << target;
    EXPECT_THAT(std::string(result.status().message()), HasSubstr("hard link")) << target;
    EXPECT_FALSE(fs::exists(dest_ / "h")) << target;
    expect_sentinel_untouched();
  }
}

TEST_F(ImageUnpackTest, DirectoryReplacedBySymlinkDoesNotLeadDeferredModesOutside) {
  // libarchive sets directory modes and times at the end, by path; "a/etc" must not then
  // be the sentinel's etc through the link that replaced "a".
  TarEntry inner = directory("a/etc/", 0777);
  inner.mtime = 5;
  auto result = unpack_layers({make_tar(
      {directory("a/", 0700), inner, file("a/etc/f", "f"), symlink("a", sentinel_.string())})});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(fs::read_symlink(dest_ / "a"), sentinel_);
  expect_sentinel_untouched();
}

TEST_F(ImageUnpackTest, WhiteoutsOnlyHitLowerLayers) {
  auto result =
      unpack_layers({make_tar({file("d/lower", "1"), file("gone", "1")}),
                     make_tar({file("d/mine", "2"), file("d/.wh.mine", ""),
                               file("d/.wh..wh..opq", ""), file(".wh.gone", ""),
                               file(".wh.never-existed", ""), file("d/.wh..wh.plnk", "")})});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(read_file(dest_ / "d/mine"), "2");
  EXPECT_FALSE(fs::exists(dest_ / "d/lower"));
  EXPECT_FALSE(fs::exists(dest_ / "gone"));
  EXPECT_FALSE(fs::exists(dest_ / "d/.wh..wh.plnk"));
}

// --- errors ---------------------------------------------------------------------------

TEST_F(ImageUnpackTest, NonexistentPathIsNotFound) {
  auto result = unpack_image((root_ / "nope.tar").string(), dest_.string());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("nope.tar"));
}

TEST_F(ImageUnpackTest, NotAnImage) {
  write_file(root_ / "text", "hello, not an archive\n");
  auto result = unpack_image((root_ / "text").string(), dest_.string());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(result.status().message()),
              HasSubstr("not a directory nor a tar archive"));

  fs::create_directories(root_ / "empty");
  result = unpack_image((root_ / "empty").string(), dest_.string());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("not an image"));

  write_file(root_ / "other.tar", make_tar({file("README", "hi")}));
  result = unpack_image((root_ / "other.tar").string(), dest_.string());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("not an image"));
}

TEST_F(ImageUnpackTest, MissingBlob) {
  fs::path const layout = root_ / "layout";
  std::string const layer = make_tar({file("a", "a")}, Compression::kGzip);
  write_layout_files(layout, index_json({add_image(layout, kConfig, {{layer}})}));
  fs::remove(layout / "blobs" / "sha256" / sha256_hex(layer));
  auto result = unpack_image(layout.string(), dest_.string());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(result.status().message()),
              HasSubstr("missing blob blobs/sha256/" + sha256_hex(layer)));
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("layer 1 of 1"));
  EXPECT_TRUE(fs::is_empty(dest_));  // checked before anything is written

  fs::remove_all(layout);
  write_layout_files(
      layout, index_json({descriptor(kOciManifestType, "sha256:" + std::string(64, 'b'), 10)}));
  result = unpack_image(layout.string(), dest_.string());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("index.json: missing blob"));
}

TEST_F(ImageUnpackTest, MalformedJson) {
  fs::path const layout = root_ / "layout";
  write_layout_files(layout, R"({"manifests": [)");
  auto result = unpack_image(layout.string(), dest_.string());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("index.json: not valid JSON"));

  fs::path const archive = root_ / "bad-config.tar";
  write_file(archive, make_tar({file("manifest.json", R"([{"Config":"c.json","Layers":[]}])"),
                                file("c.json", R"({"config":{"Env":"PATH=/bin"}})")}));
  result = unpack_image(archive.string(), dest_.string());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(result.status().message()),
              HasSubstr("c.json: config.Env is not an array"));
}

TEST_F(ImageUnpackTest, BadDigest) {
  fs::path const layout = root_ / "layout";
  for (std::string const digest :
       {"sha256:../../../../etc/passwd", "sha256:ABC", "md5:d41d8cd98f00b204e9800998ecf8427e"}) {
    write_layout_files(layout, index_json({descriptor(kOciManifestType, digest, 10)}));
    auto result = unpack_image(layout.string(), dest_.string());
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << digest;
    EXPECT_THAT(std::string(result.status().message()),
                HasSubstr("index.json: manifests[0].digest"))
        << digest;
  }
}

TEST_F(ImageUnpackTest, UnsupportedMediaTypeAndBadLayer) {
  fs::path const layout = root_ / "layout";
  write_layout_files(
      layout, index_json({add_image(layout, kConfig,
                                    {{make_tar({file("a", "a")}),
                                      "application/vnd.oci.image.layer.v1.tar+encrypted"}})}));
  auto result = unpack_image(layout.string(), dest_.string());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("unsupported layer media type"));

  fs::remove_all(layout);
  write_layout_files(layout, index_json({add_image(layout, kConfig, {{"not a tar archive"}})}));
  result = unpack_image(layout.string(), dest_.string());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("layer 1 of 1"));
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("not a tar archive"));
}

TEST_F(ImageUnpackTest, DestinationMustBeAnEmptyDirectory) {
  fs::path const layout = make_layout();
  write_file(dest_ / "something", "x");
  auto result = unpack_image(layout.string(), dest_.string());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("not an empty directory"));
  result = unpack_image(layout.string(), (root_ / "no-such-dest").string());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ImageUnpackTest, DestinationBehindASymlink) {
  // dest's own path may contain symbolic links (it is resolved first).
  fs::create_directories(root_ / "real");
  fs::create_symlink(root_ / "real", root_ / "link");
  fs::create_directories(root_ / "real" / "dest");
  auto result = unpack_layers({make_tar({directory("d/"), file("d/f", "f")})});
  ASSERT_TRUE(result.ok()) << result.status();
  fs::path const archive = root_ / "hostile.tar";
  result = unpack_image(archive.string(), (root_ / "link" / "dest").string());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(read_file(root_ / "real" / "dest" / "d" / "f"), "f");
  EXPECT_TRUE(fs::is_symlink(root_ / "link"));
}

// --- parsers --------------------------------------------------------------------------

TEST(ImageParseTest, ImageConfig) {
  auto config = parse_image_config(kConfig);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->workdir, "/work");
  EXPECT_EQ(config->env.size(), 2u);

  config = parse_image_config(R"({"os":"linux"})");
  ASSERT_TRUE(config.ok());
  EXPECT_TRUE(config->env.empty());

  config = parse_image_config(
      R"({"config":{"Entrypoint":["/init"],"Cmd":null,"User":"","WorkingDir":null}})");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->entrypoint, std::vector<std::string>{"/init"});
  EXPECT_TRUE(config->cmd.empty());

  for (std::string const bad :
       {R"({"os":"windows"})", R"({"config":[]})", R"({"config":{"Cmd":[1]}})",
        R"({"config":{"User":7}})", R"([])", "", "nul\x01l"}) {
    EXPECT_EQ(parse_image_config(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(ImageParseTest, DockerManifest) {
  auto m = parse_docker_manifest(
      R"([{"Config":"./abc.json","Layers":["l1/layer.tar","blobs//sha256/x"]},{"Config":"y"}])");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->config, "abc.json");
  EXPECT_EQ(m->layers, (std::vector<std::string>{"l1/layer.tar", "blobs/sha256/x"}));
  for (std::string const bad :
       {R"([])", R"({})", R"([{"Layers":[]}])", R"([{"Config":"/etc/passwd","Layers":[]}])",
        R"([{"Config":"c","Layers":["../../x"]}])", R"([{"Config":"c","Layers":[""]}])",
        R"([{"Config":"c","Layers":"x"}])", R"([{"Config":"c\u0000","Layers":[]}])"}) {
    auto const status = parse_docker_manifest(bad).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_FALSE(status.message().empty());
  }
}

TEST(ImageParseTest, OciIndexAndManifest) {
  std::string const d = "sha256:" + std::string(64, 'c');
  auto index = parse_oci_index(R"({"manifests":[{"digest":")" + d +
                               R"(","size":3,"platform":{"os":"linux","architecture":"arm64",)"
                               R"("variant":"v8"}}]})");
  ASSERT_TRUE(index.ok()) << index.status();
  ASSERT_EQ(index->size(), 1u);
  EXPECT_EQ((*index)[0].architecture, "arm64");
  EXPECT_EQ((*index)[0].variant, "v8");
  EXPECT_EQ((*index)[0].size, 3);
  EXPECT_FALSE(parse_oci_index(R"({"manifests":[]})").ok());
  EXPECT_FALSE(parse_oci_index(R"({"manifests":[{"digest":")" + d + R"(","size":-1}]})").ok());
  EXPECT_FALSE(
      parse_oci_index(R"({"mediaType":"text/plain","manifests":[{"digest":")" + d + R"("}]})")
          .ok());

  auto manifest =
      parse_oci_manifest(R"({"config":{"digest":")" + d + R"("},"layers":[{"digest":")" + d +
                         R"(","mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip"}]})");
  ASSERT_TRUE(manifest.ok()) << manifest.status();
  EXPECT_EQ(manifest->layers.size(), 1u);
  auto const artifact = parse_oci_manifest(
      R"({"config":{"digest":")" + d +
      R"(","mediaType":"application/vnd.cncf.helm.config.v1+json"},"layers":[]})");
  EXPECT_THAT(std::string(artifact.status().message()), HasSubstr("not a container image config"));
}

TEST(ImageParseTest, PickManifest) {
  std::vector<OciDescriptor> ds(4);
  ds[0].os = "linux";
  ds[0].architecture = "arm64";
  ds[1].os = "unknown";
  ds[1].architecture = "unknown";
  ds[2].os = "linux";
  ds[2].architecture = "amd64";
  ds[3].os = "linux";
  ds[3].architecture = "amd64";
  EXPECT_EQ(pick_manifest(ds), 2u);
  ds.resize(2);
  EXPECT_EQ(pick_manifest(ds), 0u);  // not the attestation
  ds.resize(1);
  EXPECT_EQ(pick_manifest(ds), 0u);
}

TEST(ImageParseTest, BlobPath) {
  std::string const hex(64, 'a');
  EXPECT_EQ(*blob_path("sha256:" + hex), "blobs/sha256/" + hex);
  EXPECT_EQ(*blob_path("sha512:" + std::string(128, '0')), "blobs/sha512/" + std::string(128, '0'));
  for (std::string const& bad :
       {"sha256:" + std::string(63, 'a'), "sha256:" + std::string(64, 'A'),
        "sha256:" + std::string(62, 'a') + "/.", "sha256:../" + std::string(61, 'a'),
        "sha384:" + std::string(96, 'a'), std::string("sha256"), std::string(""), ":" + hex}) {
    EXPECT_EQ(blob_path(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(ImageParseTest, NormalizeRelativePath) {
  EXPECT_EQ(*normalize_relative_path("./a//b/./c/"), "a/b/c");
  EXPECT_EQ(*normalize_relative_path("./"), "");
  EXPECT_EQ(*normalize_relative_path("a..b/..c"), "a..b/..c");
  EXPECT_FALSE(normalize_relative_path("/a").ok());
  EXPECT_FALSE(normalize_relative_path("a/../b").ok());
  EXPECT_FALSE(normalize_relative_path("..").ok());
  EXPECT_FALSE(normalize_relative_path(std::string("a\0b", 3)).ok());
}

TEST(ImageParseTest, JsonBounds) {
  std::string const deep = std::string(100, '[') + std::string(100, ']');
  EXPECT_THAT(std::string(parse_docker_manifest(deep).status().message()),
              HasSubstr("nested deeper"));
  // Brackets in strings do not count.
  std::string const in_string = R"([{"Config":")" + std::string(100, '[') + R"(","Layers":[]}])";
  EXPECT_TRUE(parse_docker_manifest(in_string).ok());
  std::string const big = "[\"" + std::string(kMaxImageJsonBytes, 'x') + "\"]";
  EXPECT_THAT(std::string(parse_docker_manifest(big).status().message()), HasSubstr("larger than"));
}

}  // namespace
}  // namespace modal::emulator::runtime
