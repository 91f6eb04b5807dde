// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// SecretGetOrCreate and SecretDelete.
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "control/control_plane.h"
#include "server/call_scope.h"
#include "server/ids.h"

namespace modal::emulator {
namespace {

void fill_response(SecretRecord const& rec, std::string const& requested_name,
                   modal::client::SecretGetOrCreateResponse* resp) {
  resp->set_secret_id(rec.id);
  auto* md = resp->mutable_metadata();
  md->set_name(rec.name.empty() ? requested_name : rec.name);
  md->mutable_creation_info()->set_created_at(rec.created_at);
  md->mutable_creation_info()->set_created_by("modal-emulator");
}

}  // namespace

grpc::Status ControlPlane::SecretGetOrCreate(grpc::ServerContext* ctx,
                                             modal::client::SecretGetOrCreateRequest const* req,
                                             modal::client::SecretGetOrCreateResponse* resp) {
  CallScope scope(core_, ctx, "SecretGetOrCreate", Plane::kControl);
  if (!scope.ok()) return scope.status();

  State& state = scope.state();
  std::lock_guard<std::mutex> lock(state.mu);
  auto const* env = state.find_environment(req->environment_name());
  if (env == nullptr) {
    return environment_not_found(req->environment_name());
  }
  std::string const& name = req->deployment_name();
  auto const create = [&](bool anonymous) -> SecretRecord& {
    SecretRecord rec;
    rec.id = new_id("st");
    rec.name = anonymous ? std::string() : name;
    rec.environment = env->name;
    rec.env.insert(req->env_dict().begin(), req->env_dict().end());
    rec.created_at = unix_now();
    if (!anonymous) state.secrets_by_name[{env->name, name}] = rec.id;
    std::string const id = rec.id;
    return state.secrets[id] = std::move(rec);
  };

  auto existing = state.secrets_by_name.find({env->name, name});
  Creation what;
  if (auto st =
          decide_creation(req->object_creation_type(), existing != state.secrets_by_name.end(),
                          "Secret", name, "Secret deployment_name", "SecretGetOrCreate", &what);
      !st.ok()) {
    return st;
  }
  SecretRecord* rec = nullptr;
  switch (what) {
    case Creation::kUseExisting:
      rec = state.find_secret(existing->second);
      break;
    case Creation::kCreateAnonymous:
      rec = &create(/*anonymous=*/true);
      break;
    case Creation::kCreateNamed:
      rec = &create(/*anonymous=*/false);
      break;
    case Creation::kOverwrite:  // the Secret keeps its id; its keys are replaced
      rec = state.find_secret(existing->second);
      rec->env.clear();
      rec->env.insert(req->env_dict().begin(), req->env_dict().end());
      rec->created_at = unix_now();
      break;
  }

  // Modal's server answers FAILED_PRECONDITION "Secret is missing key(s): ..." (the JS SDK
  // maps that message to NotFoundError; the Go SDK's tests match on it).
  std::vector<std::string> missing;
  for (auto const& key : req->required_keys()) {
    if (rec->env.count(key) == 0) missing.push_back(key);
  }
  if (!missing.empty()) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        absl::StrCat("Secret is missing key(s): ", absl::StrJoin(missing, ", ")));
  }
  fill_response(*rec, name, resp);
  return grpc::Status::OK;
}

grpc::Status ControlPlane::SecretDelete(grpc::ServerContext* ctx,
                                        modal::client::SecretDeleteRequest const* req,
                                        google::protobuf::Empty* /*resp*/) {
  CallScope scope(core_, ctx, "SecretDelete", Plane::kControl);
  if (!scope.ok()) return scope.status();

  State& state = scope.state();
  std::lock_guard<std::mutex> lock(state.mu);
  auto it = state.secrets.find(req->secret_id());
  if (it == state.secrets.end()) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("Secret '", req->secret_id(), "' not found"));
  }
  if (!it->second.name.empty()) {
    auto by_name = state.secrets_by_name.find({it->second.environment, it->second.name});
    if (by_name != state.secrets_by_name.end() && by_name->second == it->second.id) {
      state.secrets_by_name.erase(by_name);
    }
  }
  state.secrets.erase(it);
  return grpc::Status::OK;
}

}  // namespace modal::emulator
