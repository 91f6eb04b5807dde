// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "control/secret_sources.h"

#include "absl/strings/str_cat.h"
#include "server/core.h"

namespace modal::emulator {

absl::Status apply_secret_sources(
    Core& core, google::protobuf::RepeatedPtrField<modal::client::SecretSource> const& sources,
    std::map<std::string, std::string>& env) {
  int index = 0;
  for (auto const& source : sources) {
    switch (source.source_case()) {
      case modal::client::SecretSource::kSecretId: {
        auto secret = core.secrets().get(source.secret_id());
        if (!secret.ok()) return secret.status();
        for (auto const& [k, v] : secret->env) env[k] = v;
        break;
      }
      case modal::client::SecretSource::kEnv:
        for (auto const& [k, v] : source.env().contents()) env[k] = v;
        break;
      case modal::client::SecretSource::SOURCE_NOT_SET:
        return absl::InvalidArgumentError(
            absl::StrCat("secret_sources[", index, "] has neither secret_id nor env"));
    }
    ++index;
  }
  return absl::OkStatus();
}

}  // namespace modal::emulator
