// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "store/named_store.h"

#include "absl/strings/str_cat.h"
#include "modal_proto/api.pb.h"

namespace modal::emulator {

absl::Status object_not_found(std::string_view kind, std::string_view what) {
  return absl::NotFoundError(std::string(kind) + " '" + std::string(what) + "' not found");
}

bool is_ephemeral_creation(int object_creation_type) {
  return object_creation_type == modal::client::OBJECT_CREATION_TYPE_EPHEMERAL;
}

absl::StatusOr<Creation> decide_creation(ObjectKind const& kind, int object_creation_type,
                                         bool exists, std::string_view name) {
  switch (object_creation_type) {
    case modal::client::OBJECT_CREATION_TYPE_EPHEMERAL:
    case modal::client::OBJECT_CREATION_TYPE_ANONYMOUS_OWNED_BY_APP:
      return Creation::kCreateAnonymous;
    case modal::client::OBJECT_CREATION_TYPE_UNSPECIFIED:
      if (!exists) return object_not_found(kind.kind, name);
      return Creation::kUseExisting;
    case modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING:
    case modal::client::OBJECT_CREATION_TYPE_CREATE_FAIL_IF_EXISTS:
    case modal::client::OBJECT_CREATION_TYPE_CREATE_OVERWRITE_IF_EXISTS:
      if (name.empty()) {
        return absl::InvalidArgumentError(std::string(kind.name_field) + " must not be empty");
      }
      if (!exists) return Creation::kCreateNamed;
      if (object_creation_type == modal::client::OBJECT_CREATION_TYPE_CREATE_FAIL_IF_EXISTS) {
        return absl::AlreadyExistsError(std::string(kind.kind) + " '" + std::string(name) +
                                        "' already exists");
      }
      if (object_creation_type == modal::client::OBJECT_CREATION_TYPE_CREATE_OVERWRITE_IF_EXISTS) {
        return Creation::kOverwrite;
      }
      return Creation::kUseExisting;
    default:
      return absl::InvalidArgumentError(absl::StrCat("Unsupported object_creation_type ",
                                                     object_creation_type, " for ",
                                                     std::string(kind.rpc)));
  }
}

}  // namespace modal::emulator
