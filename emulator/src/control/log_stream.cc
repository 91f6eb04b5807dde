// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "control/log_stream.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace modal::emulator {

std::optional<std::uint64_t> parse_entry_id(std::string_view id) {
  if (id.empty()) return 0;
  auto const dash = id.find('-');
  std::uint64_t n = 0;
  if (!absl::SimpleAtoi(std::string(id.substr(0, dash)), &n)) return std::nullopt;
  return n;
}

std::string entry_id(std::uint64_t n) { return absl::StrCat(n, "-0"); }

grpc::Status malformed_entry_id(std::string_view id) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                      "malformed last_entry_id '" + std::string(id) + "'");
}

grpc::Status StreamBreaker::next_message() {
  if (break_after_ > 0 && sent_ >= break_after_) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        "stream interrupted by modal-emulator (stream_break_after)");
  }
  ++sent_;
  return grpc::Status::OK;
}

}  // namespace modal::emulator
