// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// SandboxGetLogs through raw generated stubs: the entrypoint's output is retained (the
// newest 16 MiB per stream), reading it never consumes it, entry ids are byte offsets that
// every reader sees alike, and a reader resuming at an id that fell out of the window gets
// the oldest retained output.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "router_test_util.h"

namespace modal::emulator::testing {
namespace {

using ::testing::HasSubstr;

constexpr std::uint64_t kWindow = std::uint64_t{16} << 20;  // emulator/README.md

/// What one or more SandboxGetLogs streams delivered.
struct Logs {
  std::string data{};
  /// Every batch's entry id, in order (the last one is the eof batch's, if any).
  std::vector<std::string> entry_ids{};
  /// entry_ids[i] as a byte offset, and the number of bytes received up to that batch.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> offsets{};
  bool eof = false;
  grpc::Status status{};
  std::string last_entry_id() const { return entry_ids.empty() ? "" : entry_ids.back(); }
};

std::uint64_t offset_of(std::string const& entry_id) {
  return std::stoull(entry_id.substr(0, entry_id.find('-')));
}

class SandboxLogsTest : public RouterTest {
 protected:
  std::string run(std::string const& script) {
    modal::client::Sandbox def;
    def.add_entrypoint_args("sh");
    def.add_entrypoint_args("-c");
    def.add_entrypoint_args(script);
    def.set_timeout_secs(120);
    return create_sandbox(def);
  }

  /// One SandboxGetLogs stream from `last_entry_id`, to its end (eof, the request's
  /// `timeout`, or an error), appended to `*logs`.
  void read_stream(std::string const& sandbox_id, std::string const& last_entry_id, float timeout,
                   Logs* logs,
                   modal::client::FileDescriptor fd = modal::client::FILE_DESCRIPTOR_STDOUT) {
    modal::client::SandboxGetLogsRequest req;
    req.set_sandbox_id(sandbox_id);
    req.set_file_descriptor(fd);
    req.set_timeout(timeout);
    req.set_last_entry_id(last_entry_id);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    ctx.AddMetadata("x-modal-token-id", "ak-emulator");
    ctx.AddMetadata("x-modal-token-secret", "as-emulator");
    auto reader = control_->stub().SandboxGetLogs(&ctx, req);
    modal::client::TaskLogsBatch batch;
    while (reader->Read(&batch)) {
      for (auto const& item : batch.items()) logs->data += item.data();
      if (!batch.entry_id().empty()) {
        logs->entry_ids.push_back(batch.entry_id());
        logs->offsets.emplace_back(offset_of(batch.entry_id()), logs->data.size());
      }
      if (batch.eof()) logs->eof = true;
    }
    logs->status = reader->Finish();
  }

  /// Reads from `from` to the end of a finished entrypoint's output.
  Logs read_all(std::string const& sandbox_id, std::string const& from = "0-0") {
    Logs logs;
    read_stream(sandbox_id, from, 30, &logs);
    EXPECT_TRUE(logs.status.ok()) << logs.status.error_message();
    EXPECT_TRUE(logs.eof);
    return logs;
  }

  /// Reads a running entrypoint's output from `*from` in short streams (each resuming at
  /// the last entry id, as the SDK does) until it contains `needle` or ends; advances
  /// `*from`.
  std::string read_until(std::string const& sandbox_id, std::string* from,
                         std::string const& needle) {
    Logs logs;
    for (int i = 0; i < 100 && !logs.eof && logs.data.find(needle) == std::string::npos; ++i) {
      read_stream(sandbox_id, *from, 0.2f, &logs);
      EXPECT_TRUE(logs.status.ok()) << logs.status.error_message();
      if (!logs.entry_ids.empty()) *from = logs.last_entry_id();
    }
    return logs.data;
  }

  /// SandboxWait until the entrypoint finished; its status.
  modal::client::GenericResult wait_finished(std::string const& sandbox_id) {
    for (int i = 0; i < 12; ++i) {
      modal::client::SandboxWaitRequest req;
      req.set_sandbox_id(sandbox_id);
      req.set_timeout(10);
      modal::client::SandboxWaitResponse resp;
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
      ctx.AddMetadata("x-modal-token-id", "ak-emulator");
      ctx.AddMetadata("x-modal-token-secret", "as-emulator");
      auto st = control_->stub().SandboxWait(&ctx, req, &resp);
      EXPECT_TRUE(st.ok()) << st.error_message();
      if (!st.ok() || resp.has_result()) return resp.result();
    }
    ADD_FAILURE() << sandbox_id << " did not finish";
    return {};
  }

