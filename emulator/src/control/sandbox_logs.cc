// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// SandboxGetLogs: the entrypoint's stdout/stderr at byte offsets, as UTF-8.
//
// Each log is a retained OutputBuffer (OverflowPolicy::kDropOldest, the newest 16 MiB):
// reading never consumes, so every stream, from any client at any time, reads from its
// last_entry_id whatever other streams did. Entry ids are byte offsets in the entrypoint's
// output: a batch's id "N-0" means "the next batch starts at byte N" ("0-0" or "" = the
// start), so ids are stable, increasing, and the same for every reader. A stream that
// asks for an id that fell out of the window reads from the oldest retained byte (the
// first whole character there).
#include "control/sandboxes.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "control/log_stream.h"
#include "server/call_scope.h"
#include "server/ids.h"
#include "server/status.h"
#include "store/sandbox_registry.h"

namespace modal::emulator {
namespace {

using runtime::Clock;

constexpr auto kReadSlice = std::chrono::milliseconds(200);
constexpr std::size_t kMaxLogChunk = 64 * 1024;

/// Length of the UTF-8 sequence starting with `c` (0 if `c` cannot start one).
int utf8_sequence_length(unsigned char c) {
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return 2;
  if (c >= 0xE0 && c <= 0xEF) return 3;
  if (c >= 0xF0 && c <= 0xF4) return 4;
  return 0;
}

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

bool valid_sequence(std::string_view s) {
  auto const b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  for (std::size_t i = 1; i < s.size(); ++i) {
    if ((b(i) & 0xC0) != 0x80) return false;
  }
  if (s.size() >= 2) {
    unsigned char const c0 = b(0), c1 = b(1);
    if (c0 == 0xE0 && c1 < 0xA0) return false;  // overlong
    if (c0 == 0xED && c1 > 0x9F) return false;  // surrogates
    if (c0 == 0xF0 && c1 < 0x90) return false;  // overlong
    if (c0 == 0xF4 && c1 > 0x8F) return false;  // > U+10FFFF
  }
  return true;
}

/**
 * TaskLogs.data is a proto3 `string`, which must be UTF-8 (a C++ client refuses to parse
 * anything else). Appends the valid UTF-8 prefix of `in` to `out`, invalid bytes replaced
 * by U+FFFD, and returns how many bytes of `in` were consumed: an incomplete sequence at
 * the end is left for the next call unless `final`.
 */
std::size_t append_utf8(std::string_view in, bool final, std::string& out) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::size_t i = 0;
  while (i < in.size()) {
    auto const c = static_cast<unsigned char>(in[i]);
    int const len = utf8_sequence_length(c);
    if (len == 1) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    if (len == 0) {
      out.append(kReplacement);
      ++i;
      continue;
    }
    if (i + static_cast<std::size_t>(len) > in.size()) {
      // Possibly a sequence cut by the chunk boundary.
      if (!final && valid_sequence(in.substr(i))) return i;
      out.append(kReplacement);
      ++i;
      continue;
    }
    auto const seq = in.substr(i, static_cast<std::size_t>(len));
    if (valid_sequence(seq)) {
      out.append(seq);
      i += static_cast<std::size_t>(len);
    } else {
      out.append(kReplacement);
      ++i;
    }
  }
  return i;
}

/// Reads one of a Sandbox's log buffers from a byte offset and turns what arrives into
/// TaskLogsBatch messages of valid UTF-8.
class LogReader {
 public:
  LogReader(std::shared_ptr<runtime::OutputBuffer> buffer, std::uint64_t offset,
            modal::client::FileDescriptor fd)
      : buffer_(std::move(buffer)), offset_(offset), fd_(fd) {}

