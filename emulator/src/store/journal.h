// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_EMULATOR_SRC_STORE_JOURNAL_H
#define MODAL_EMULATOR_SRC_STORE_JOURNAL_H

// The emulator's persistent state (EmulatorOptions::state_dir) is one append-only journal
// of changes, replayed at startup and then rewritten as a compact snapshot. A store appends
// a record while it holds its own lock (so records are in the order of the changes), then
// releases the lock and waits for sync() before it answers: a change is on disk
// (fdatasync) before any client hears of it. Concurrent syncs share one fdatasync (group
// commit).
//
// File format: the 8 bytes "MODALEJ1", then records, each a little-endian u32 length, a
// little-endian u32 CRC-32 (zlib) of the payload and the payload, a MessagePack encoding of
// a JSON object (nlohmann::json::to_msgpack). A crash can leave a torn last record: replay
// stops at the first record that is incomplete or fails its checksum and cuts the file
// there (nothing after it was acknowledged, since records are synced in order).

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace modal::emulator {

/// Where stores write their changes. Journal is the real one; a store without one keeps
/// its state in memory only.
class ChangeLog {
 public:
  virtual ~ChangeLog() = default;
  /// Appends one change; answers a ticket for sync(). Called with the store's lock held:
  /// never calls back into a store.
  virtual std::uint64_t append(nlohmann::json const& change) = 0;
  /// Blocks until the change of `ticket`, and every one before it, is durable. Called
  /// without any store lock. An error (a full disk) is sticky: every later sync fails.
  virtual absl::Status sync(std::uint64_t ticket) = 0;
};

/// A change a store appended to its ChangeLog under its lock, to wait for after releasing
/// the lock and before answering. A default one (no log, or nothing changed) is done at
/// once.
class PendingChange {
 public:
  PendingChange() = default;
  /// Appends `change` to `log` (which must not be null); call with the store's lock held.
  PendingChange(ChangeLog* log, nlohmann::json const& change)
      : log_(log), ticket_(log->append(change)) {}
  /// Blocks until the change, and every one before it, is durable (ChangeLog::sync); call
  /// without any store lock.
  absl::Status wait() const { return log_ == nullptr ? absl::OkStatus() : log_->sync(ticket_); }

 private:
  ChangeLog* log_ = nullptr;
  std::uint64_t ticket_ = 0;
};

class Journal final : public ChangeLog {
 public:
  /// Called for every intact record, in order; an error stops the replay and open() fails
  /// with it (prefixed with the file and the record's offset).
  using Replay = std::function<absl::Status(nlohmann::json const&)>;
  using Log = std::function<void(std::string_view)>;

  /// Opens `path` (created when missing), replays it and cuts a torn tail (logged).
  /// FAILED_PRECONDITION when it is not a journal, INTERNAL on I/O errors.
  static absl::StatusOr<std::unique_ptr<Journal>> open(std::string const& path,
                                                       Replay const& replay, Log const& log = {});
  ~Journal() override;
  Journal(Journal const&) = delete;
  Journal& operator=(Journal const&) = delete;

  std::uint64_t append(nlohmann::json const& change) override;
  absl::Status sync(std::uint64_t ticket) override;

  /// Replaces the journal with `records` (a temporary file, fsync, rename, fsync of the
  /// directory): after a crash at any point the file holds either the old or the new
  /// records. Must not run concurrently with append().
  absl::Status rewrite(std::vector<nlohmann::json> const& records);

  /// Bytes in the file (tests).
  std::uint64_t size() const;

 private:
  Journal(std::string path, int fd, std::uint64_t size)
      : path_(std::move(path)), fd_(fd), size_(size) {}

  std::string const path_;
  mutable std::mutex mu_;
  std::condition_variable synced_cv_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
  std::uint64_t appended_ = 0;  // tickets handed out
  std::uint64_t synced_ = 0;    // tickets on disk
  bool syncing_ = false;
  absl::Status error_;  // sticky
};

/// Encodes one record as the journal stores it (length, checksum, payload).
std::string encode_journal_record(nlohmann::json const& record);

/// Decodes records from `data` (after the magic) until the end or the first bad record;
/// `consumed` is set to the bytes of the intact records. For replay and the fuzzer.
std::vector<nlohmann::json> decode_journal_records(std::string_view data, std::size_t* consumed);

/// The 8 bytes every journal starts with.
inline constexpr std::string_view kJournalMagic = "MODALEJ1";

}  // namespace modal::emulator

#endif  // MODAL_EMULATOR_SRC_STORE_JOURNAL_H
