// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Sandbox::open / SandboxFile, ls, mkdir, rm against the emulator (ContainerFilesystemExec):
// every operation is held against the same operation on a local file opened with the same
// fopen mode.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "modal/errors.h"
#include "modal/sandbox_file.h"
#include "sandbox_test_util.h"

namespace modal::testing {
namespace {

namespace fs = std::filesystem;

/// The same operations on a local FILE* and on a SandboxFile.
class Twin {
 public:
  Twin(Sandbox const& sb, fs::path const& local, std::string const& remote, char const* mode)
      : local_(std::fopen(local.c_str(), mode)), remote_(sb.open(remote, mode)) {}
  ~Twin() {
    if (local_ != nullptr) std::fclose(local_);
  }
  Twin(Twin const&) = delete;
  Twin& operator=(Twin const&) = delete;

  void write(std::string const& s) {
    ASSERT_EQ(std::fwrite(s.data(), 1, s.size(), local_), s.size());
    std::fflush(local_);
    remote_.write(s);
  }
  void read(std::size_t n) {
    std::string buf(n, '\0');
    buf.resize(std::fread(buf.data(), 1, n, local_));
    EXPECT_EQ(remote_.read(n), buf) << "read(" << n << ")";
  }
  void seek(long off, int whence) {
    ASSERT_EQ(std::fseek(local_, off, whence), 0);
    remote_.seek(off, whence == SEEK_SET   ? SeekWhence::kSet
                      : whence == SEEK_CUR ? SeekWhence::kCur
                                           : SeekWhence::kEnd);
  }
  SandboxFile& remote() { return remote_; }

