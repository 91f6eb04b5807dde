// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
//
// Fuzzes the emulator's state journal (--state-dir, store/journal.h), which it reads back at
// startup from a file a crash may have left torn: decode_journal_records() on the input,
// then every record it yields applied to the stores that replay them. A malformed record is
// a Status (INVALID_ARGUMENT); nothing may crash or throw.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "store/environments.h"
#include "store/images.h"
#include "store/journal.h"
#include "store/objects.h"
#include "store/queues.h"

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls.
extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  using namespace modal::emulator;
  std::string_view const input(reinterpret_cast<char const*>(data), size);
  std::size_t consumed = 0;
  auto const records = decode_journal_records(input, &consumed);
  if (consumed > size) std::abort();
  EnvironmentStore environments;
  SecretStore secrets(environments, kSecrets);
  QueueStore queues(environments, kQueues);
  QueueItemStore items;
  ImageStore images;
  queues.set_on_restore([&](QueueRecord& rec) { items.create(rec.id); });
  for (auto const& r : records) {
    auto const t = r.find("t");
    if (t != r.end() && t->is_string() && t->get_ref<std::string const&>().starts_with("img")) {
      (void)images.apply(r);
    } else if (t != r.end() && *t == "env") {
      (void)environments.apply(r);
    } else if (t != r.end() && t->is_string() && t->get_ref<std::string const&>()[0] == 'q') {
      (void)items.apply(r);
    } else if (auto k = r.find("k"); k != r.end() && *k == "Queue") {
      (void)queues.apply(r);
    } else {
      (void)secrets.apply(r);
    }
  }
  // What was replayed can be written back and replayed again.
  std::vector<nlohmann::json> snapshot;
  environments.snapshot(snapshot);
  secrets.snapshot(snapshot);
  queues.snapshot(snapshot);
  items.snapshot(snapshot);
  images.snapshot(snapshot);
  for (auto const& r : snapshot) {
    if (decode_journal_records(encode_journal_record(r), nullptr).size() != 1) std::abort();
  }
  return 0;
}
