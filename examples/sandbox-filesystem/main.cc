// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// The Sandbox filesystem API (Sandbox::filesystem): writes and reads text and bytes,
// inspects metadata, creates and lists directories, copies files between the local disk
// and the Sandbox, removes files and directories, opens a file (Sandbox::open), and
// watches a directory for changes.
//
//   scripts/run-example.sh sandbox-filesystem
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <set>
#include <string>
#include <thread>

#include "modal/modal.h"

namespace {

char const* type_name(modal::FileType t) {
  switch (t) {
    case modal::FileType::kFile:
      return "file";
    case modal::FileType::kDirectory:
      return "directory";
    case modal::FileType::kSymlink:
      return "symlink";
  }
  return "?";
}

}  // namespace

int main() try {
  modal::Client client;
  modal::App app = client.apps().from_name("modal-cpp-example", {.create_if_missing = true});
  modal::Image image = client.images().from_registry("alpine:3.21");
  modal::Sandbox sb = client.sandboxes().create(app, image);
  std::cout << "Started Sandbox: " << sb.sandbox_id() << "\n";

  //! [fs-read-write]
  modal::SandboxFilesystem fs = sb.filesystem();
  fs.write_text("Hello from Sandbox.filesystem!\n", "/tmp/hello.txt");
  std::cout << "read_text: " << fs.read_text("/tmp/hello.txt");

  fs.write_bytes(std::string("\x00\x01\xfe\xff", 4), "/tmp/hello.bin");
  std::string bytes = fs.read_bytes("/tmp/hello.bin");
  std::cout << "read_bytes: " << bytes.size() << " bytes, last 0x" << std::hex
            << (static_cast<unsigned>(bytes.back()) & 0xffU) << std::dec << "\n";
  //! [fs-read-write]

  //! [fs-stat-list]
  modal::FileInfo info = fs.stat("/tmp/hello.txt");
  std::cout << "stat: name=" << info.name << ", size=" << info.size
            << ", type=" << type_name(info.type) << "\n";

  fs.make_directory("/tmp/mydir/nested");  // parents are created by default
  fs.write_text("nested file\n", "/tmp/mydir/nested/file.txt");
  fs.write_text("top-level file\n", "/tmp/mydir/top.txt");
  std::cout << "list_files /tmp/mydir:\n";
  for (modal::FileInfo const& e : fs.list_files("/tmp/mydir")) {
    std::cout << "  " << e.name << " (" << type_name(e.type) << ")\n";
  }
  //! [fs-stat-list]

  //! [fs-copy]
  namespace stdfs = std::filesystem;
  stdfs::path const local = stdfs::temp_directory_path() / ("modal-fs-example-" + sb.sandbox_id());
  stdfs::create_directories(local);
  std::ofstream(local / "upload.txt") << "Uploaded with copy_from_local\n";
  fs.copy_from_local((local / "upload.txt").string(), "/tmp/uploaded.txt");
  fs.copy_to_local("/tmp/uploaded.txt", (local / "download.txt").string());
  std::ifstream in(local / "download.txt");
  std::cout << "copy round trip: " << std::string(std::istreambuf_iterator<char>(in), {});
  stdfs::remove_all(local);
  //! [fs-copy]

  //! [fs-errors]
  try {
    fs.read_text("/tmp/does-not-exist");
  } catch (modal::SandboxFilesystemNotFoundError const& e) {
    std::cout << "error: " << e.what() << "\n";
  }
  fs.remove("/tmp/hello.bin");
  fs.remove("/tmp/mydir", {.recursive = true});
  std::cout << "remove: cleaned up\n";
  //! [fs-errors]

  //! [fs-open]
  // Modal's open-file API: a real open file in the Sandbox, fopen-style.
  modal::SandboxFile file = sb.open("/tmp/notes.txt", "w+");
  file.write("first line\nsecond line\n");
  file.seek(6);
  std::cout << "open/seek/read: " << file.read(4) << "\n";
  file.close();
  sb.mkdir("/tmp/open-demo/sub", {.parents = true});
  std::cout << "ls /tmp/open-demo: " << sb.ls("/tmp/open-demo").at(0) << "\n";
  sb.rm("/tmp/open-demo", {.recursive = true});
  //! [fs-open]

  //! [fs-watch]
  fs.make_directory("/tmp/watch-demo");
  std::atomic<bool> done{false};
  std::thread writer([&] {
    // Keeps creating files until the watch has seen five (it starts asynchronously).
    for (int i = 0; !done && i < 200; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      sb.exec({"touch", "/tmp/watch-demo/file" + std::to_string(i) + ".txt"}).wait();
    }
  });
  std::set<std::string> created;
  for (modal::WatchEvent const& ev :
       fs.watch("/tmp/watch-demo", {.filter = std::vector{modal::WatchEventType::kCreate},
                                   .timeout = std::chrono::seconds(30)})) {
    created.insert(ev.paths.front());
    if (created.size() == 5) break;  // leaving the loop stops the watch
  }
  done = true;
  writer.join();
  std::cout << "watch: saw " << created.size() << " files created\n";
  //! [fs-watch]

  sb.terminate();
  return EXIT_SUCCESS;
} catch (modal::Error const& e) {
  std::cerr << "error: " << e.what() << "\n";
  return EXIT_FAILURE;
}
