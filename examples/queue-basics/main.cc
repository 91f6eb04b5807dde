// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// A Queue of Python values: put and get, batches, partitions, a non-destructive
// iteration, lengths, and an ephemeral Queue that lives as long as its handle.
//
//   scripts/run-example.sh queue-basics
#include <chrono>
#include <cstdlib>
#include <iostream>

#include "modal/modal.h"

using namespace std::chrono_literals;

int main() try {
  modal::Client client;

  //! [named]
  modal::Queue queue =
      client.queues().from_name("modal-cpp-example-queue", {.create_if_missing = true});
  queue.clear({.all = true});

  // Values are Python values: what a Modal Function reading this Queue gets back.
  queue.put(modal::Value{{"task", "resize"}, {"sizes", modal::Value::list({64, 128, 256})}});
  queue.put_many({1, 2.5, "three", modal::Value::bytes("\x04")});
  std::cout << "length: " << queue.len() << "\n";

  modal::Value first = queue.get();
  std::cout << "first: " << first << "\n";
  std::cout << "task: " << first["task"].as_string() << "\n";
  for (modal::Value const& v : queue.get_many(10)) std::cout << "next: " << v << "\n";
  //! [named]

  //! [timeouts]
  // An empty Queue: a bounded wait ends with QueueEmptyError.
  try {
    queue.get({.timeout = 200ms});
  } catch (modal::QueueEmptyError const& e) {
    std::cout << "empty: " << e.what() << "\n";
  }
  //! [timeouts]

  //! [partitions]
  queue.put_many({"a", "b"}, {.partition = "user-1", .partition_ttl = 1h});
  queue.put("c", {.partition = "user-2"});
  std::cout << "user-1: " << queue.len({.partition = "user-1"})
            << ", total: " << queue.len({.total = true}) << "\n";
  for (modal::Value const& v : queue.iterate({.partition = "user-1"})) {
    std::cout << "user-1 holds " << v << "\n";  // iterate() does not remove values
  }
  std::cout << "user-1 after iterate: " << queue.len({.partition = "user-1"}) << "\n";
  //! [partitions]

  //! [ephemeral]
  {
    modal::Queue scratch = client.queues().ephemeral();
    scratch.put(42);
    std::cout << "ephemeral " << scratch.queue_id() << " gave " << scratch.get().as_int() << "\n";
  }  // the last handle went: its heartbeats stop, and the server deletes it
  //! [ephemeral]

  client.queues().remove("modal-cpp-example-queue");
  return EXIT_SUCCESS;
} catch (modal::Error const& e) {
  std::cerr << "error: " << e.what() << "\n";
  return EXIT_FAILURE;
}
