// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Validation of SandboxCreateParams and their mapping to SandboxCreateRequest; Probe.
#include "internal/sandbox_params.h"

#include <cctype>
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <variant>

#include "internal/validation.h"
#include "modal/errors.h"

namespace modal {
namespace internal {
namespace {

constexpr std::size_t kMaxArgvBytes = 1 << 16;
constexpr auto kMaxTimeout = std::chrono::hours(24);

std::string ms_string(std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; }

void check_whole_seconds(char const* field, std::chrono::milliseconds d) {
  if (d.count() <= 0) {
    throw InvalidError(std::string(field) + " must be positive, got " + ms_string(d));
  }
  if (d.count() % 1000 != 0) {
    throw InvalidError(std::string(field) + " must be a whole number of seconds, got " +
                       ms_string(d) + "; round it to whole seconds");
  }
  if (d > kMaxTimeout) {
    throw InvalidError(std::string(field) + " must be at most 24 hours, got " + ms_string(d));
  }
}

void check_ports(char const* field, std::vector<int> const& ports) {
  for (int p : ports) {
    if (p < 1 || p > 65535) {
      throw InvalidError(std::string(field) + " must be in [1, 65535], got " + std::to_string(p));
    }
  }
}

void check_mount_path(char const* kind, std::string const& path, std::set<std::string>& seen) {
  if (path.empty() || path.front() != '/') {
    throw InvalidError(std::string(kind) + " mount path must be absolute, got '" + path + "'");
  }
  if (!seen.insert(path).second) {
    throw InvalidError("mount path '" + path +
                       "' is used more than once; mount one Volume or "
                       "bucket per path");
  }
}

}  // namespace

modal::client::GPUConfig parse_gpu_config(std::string const& gpu) {
  modal::client::GPUConfig config;
  if (gpu.empty()) return config;
  std::string type = gpu;
  std::uint32_t count = 1;
  if (auto const colon = gpu.find(':'); colon != std::string::npos) {
    type = gpu.substr(0, colon);
    std::string const n = gpu.substr(colon + 1);
    bool digits = !n.empty() && n.size() <= 9;
    for (char c : n) digits = digits && c >= '0' && c <= '9';
    if (!digits || std::stoul(n) < 1) {
      throw InvalidError("invalid GPU count '" + n + "' in \"" + gpu +
                         "\": use \"TYPE\" or \"TYPE:COUNT\" with COUNT a positive integer, "
                         "e.g. \"A100:2\"");
    }
    count = static_cast<std::uint32_t>(std::stoul(n));
  }
  if (type.empty()) {
    throw InvalidError("invalid GPU \"" + gpu + R"(": the type is missing, e.g. "T4" or "A100:2")");
  }
  for (auto& c : type) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  config.set_count(count);
  config.set_gpu_type(type);
  return config;
}

void validate_sandbox_params(SandboxCreateParams const& p) {
  std::size_t argv_bytes = 0;
  for (auto const& a : p.command) argv_bytes += a.size();
  if (argv_bytes > kMaxArgvBytes) {
    throw InvalidError("the command's arguments total " + std::to_string(argv_bytes) +
                       " bytes; they must be at most " + std::to_string(kMaxArgvBytes) +
                       " bytes (pass large data through stdin or a file instead)");
  }
  if (!p.workdir.empty() && p.workdir.front() != '/') {
    throw InvalidError("workdir must be an absolute path, got '" + p.workdir + "'");
  }
  if (p.timeout) check_whole_seconds("timeout", *p.timeout);
  if (p.idle_timeout) check_whole_seconds("idle_timeout", *p.idle_timeout);

  if (p.cpu && (!std::isfinite(*p.cpu) || *p.cpu <= 0)) {
    throw InvalidError("cpu must be a positive number of cores, got " + std::to_string(*p.cpu));
  }
  if (p.cpu_limit) {
    if (!p.cpu) throw InvalidError("cpu_limit requires cpu (the request) to be set as well");
    if (!std::isfinite(*p.cpu_limit) || *p.cpu_limit < *p.cpu) {
      throw InvalidError("cpu_limit (" + std::to_string(*p.cpu_limit) + ") must be at least cpu (" +
                         std::to_string(*p.cpu) + ")");
    }
  }
  if (p.memory_mib && *p.memory_mib <= 0) {
    throw InvalidError("memory_mib must be positive, got " + std::to_string(*p.memory_mib));
  }
  if (p.memory_limit_mib) {
    if (!p.memory_mib) {
      throw InvalidError("memory_limit_mib requires memory_mib (the request) to be set as well");
    }
    if (*p.memory_limit_mib < *p.memory_mib) {
      throw InvalidError("memory_limit_mib (" + std::to_string(*p.memory_limit_mib) +
                         ") must be at least memory_mib (" + std::to_string(*p.memory_mib) + ")");
    }
  }
  parse_gpu_config(p.gpu);

  for (auto const& [k, v] : p.env) {
    if (!is_env_var_name(k)) {
      throw InvalidError("invalid environment variable name '" + k +
                         "': names must match [A-Za-z_][A-Za-z0-9_]*");
    }
  }
  std::set<std::string> mount_paths;
  for (auto const& [path, volume] : p.volumes) {
    check_mount_path("Volume", path, mount_paths);
    if (volume.volume_id().empty()) throw InvalidError("the Volume at '" + path + "' has no id");
  }
  for (auto const& [path, mount] : p.cloud_bucket_mounts) {
    check_mount_path("cloud bucket", path, mount_paths);
    validate_cloud_bucket_mount(mount);
  }

  check_ports("encrypted_ports", p.encrypted_ports);
  check_ports("h2_ports", p.h2_ports);
  check_ports("unencrypted_ports", p.unencrypted_ports);
  if (p.block_network) {
    if (!p.encrypted_ports.empty() || !p.h2_ports.empty() || !p.unencrypted_ports.empty()) {
      throw InvalidError(
          "block_network cannot be combined with encrypted_ports, h2_ports or "
          "unencrypted_ports: remove the ports or leave block_network false");
    }
    if (p.cidr_allowlist.has_value()) {
      throw InvalidError(
          "block_network cannot be combined with cidr_allowlist: block_network already "
          "blocks everything; unset one of them");
    }
  }
  if (p.proxy && p.proxy->proxy_id.empty()) {
    throw InvalidError("proxy has no id; get it with client.proxies().from_name(...)");
  }
  if (!p.name.empty()) check_object_name(p.name, "Sandbox");
  for (auto const& [key, value] : p.experimental_options) {
    if (key.empty()) throw InvalidError("experimental option names must not be empty");
  }
  for (auto const& [key, value] : p.tags) {
    if (key.empty()) throw InvalidError("tag names must not be empty");
  }
}

modal::client::Probe probe_to_proto(Probe const& probe) {
  modal::client::Probe out;
  if (probe.tcp_port()) {
    out.set_tcp_port(static_cast<std::uint32_t>(*probe.tcp_port()));
  } else {
    for (auto const& a : probe.exec_argv()) out.mutable_exec_command()->add_argv(a);
  }
  out.set_interval_ms(static_cast<std::uint32_t>(probe.interval().count()));
  return out;
}

modal::client::SandboxCreateRequest build_sandbox_create_request(SandboxCreateParams const& p,
                                                                 SandboxCreateIds const& ids) {
  modal::client::SandboxCreateRequest req;
  req.set_app_id(ids.app_id);
  for (auto const& [k, v] : p.tags) {
    auto* tag = req.add_tags();
    tag->set_tag_name(k);
    tag->set_tag_value(v);
  }
  auto& def = *req.mutable_definition();
  for (auto const& a : p.command) def.add_entrypoint_args(a);
  def.set_image_id(ids.image_id);
  for (auto const& id : ids.secret_ids) def.add_secret_ids(id);
  def.set_timeout_secs(p.timeout ? static_cast<std::uint32_t>(p.timeout->count() / 1000) : 300);
  if (p.idle_timeout) {
    def.set_idle_timeout_secs(static_cast<std::uint32_t>(p.idle_timeout->count() / 1000));
  }
  if (!p.workdir.empty()) def.set_workdir(p.workdir);

  auto* net = def.mutable_network_access();
  if (p.block_network) {
    net->set_network_access_type(modal::client::NetworkAccess::BLOCKED);
  } else if (p.cidr_allowlist) {
    net->set_network_access_type(modal::client::NetworkAccess::ALLOWLIST);
    for (auto const& cidr : *p.cidr_allowlist) net->add_allowed_cidrs(cidr);
  } else {
    net->set_network_access_type(modal::client::NetworkAccess::OPEN);
  }

  auto* res = def.mutable_resources();
  *res->mutable_gpu_config() = parse_gpu_config(p.gpu);
  if (p.cpu) res->set_milli_cpu(static_cast<std::uint32_t>(std::lround(*p.cpu * 1000)));
  if (p.cpu_limit) {
    res->set_milli_cpu_max(static_cast<std::uint32_t>(std::lround(*p.cpu_limit * 1000)));
  }
  if (p.memory_mib) res->set_memory_mb(static_cast<std::uint32_t>(*p.memory_mib));
  if (p.memory_limit_mib) res->set_memory_mb_max(static_cast<std::uint32_t>(*p.memory_limit_mib));

  for (auto const& [path, volume] : p.volumes) {
    auto* m = def.add_volume_mounts();
    m->set_volume_id(volume.volume_id());
    m->set_mount_path(path);
    m->set_allow_background_commits(true);
    m->set_read_only(volume.is_read_only());
    if (!volume.sub_path().empty()) m->set_sub_path(volume.sub_path());
  }
  for (auto const& [path, mount] : p.cloud_bucket_mounts) {
    auto it = ids.bucket_secret_ids.find(path);
    *def.add_cloud_bucket_mounts() = cloud_bucket_mount_to_proto(
        mount, path, it == ids.bucket_secret_ids.end() ? std::string() : it->second);
  }
  if (p.pty) {
    auto* pty = def.mutable_pty_info();
    pty->set_enabled(true);
    pty->set_winsz_rows(24);
    pty->set_winsz_cols(80);
    pty->set_env_term("xterm-256color");
    pty->set_env_colorterm("truecolor");
    pty->set_pty_type(modal::client::PTYInfo::PTY_TYPE_SHELL);
    pty->set_no_terminate_on_idle_stdin(true);
  }
  auto* ports = def.mutable_open_ports();
  for (int port : p.encrypted_ports) {
    auto* spec = ports->add_ports();
    spec->set_port(static_cast<std::uint32_t>(port));
    spec->set_unencrypted(false);
  }
  for (int port : p.h2_ports) {
    auto* spec = ports->add_ports();
    spec->set_port(static_cast<std::uint32_t>(port));
    spec->set_unencrypted(false);
    spec->set_tunnel_type(modal::client::TUNNEL_TYPE_H2);
  }
  for (int port : p.unencrypted_ports) {
    auto* spec = ports->add_ports();
    spec->set_port(static_cast<std::uint32_t>(port));
    spec->set_unencrypted(true);
  }
  def.set_cloud_provider_str(p.cloud);
  if (!p.regions.empty()) {
    for (auto const& r : p.regions) def.mutable_scheduler_placement()->add_regions(r);
  }
  def.set_verbose(p.verbose);
  def.set_enable_snapshot(p.experimental_enable_snapshot);
  if (p.proxy) def.set_proxy_id(p.proxy->proxy_id);
  if (p.readiness_probe) *def.mutable_readiness_probe() = probe_to_proto(*p.readiness_probe);
  def.set_name(p.name);
  for (auto const& [key, value] : p.experimental_options) {
    (*def.mutable_experimental_options_v2())[key] = std::holds_alternative<bool>(value)
                                                        ? (std::get<bool>(value) ? "true" : "false")
                                                        : std::get<std::string>(value);
  }
  def.set_custom_domain(p.custom_domain);
  return req;
}

}  // namespace internal

namespace {

std::chrono::milliseconds checked_interval(char const* factory, ProbeParams const& params) {
  auto const ms = params.interval.count();
  if (ms <= 0) {
    throw InvalidError(std::string(factory) + " expects interval > 0, got " + std::to_string(ms) +
                       " ms");
  }
  if (static_cast<std::uint64_t>(ms) > std::numeric_limits<std::uint32_t>::max()) {
    throw InvalidError(std::string(factory) + " interval is too large: " + std::to_string(ms) +
                       " ms");
  }
  return params.interval;
}

}  // namespace

Probe Probe::tcp(int port, ProbeParams const& params) {
  if (port < 1 || port > 65535) {
    throw InvalidError("Probe::tcp expects a port in [1, 65535], got " + std::to_string(port));
  }
  Probe probe;
  probe.interval_ = checked_interval("Probe::tcp", params);
  probe.tcp_port_ = port;
  return probe;
}

Probe Probe::exec(std::vector<std::string> argv, ProbeParams const& params) {
  if (argv.empty()) throw InvalidError("Probe::exec requires a command (argv must not be empty)");
  Probe probe;
  probe.interval_ = checked_interval("Probe::exec", params);
  probe.exec_argv_ = std::move(argv);
  return probe;
}

}  // namespace modal
