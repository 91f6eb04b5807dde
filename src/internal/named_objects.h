// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#ifndef MODAL_INTERNAL_NAMED_OBJECTS_H
#define MODAL_INTERNAL_NAMED_OBJECTS_H

#include <google/protobuf/empty.pb.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "internal/client_state.h"
#include "modal/errors.h"

namespace modal::internal {

/**
 * Deletes a named object (Secret, Queue, Volume) as upstream's SDKs do: looks it up by
 * name (`lookup` returns its id or throws NotFoundError), then sends `rpc` with the
 * request `make(id)`. With `allow_missing`, NOT_FOUND from either step is no error.
 * `not_found` is the NotFoundError's message ("Queue 'x' not found").
 */
template <typename Req>
void delete_named(ClientState& client, UnaryRpc<ModalStub, Req, google::protobuf::Empty> const& rpc,
                  std::string const& not_found, bool allow_missing,
                  std::function<std::string()> const& lookup,
                  std::function<Req(std::string const& id)> const& make) {
  std::string id;
  try {
    id = lookup();
  } catch (NotFoundError const&) {
    if (allow_missing) return;
    throw;
  }
  google::protobuf::Empty resp;
  CallOptions opts{.not_found = not_found};
  auto status = client.try_call(rpc, make(id), &resp, opts);
  if (status.ok()) return;
  if (status.error_code() == grpc::StatusCode::NOT_FOUND && allow_missing) return;
  throw_call_error(status, rpc.name, opts);
}

/**
 * Starts the heartbeat of an ephemeral object (Queue, Volume): `rpc` with `req` every
 * ClientOptions::heartbeat_interval on the Client's heartbeat thread. The registration
 * belongs in the handle's shared state, which also holds the ClientState: releasing it
 * waits for a beat in flight, so `client` outlives every beat.
 */
template <typename Req>
std::shared_ptr<void> start_heartbeat(ClientState& client, std::string const& what,
                                      UnaryRpc<ModalStub, Req, google::protobuf::Empty> const& rpc,
                                      Req req) {
  return client.heartbeats().start(what, client.heartbeat_interval(),
                                   [&client, rpc, req = std::move(req)] { client.call(rpc, req); });
}

}  // namespace modal::internal

#endif  // MODAL_INTERNAL_NAMED_OBJECTS_H
