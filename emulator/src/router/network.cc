// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// TaskSetNetworkAccess (a running Sandbox's outbound network policy) and TaskReloadVolumes.
#include <arpa/inet.h>

#include <algorithm>
#include <string>
#include <string_view>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "router/router.h"
#include "server/call_scope.h"
#include "server/status.h"
#include "store/sandbox_registry.h"

namespace modal::emulator {
namespace {

namespace tcr = modal::task_command_router;

grpc::Status invalid(std::string const& message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message);
}

grpc::Status precondition(std::string const& message) {
  return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, message);
}

/// "a.b.c.d/n" or "x::y/n" (a bare address is a /32 or /128).
bool valid_cidr(std::string const& cidr) {
  auto const slash = cidr.find('/');
  std::string const address = cidr.substr(0, slash);
  unsigned char buf[16];
  int max_prefix = 0;
  if (inet_pton(AF_INET, address.c_str(), buf) == 1) {
    max_prefix = 32;
  } else if (inet_pton(AF_INET6, address.c_str(), buf) == 1) {
    max_prefix = 128;
  } else {
    return false;
  }
  if (slash == std::string::npos) return true;
  int prefix = -1;
  std::string const digits = cidr.substr(slash + 1);
  return !digits.empty() && digits.size() <= 3 &&
         std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
         absl::SimpleAtoi(digits, &prefix) && prefix <= max_prefix;
}

/// A host name, optionally with a leading "*." wildcard, or "*" (every name).
bool valid_domain(std::string_view domain) {
  if (domain == "*") return true;
  if (domain.starts_with("*.")) domain.remove_prefix(2);
  if (domain.empty() || domain.size() > 253) return false;
  size_t label = 0;
  char prev = '.';
  for (char c : domain) {
    bool const alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (c == '.') {
      if (label == 0 || prev == '-') return false;
      label = 0;
    } else if (alnum || (c == '-' && label > 0)) {
      if (++label > 63) return false;
    } else {
      return false;
    }
    prev = c;
  }
  return label > 0 && prev != '-';
}

}  // namespace

grpc::Status Router::TaskSetNetworkAccess(grpc::ServerContext* ctx,
                                          tcr::TaskSetNetworkAccessRequest const* req,
                                          tcr::TaskSetNetworkAccessResponse* /*resp*/) {
  CallScope scope(core_, ctx, "TaskSetNetworkAccess", Plane::kRouter);
  if (auto st = authorize(scope, ctx, req->task_id()); !st.ok()) return st;
  auto const& access = req->network_access();
  if (access.network_access_type() != modal::client::NetworkAccess::ALLOWLIST) {
    return invalid("network_access must be an ALLOWLIST (open access is an allow-all allowlist)");
  }
  for (auto const& cidr : access.allowed_cidrs()) {
    if (!valid_cidr(cidr)) return invalid(absl::StrCat("invalid CIDR \"", cidr, "\""));
  }
  for (auto const& domain : access.allowed_domains()) {
    if (!valid_domain(domain)) return invalid(absl::StrCat("invalid domain \"", domain, "\""));
  }
  auto rec = core_.sandboxes().get_by_task(req->task_id());
  if (!rec.ok()) return to_grpc(rec.status());
  auto sandbox = (*rec)->runtime();
  if (sandbox == nullptr || (*rec)->finished()) {
    return precondition(absl::StrCat("Sandbox ", (*rec)->id, " has already terminated"));
  }
  bool const deny_all = access.allowed_cidrs().empty() && access.allowed_domains().empty();
  auto const allows = [&](std::string_view cidr) {
    return std::find(access.allowed_cidrs().begin(), access.allowed_cidrs().end(), cidr) !=
           access.allowed_cidrs().end();
  };
  // As upstream's SDKs describe it, 0.0.0.0/0 allows everything (IPv6 is not filtered by
  // the emulator either way).
  bool const allow_all = allows("0.0.0.0/0") || allows("::/0");
  // What the emulator can enforce: a Sandbox in a network namespace of its own (created
  // with block_network) reaches nothing outside, which a deny-all policy keeps; one on the
  // host's network reaches everything, which an allow-all policy keeps. Anything else it
  // would have to filter, which it does not: refused rather than pretended.
  if (sandbox->network_blocked()) {
    if (deny_all) return grpc::Status::OK;
    return precondition(absl::StrCat(
        "Sandbox ", (*rec)->id,
        " was created with its network blocked: in the emulator it has only a loopback "
        "interface and cannot be given outbound access (only an empty allowlist applies)"));
  }
  if (allow_all) return grpc::Status::OK;
  return precondition(absl::StrCat(
      "Sandbox ", (*rec)->id,
      " shares the host's network in the emulator, which cannot filter its outbound "
      "connections (only an allow-all CIDR allowlist such as 0.0.0.0/0 applies; create the "
      "Sandbox with block_network for no outbound network at all)"));
}

grpc::Status Router::TaskReloadVolumes(grpc::ServerContext* ctx,
                                       tcr::TaskReloadVolumesRequest const* req,
                                       tcr::TaskReloadVolumesResponse* /*resp*/) {
  CallScope scope(core_, ctx, "TaskReloadVolumes", Plane::kRouter);
  if (auto st = authorize(scope, ctx, req->task_id()); !st.ok()) return st;
  auto rec = core_.sandboxes().get_by_task(req->task_id());
  if (!rec.ok()) return to_grpc(rec.status());
  if (!req->container_id().empty() && req->container_id() != req->task_id()) {
    auto sidecar = containers().find(req->task_id(), req->container_id());
    if (sidecar == nullptr) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          absl::StrCat("Container '", req->container_id(), "' not found in task '",
                                       req->task_id(), "'"));
    }
    if (sidecar->finished()) {
      return precondition(absl::StrCat("Sidecar container '", sidecar->name, "' (", sidecar->id,
                                       ") has already terminated"));
    }
  } else if ((*rec)->runtime() == nullptr || (*rec)->finished()) {
    return precondition(absl::StrCat("Sandbox ", (*rec)->id, " has already terminated"));
  }
  // The emulator keeps no per-Sandbox copy of a Volume that could be stale: there is
  // nothing to reload.
  return grpc::Status::OK;
}

}  // namespace modal::emulator
