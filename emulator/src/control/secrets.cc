// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// SecretGetOrCreate and SecretDelete.
#include "control/secrets.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/call_scope.h"
#include "server/status.h"

namespace modal::emulator {
namespace {

// Modal's server answers FAILED_PRECONDITION "Secret is missing key(s): ..." (the JS SDK
// maps that message to NotFoundError; the Go SDK's tests match on it).
grpc::Status check_required_keys(SecretRecord const& secret,
                                 google::protobuf::RepeatedPtrField<std::string> const& keys) {
  std::vector<std::string> missing;
  for (auto const& key : keys) {
    if (secret.env.count(key) == 0) missing.push_back(key);
  }
  if (missing.empty()) return grpc::Status::OK;
  return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                      absl::StrCat("Secret is missing key(s): ", absl::StrJoin(missing, ", ")));
}

}  // namespace

grpc::Status SecretHandlers::SecretGetOrCreate(grpc::ServerContext* ctx,
                                               modal::client::SecretGetOrCreateRequest const* req,
                                               modal::client::SecretGetOrCreateResponse* resp) {
  CallScope scope(core_, ctx, "SecretGetOrCreate", Plane::kControl);
  if (!scope.ok()) return scope.status();
  // A new Secret, or one overwritten (it keeps its id), holds exactly the request's keys.
  auto secret =
      core_.secrets().get_or_create(req->environment_name(), req->deployment_name(),
                                    req->object_creation_type(), [req](SecretRecord& rec) {
                                      rec.env = {req->env_dict().begin(), req->env_dict().end()};
                                    });
  if (!secret.ok()) return to_grpc(secret.status());
  if (auto st = check_required_keys(*secret, req->required_keys()); !st.ok()) return st;
  resp->set_secret_id(secret->id);
  auto* md = resp->mutable_metadata();
  md->set_name(secret->name);
  md->mutable_creation_info()->set_created_at(secret->created_at);
  md->mutable_creation_info()->set_created_by("modal-emulator");
  return grpc::Status::OK;
}

grpc::Status SecretHandlers::SecretDelete(grpc::ServerContext* ctx,
                                          modal::client::SecretDeleteRequest const* req,
                                          google::protobuf::Empty* /*resp*/) {
  CallScope scope(core_, ctx, "SecretDelete", Plane::kControl);
  if (!scope.ok()) return scope.status();
  return to_grpc(core_.secrets().remove(req->secret_id()));
}

}  // namespace modal::emulator