  /// Waits until `until` for output; a batch when there is some to send.
  absl::StatusOr<std::optional<modal::client::TaskLogsBatch>> next(runtime::Deadline until) {
    auto chunk = buffer_->read(offset_, kMaxLogChunk, until);
    if (!chunk.ok()) {
      if (chunk.status().code() != absl::StatusCode::kOutOfRange) return chunk.status();
      eof_ = true;  // past the end of a closed stream
    } else {
      std::string_view data = chunk->data;
      if (chunk->offset != offset_) {
        // offset_ fell out of the retained window: resume at its oldest byte, skipping
        // the rest of a character cut by the window's start.
        pending_.clear();
        for (int i = 0; i < 3 && !data.empty() && is_continuation(data.front()); ++i) {
          data.remove_prefix(1);
        }
      }
      pending_ += data;
      offset_ = chunk->offset + chunk->data.size();
      eof_ = chunk->eof;
    }
    std::string data;
    pending_.erase(0, append_utf8(pending_, eof_, data));
    if (data.empty()) return std::nullopt;
    modal::client::TaskLogsBatch batch;
    auto* item = batch.add_items();
    item->set_data(std::move(data));
    item->set_file_descriptor(fd_);
    item->set_timestamp(unix_now());
    batch.set_entry_id(entry_id(offset_ - pending_.size()));
    return batch;
  }
  /// The stream ended (the entrypoint closed it) and everything was read.
  bool eof() const { return eof_; }
  std::uint64_t offset() const { return offset_; }

 private:
  std::shared_ptr<runtime::OutputBuffer> const buffer_;
  std::uint64_t offset_;  // next byte to read from the buffer
  modal::client::FileDescriptor const fd_;
  std::string pending_;  // read but not yet sent (a cut UTF-8 sequence)
  bool eof_ = false;
};

/// Writes the batches of one SandboxGetLogs stream (with the task id, honouring
/// stream_break_after).
class BatchWriter {
 public:
  BatchWriter(grpc::ServerWriter<modal::client::TaskLogsBatch>* writer, std::string task_id,
              int break_after)
      : writer_(writer), task_id_(std::move(task_id)), breaker_(break_after) {}
  grpc::Status write(modal::client::TaskLogsBatch& batch) {
    if (auto st = breaker_.next_message(); !st.ok()) return st;
    batch.set_task_id(task_id_);
    return write_message(writer_, batch);
  }
  /// The last message: nothing more after `offset`.
  grpc::Status write_eof(std::uint64_t offset) {
    modal::client::TaskLogsBatch done;
    done.set_entry_id(entry_id(offset));
    done.set_eof(true);
    return write(done);
  }

 private:
  grpc::ServerWriter<modal::client::TaskLogsBatch>* const writer_;
  std::string const task_id_;
  StreamBreaker breaker_;
};

}  // namespace

grpc::Status SandboxHandlers::SandboxGetLogs(
    grpc::ServerContext* ctx, modal::client::SandboxGetLogsRequest const* req,
    grpc::ServerWriter<modal::client::TaskLogsBatch>* writer) {
  CallScope scope(core_, ctx, "SandboxGetLogs", Plane::kControl);
  if (!scope.ok()) return scope.status();
  auto rec = core_.sandboxes().get(req->sandbox_id());
  if (!rec.ok()) return to_grpc(rec.status());
  auto const fd = req->file_descriptor();
  auto const start = parse_entry_id(req->last_entry_id());
  if (!start.has_value()) return malformed_entry_id(req->last_entry_id());
  BatchWriter out(writer, (*rec)->task_id, core_.options().stream_break_after);
  if (fd == modal::client::FILE_DESCRIPTOR_INFO) return out.write_eof(*start);  // no system logs
  if (fd != modal::client::FILE_DESCRIPTOR_STDOUT && fd != modal::client::FILE_DESCRIPTOR_STDERR) {
    return invalid_argument(absl::StrCat("unsupported file_descriptor ", static_cast<int>(fd)));
  }

  LogReader reader((*rec)->log_buffer(fd == modal::client::FILE_DESCRIPTOR_STDERR), *start, fd);
  auto const deadline = long_poll_deadline(req->timeout() > 0 ? req->timeout() : 55.0f);
  while (true) {
    if (ctx->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
    if (core_.shutting_down()) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "shutting down");
    auto const now = Clock::now();
    if (now >= deadline) return grpc::Status::OK;  // the client reconnects
    auto batch = reader.next(std::min(deadline, now + kReadSlice));
    if (!batch.ok()) return to_grpc(batch.status());
    if (batch->has_value()) {
      if (auto st = out.write(**batch); !st.ok()) return st;
    }
    if (reader.eof()) return out.write_eof(reader.offset());
  }
}

}  // namespace modal::emulator