 private:
  FILE* local_;
  SandboxFile remote_;
};

class SandboxFileTest : public SandboxTest {
 protected:
  void SetUp() override {
    SandboxTest::SetUp();
    sb_ = create();
    std::string tmpl = (fs::temp_directory_path() / "modal-file-test-XXXXXX").string();
    local_ = ::mkdtemp(tmpl.data());
  }
  void TearDown() override {
    sb_->terminate();
    sb_.reset();
    fs::remove_all(local_);
    SandboxTest::TearDown();
  }
  /// The remote file as the Sandbox sees it, and the local one.
  void expect_same(std::string const& remote, std::string const& name) {
    std::FILE* f = std::fopen((local_ / name).c_str(), "rb");
    ASSERT_NE(f, nullptr);
    std::string local;
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) local.append(buf, n);
    std::fclose(f);
    EXPECT_EQ(sb_->filesystem().read_bytes(remote), local) << remote;
  }
  std::optional<Sandbox> sb_;
  fs::path local_;
};

TEST_F(SandboxFileTest, WriteSeekAndReadAreThoseOfALocalFile) {
  {
    Twin t(*sb_, local_ / "a", "/srv/a", "w+");
    t.write("hello, world\n");
    t.seek(7, SEEK_SET);
    t.read(5);
    t.write("WORLD");
    t.seek(-3, SEEK_END);
    t.read(10);
    t.seek(2, SEEK_SET);
    t.write(std::string("\0\xff\x01", 3));
    t.seek(0, SEEK_SET);
    t.read(100);
  }
  expect_same("/srv/a", "a");
  {
    Twin t(*sb_, local_ / "a", "/srv/a", "r+");
    t.read(4);
    t.seek(0, SEEK_CUR);  // C requires a seek between reading and writing
    t.write("XY");
    t.seek(-1, SEEK_CUR);
    t.read(3);
  }
  expect_same("/srv/a", "a");
}

TEST_F(SandboxFileTest, AppendModesWriteAtTheEnd) {
  for (char const* mode : {"a", "a+"}) {
    SCOPED_TRACE(mode);
    { std::fclose(std::fopen((local_ / "log").c_str(), "w")); }
    sb_->filesystem().write_text("", "/srv/log");
    Twin t(*sb_, local_ / "log", "/srv/log", mode);
    t.write("one\n");
    if (std::string(mode) == "a+") {
      t.seek(0, SEEK_SET);
      t.read(2);
    }
    t.write("two\n");  // appended whatever the position
    t.remote().flush();
    expect_same("/srv/log", "log");
  }
}

TEST_F(SandboxFileTest, ModesAreCheckedAndEnforced) {
  for (char const* bad : {"", "rw", "r++", "+", "q", "wx", "rbb"}) {
    EXPECT_THROW(sb_->open("/srv/x", bad), InvalidError) << bad;
  }
  EXPECT_THROW(sb_->open("relative", "w"), InvalidError);
  EXPECT_THROW(sb_->open("/srv/missing", "r"), SandboxFilesystemNotFoundError);
  EXPECT_THROW(sb_->open("/srv", "w"), SandboxFilesystemIsADirectoryError);
  auto w = sb_->open("/srv/x", "wb");
  w.write("data");
  EXPECT_THROW(w.read(), InvalidError);
  w.close();
  w.close();  // idempotent
  EXPECT_THROW(w.write("more"), ClientClosedError);
  auto r = sb_->open("/srv/x", "rb");
  EXPECT_EQ(r.read_all(), "data");
  EXPECT_EQ(r.read(10), "");  // at the end
  EXPECT_THROW(r.write("x"), InvalidError);
  EXPECT_THROW(sb_->open("/srv/x", "x"), SandboxFilesystemPathAlreadyExistsError);
  EXPECT_THROW(r.seek(std::int64_t{1} << 40), InvalidError);
  EXPECT_THROW(r.seek(-1), InvalidError);
}

TEST_F(SandboxFileTest, LargeContentsGoInSeveralRequests) {
  std::string const data = random_bytes((std::size_t{40} << 20) + 17, 5);
  auto f = sb_->open("/srv/big", "w+b");
  f.write(data);
  f.seek(0);
  EXPECT_TRUE(f.read_all() == data);
  f.seek(-17, SeekWhence::kEnd);
  EXPECT_EQ(f.read(100), data.substr(data.size() - 17));
}

TEST_F(SandboxFileTest, TheIostreamAdapterReadsWritesAndSeeks) {
  auto f = sb_->open("/srv/stream", "w+");
  {
    auto io = f.iostream();
    io << "line one\n" << 42 << " " << 3.5 << "\n";
    io.seekg(0);
    std::string line;
    std::getline(io, line);
    EXPECT_EQ(line, "line one");
    int i = 0;
    double d = 0;
    io >> i >> d;
    EXPECT_EQ(i, 42);
    EXPECT_EQ(d, 3.5);
    io.seekp(0, std::ios::end);
    EXPECT_EQ(static_cast<long>(io.tellp()), 16);
    io << "tail";
  }  // flushed
  EXPECT_EQ(sb_->filesystem().read_text("/srv/stream"), "line one\n42 3.5\ntail");
}

TEST_F(SandboxFileTest, LsMkdirAndRm) {
  sb_->mkdir("/srv/d/e/f", {.parents = true});
  EXPECT_THROW(sb_->mkdir("/srv/d"), SandboxFilesystemPathAlreadyExistsError);
  EXPECT_THROW(sb_->mkdir("/srv/nope/x"), SandboxFilesystemNotFoundError);
  sb_->open("/srv/d/file", "w").write("x");
  EXPECT_EQ(sb_->ls("/srv/d"), (std::vector<std::string>{"e", "file"}));
  EXPECT_THROW(sb_->ls("/srv/d/file"), SandboxFilesystemNotADirectoryError);
  EXPECT_THROW(sb_->rm("/srv/d"), SandboxFilesystemError);  // not empty
  sb_->rm("/srv/d/file");
  sb_->rm("/srv/d", {.recursive = true});
  EXPECT_THROW(sb_->ls("/srv/d"), SandboxFilesystemNotFoundError);
}

TEST_F(SandboxFileTest, PathsStayInsideTheSandbox) {
  // A symbolic link to the host's / (as seen from outside) resolves inside the Sandbox.
  ASSERT_EQ(sh(*sb_, "ln -s / /srv/up && mkdir -p /srv/only-here").second, 0);
  auto names = sb_->ls("/srv/up/srv");
  EXPECT_THAT(names, ::testing::Contains("only-here"));
  EXPECT_THAT(sb_->ls("/../../srv"), ::testing::Contains("only-here"));
  sb_->open("/srv/up/tmp/inside", "w").write("in");
  EXPECT_EQ(sh(*sb_, "cat /tmp/inside").first, "in");
  EXPECT_FALSE(fs::exists("/tmp/inside"));
}

}  // namespace
}  // namespace modal::testing
