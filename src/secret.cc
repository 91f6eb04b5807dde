// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "modal/secret.h"

#include "internal/client_state.h"
#include "internal/named_objects.h"
#include "internal/secret_state.h"
#include "internal/validation.h"
#include "modal/errors.h"

namespace modal {

namespace rpc = internal::rpc;

std::string Secret::secret_id() const {
  std::lock_guard lock(state_->mu);
  return state_->id;
}

std::string const& Secret::name() const { return state_->name; }

internal::SecretState::Split internal::SecretState::split(
    std::vector<Secret> const& secrets, std::map<std::string, std::string> const& env) {
  Split out;
  for (auto const& secret : secrets) {
    if (is_from_map(secret)) {
      for (auto const& [k, v] : entries_of(secret)) out.env[k] = v;
    } else {
      out.secret_ids.push_back(ensure_id(secret));
    }
  }
  for (auto const& [k, v] : env) out.env[k] = v;
  return out;
}

std::string internal::SecretState::ensure_id(Secret const& secret) {
  auto& s = *secret.state_;
  std::lock_guard lock(s.mu);  // one creation at a time; others then see the id
  if (!s.id.empty()) return s.id;
  s.id = create_ephemeral(*s.client, s.environment, s.entries);
  return s.id;
}

std::string internal::SecretState::create_ephemeral(
    ClientState& client, std::string const& environment,
    std::map<std::string, std::string> const& entries) {
  modal::client::SecretGetOrCreateRequest req;
  req.set_object_creation_type(modal::client::OBJECT_CREATION_TYPE_EPHEMERAL);
  req.set_environment_name(environment);
  for (auto const& [k, v] : entries) (*req.mutable_env_dict())[k] = v;
  auto resp = client.call(rpc::SecretGetOrCreate, req);
  if (resp.secret_id().empty()) {
    throw Error("SecretGetOrCreate returned no secret id", StatusCode::kInternal,
                "SecretGetOrCreate");
  }
  return resp.secret_id();
}

Secret SecretService::from_name(std::string const& name, SecretFromNameParams const& params) const {
  state_->throw_if_closed();
  if (name.empty()) throw InvalidError("Secret name must not be empty");
  internal::check_object_name(name, "Secret");
  modal::client::SecretGetOrCreateRequest req;
  req.set_deployment_name(name);
  auto const& env = state_->environment(params.environment);
  req.set_environment_name(env);
  for (auto const& k : params.required_keys) req.add_required_keys(k);
  auto resp =
      state_->call(rpc::SecretGetOrCreate, req, {.not_found = "Secret '" + name + "' not found"});
  auto state = std::make_shared<internal::SecretState>();
  state->client = state_;
  state->name = name;
  state->environment = env;
  state->id = resp.secret_id();
  return Secret(std::move(state));
}

Secret SecretService::from_map(std::map<std::string, std::string> entries,
                               SecretFromMapParams const& params) const {
  for (auto const& [k, v] : entries) {
    if (!internal::is_env_var_name(k)) {
      throw InvalidError("invalid Secret key '" + k +
                         "': keys must be environment variable names matching "
                         "[A-Za-z_][A-Za-z0-9_]*");
    }
    state_->redactor().add(v);
  }
  auto state = std::make_shared<internal::SecretState>();
  state->client = state_;
  state->environment = state_->environment(params.environment);
  state->entries = std::move(entries);
  state->from_map = true;
  return Secret(std::move(state));
}

void SecretService::remove(std::string const& name, SecretDeleteParams const& params) const {
  internal::delete_named<modal::client::SecretDeleteRequest>(
      *state_, rpc::SecretDelete, "Secret '" + name + "' not found", params.allow_missing,
      [&] {
        return from_name(name, {.environment = params.environment, .required_keys = {}})
            .secret_id();
      },
      [](std::string const& id) {
        modal::client::SecretDeleteRequest req;
        req.set_secret_id(id);
        return req;
      });
}

}  // namespace modal