  void write_stdin(std::string const& sandbox_id, std::uint32_t index, std::string const& input,
                   bool eof) {
    modal::client::SandboxStdinWriteRequest req;
    req.set_sandbox_id(sandbox_id);
    req.set_index(index);
    req.set_input(input);
    req.set_eof(eof);
    modal::client::SandboxStdinWriteResponse resp;
    auto st = control_->stub().SandboxStdinWrite(RawClient::context().get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
  }
};

TEST_F(SandboxLogsTest, EveryReaderReadsTheWholeOutputAndResumesAtItsEntryId) {
  std::string const id = run(R"(printf 'one\ntwo\n'; printf 'err\n' >&2)");
  EXPECT_EQ(wait_finished(id).exitcode(), 0);
  // Reading does not consume: a second and a third stream read the same output.
  for (std::string const from : {"0-0", "0-0", ""}) {
    auto const logs = read_all(id, from);
    EXPECT_EQ(logs.data, "one\ntwo\n") << "from '" << from << "'";
    EXPECT_EQ(logs.last_entry_id(), "8-0");
  }
  // A stream resumes at its last entry id: "N-0" = N bytes already delivered.
  EXPECT_EQ(read_all(id, "4-0").data, "two\n");
  auto const at_end = read_all(id, "8-0");
  EXPECT_EQ(at_end.data, "");
  EXPECT_EQ(at_end.last_entry_id(), "8-0");
  // stderr likewise, and independently.
  for (int i = 0; i < 2; ++i) {
    Logs err;
    read_stream(id, "0-0", 30, &err, modal::client::FILE_DESCRIPTOR_STDERR);
    EXPECT_EQ(err.data, "err\n");
    EXPECT_TRUE(err.eof);
  }
  EXPECT_EQ(read_all(id).data, "one\ntwo\n");
}

TEST_F(SandboxLogsTest, EntryIdsAreByteOffsetsTheSameForEveryReader) {
  // 300000 bytes: several batches of at most 64 KiB.
  std::string const id = run("head -c 300000 /dev/zero | tr '\\0' x");
  EXPECT_EQ(wait_finished(id).exitcode(), 0);
  auto const first = read_all(id);
  auto const second = read_all(id);
  ASSERT_EQ(first.data, std::string(300000, 'x'));
  EXPECT_EQ(second.data, first.data);
  EXPECT_GT(first.entry_ids.size(), 2u);
  std::uint64_t previous = 0;
  for (auto const& [offset, received] : first.offsets) {
    EXPECT_EQ(offset, received);  // the id is the number of bytes delivered so far
    EXPECT_GE(offset, previous);
    previous = offset;
  }
  EXPECT_EQ(first.last_entry_id(), "300000-0");
  EXPECT_EQ(second.last_entry_id(), "300000-0");
  // Resuming anywhere gives the rest, whoever read before.
  EXPECT_EQ(read_all(id, "299990-0").data, std::string(10, 'x'));
}

TEST_F(SandboxLogsTest, ASecondReaderOfARunningEntrypointReadsFromTheStart) {
  std::string const id = run("echo one; read x; echo two");
  std::string first_from = "0-0";
  EXPECT_EQ(read_until(id, &first_from, "one\n"), "one\n");
  EXPECT_EQ(first_from, "4-0");
  // While the entrypoint still runs, another reader (another handle, another client)
  // reads what the first one already read, without waiting for the entrypoint to end.
  std::string second_from = "0-0";
  EXPECT_EQ(read_until(id, &second_from, "one\n"), "one\n");
  EXPECT_EQ(second_from, "4-0");
  write_stdin(id, 1, "go\n", /*eof=*/true);
  EXPECT_EQ(read_until(id, &first_from, "two\n"), "two\n");
  EXPECT_EQ(read_until(id, &second_from, "two\n"), "two\n");
  EXPECT_EQ(wait_finished(id).exitcode(), 0);
  EXPECT_EQ(read_all(id).data, "one\ntwo\n");
}

TEST_F(SandboxLogsTest, OutputBeyondTheWindowDropsTheOldestAndNeverBlocksTheEntrypoint) {
  // 4 MiB of 'a', then 16 MiB of 'b', with nobody reading: the entrypoint finishes (its
  // output never blocks it) and the newest 16 MiB, all 'b', are retained.
  std::string const id =
      run("head -c 4194304 /dev/zero | tr '\\0' a; head -c 16777216 /dev/zero | tr '\\0' b");
  auto const result = wait_finished(id);
  EXPECT_EQ(result.status(), modal::client::GenericResult::GENERIC_STATUS_SUCCESS);
  std::uint64_t const total = (std::uint64_t{20} << 20);
  std::string const end_id = absl::StrCat(total, "-0");

  auto const all = read_all(id);
  EXPECT_EQ(all.data.size(), kWindow);
  EXPECT_EQ(all.data.find_first_not_of('b'), std::string::npos);
  EXPECT_EQ(all.last_entry_id(), end_id);
  // The ids are still offsets in the whole output: the first batch ends 4 MiB + its size.
  ASSERT_FALSE(all.offsets.empty());
  EXPECT_EQ(all.offsets.front().first, total - kWindow + all.offsets.front().second);

  // An id that fell out of the window reads from the oldest retained byte.
  auto const behind = read_all(id, "100-0");
  EXPECT_EQ(behind.data.size(), kWindow);
  EXPECT_EQ(behind.last_entry_id(), end_id);
  // An id inside the window reads from there.
  EXPECT_EQ(read_all(id, absl::StrCat(total - kWindow + 5, "-0")).data.size(), kWindow - 5);
  EXPECT_EQ(read_all(id, absl::StrCat(total - 10, "-0")).data, std::string(10, 'b'));
}

TEST_F(SandboxLogsTest, AWindowStartingInsideACharacterSkipsItsRest) {
  // 5592406 lines "é\n" (3 bytes each) and "zz": 16777220 bytes, so the window starts at
  // byte 4, the second byte of the second "é".
  std::string const id = run("yes 'é' | head -n 5592406; printf zz");
  EXPECT_EQ(wait_finished(id).exitcode(), 0);
  auto const logs = read_all(id);
  std::string expected = "\n";
  expected.reserve(kWindow);
  for (int i = 0; i < 5592404; ++i) expected += "\xC3\xA9\n";
  expected += "zz";
  EXPECT_EQ(logs.data.size(), expected.size());
  EXPECT_TRUE(logs.data == expected) << "starts with " << logs.data.substr(0, 8);
  EXPECT_EQ(logs.last_entry_id(), "16777220-0");
}

TEST_F(SandboxLogsTest, MalformedEntryIdsAreInvalidArguments) {
  std::string const id = run("echo x");
  Logs logs;
  read_stream(id, "not-an-id", 5, &logs);
  EXPECT_EQ(logs.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(logs.status.error_message(), HasSubstr("malformed last_entry_id"));
}

}  // namespace
}  // namespace modal::emulator::testing
