// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// Function and Cls options (with_options / with_concurrency / with_batching), their
// FunctionOptions proto, class parameters and FunctionBindParams.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>

#include "internal/client_state.h"
#include "internal/function_state.h"
#include "internal/sandbox_params.h"
#include "internal/secret_state.h"
#include "internal/validation.h"
#include "modal/errors.h"

namespace modal::internal {
namespace {

std::string fmt_double(double d) {
  std::string s = std::to_string(d);
  while (s.size() > 1 && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

std::string describe_ms(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + " s";
  return std::to_string(d.count()) + " ms";
}

/// A duration sent in whole seconds of at least 1 s.
std::uint32_t whole_seconds(char const* what, std::chrono::milliseconds d) {
  if (d < std::chrono::seconds(1)) {
    throw InvalidError(std::string(what) + " must be at least 1 second, got " + describe_ms(d));
  }
  if (d.count() % 1000 != 0) {
    throw InvalidError(std::string(what) + " must be a whole number of seconds, got " +
                       describe_ms(d));
  }
  auto const s = d.count() / 1000;
  if (s > std::numeric_limits<std::uint32_t>::max()) {
    throw InvalidError(std::string(what) + " is too long: " + describe_ms(d));
  }
  return static_cast<std::uint32_t>(s);
}

std::uint32_t count(char const* what, int n, int min = 0) {
  if (n < min) {
    throw InvalidError(std::string(what) + " must be at least " + std::to_string(min) + ", got " +
                       std::to_string(n));
  }
  return static_cast<std::uint32_t>(n);
}

template <typename T>
void take(std::optional<T>& into, std::optional<T> const& from) {
  if (from) into = from;
}

}  // namespace

bool FunctionOptions::any() const {
  return cpu || cpu_limit || memory_mib || memory_limit_mib || gpu || env || secrets || volumes ||
         retries || max_containers || buffer_containers || scaledown_window || timeout ||
         max_concurrent_inputs || target_concurrent_inputs || batch_max_size || batch_wait ||
         routing_region;
}

FunctionOptions merge_options(FunctionOptions const& base, FunctionOptions const& over) {
  FunctionOptions m = base;
  take(m.cpu, over.cpu);
  take(m.cpu_limit, over.cpu_limit);
  take(m.memory_mib, over.memory_mib);
  take(m.memory_limit_mib, over.memory_limit_mib);
  take(m.gpu, over.gpu);
  take(m.env, over.env);
  take(m.secrets, over.secrets);
  take(m.volumes, over.volumes);
  take(m.retries, over.retries);
  take(m.max_containers, over.max_containers);
  take(m.buffer_containers, over.buffer_containers);
  take(m.scaledown_window, over.scaledown_window);
  take(m.timeout, over.timeout);
  take(m.max_concurrent_inputs, over.max_concurrent_inputs);
  take(m.target_concurrent_inputs, over.target_concurrent_inputs);
  take(m.batch_max_size, over.batch_max_size);
  take(m.batch_wait, over.batch_wait);
  take(m.routing_region, over.routing_region);
  return m;
}

FunctionOptions options_of(FunctionWithOptionsParams const& p) {
  FunctionOptions o;
  o.cpu = p.cpu;
  o.cpu_limit = p.cpu_limit;
  o.memory_mib = p.memory_mib;
  o.memory_limit_mib = p.memory_limit_mib;
  o.gpu = p.gpu;
  if (!p.env.empty()) o.env = p.env;
  if (!p.secrets.empty()) o.secrets = p.secrets;
  if (!p.volumes.empty()) o.volumes = p.volumes;
  o.retries = p.retries;
  o.max_containers = p.max_containers;
  o.buffer_containers = p.buffer_containers;
  o.scaledown_window = p.scaledown_window;
  o.timeout = p.timeout;
  o.routing_region = p.routing_region;
  return o;
}

FunctionOptions options_of(FunctionWithConcurrencyParams const& p) {
  FunctionOptions o;
  o.max_concurrent_inputs = p.max_inputs;
  o.target_concurrent_inputs = p.target_inputs;
  return o;
}

FunctionOptions options_of(FunctionWithBatchingParams const& p) {
  FunctionOptions o;
  o.batch_max_size = p.max_batch_size;
  o.batch_wait = p.wait;
  return o;
}

void validate_retries(Retries const& r) {
  if (r.max_retries < 0 || r.max_retries > 10) {
    throw InvalidError("invalid max_retries: " + std::to_string(r.max_retries) +
                       ". Must be between 0 and 10");
  }
  if (!(r.backoff_coefficient >= 1.0 && r.backoff_coefficient <= 10.0)) {
    throw InvalidError("invalid backoff_coefficient: " + fmt_double(r.backoff_coefficient) +
                       ". Must be between 1.0 and 10.0");
  }
  if (r.initial_delay < std::chrono::milliseconds(0) ||
      r.initial_delay > std::chrono::seconds(60)) {
    throw InvalidError("invalid initial_delay: " + describe_ms(r.initial_delay) +
                       ". Must be between 0 and 60 s");
  }
  if (r.max_delay < std::chrono::seconds(1) || r.max_delay > std::chrono::seconds(60)) {
    throw InvalidError("invalid max_delay: " + describe_ms(r.max_delay) +
                       ". Must be between 1 s and 60 s");
  }
}

void validate_options(FunctionOptions const& o) { (void)build_function_options_proto(o, {}); }

modal::client::FunctionOptions build_function_options_proto(
    FunctionOptions const& o, std::vector<std::string> const& secret_ids) {
  modal::client::FunctionOptions out;
  if (o.cpu || o.cpu_limit || o.memory_mib || o.memory_limit_mib || o.gpu) {
    auto* res = out.mutable_resources();
    if (!o.cpu && o.cpu_limit) {
      throw InvalidError("cpu_limit needs a cpu request: set cpu too");
    }
    if (o.cpu) {
      if (!(*o.cpu > 0)) {
        throw InvalidError("the cpu request (" + fmt_double(*o.cpu) +
                           ") must be a positive number");
      }
      res->set_milli_cpu(static_cast<std::uint32_t>(*o.cpu * 1000));
      if (o.cpu_limit) {
        if (*o.cpu_limit < *o.cpu) {
          throw InvalidError("the cpu request (" + fmt_double(*o.cpu) +
                             ") cannot be higher than cpu_limit (" + fmt_double(*o.cpu_limit) +
                             ")");
        }
        res->set_milli_cpu_max(static_cast<std::uint32_t>(*o.cpu_limit * 1000));
      }
    }
    if (!o.memory_mib && o.memory_limit_mib) {
      throw InvalidError("memory_limit_mib needs a memory request: set memory_mib too");
    }
    if (o.memory_mib) {
      if (*o.memory_mib <= 0) {
        throw InvalidError("the memory_mib request (" + std::to_string(*o.memory_mib) +
                           ") must be a positive number");
      }
      res->set_memory_mb(static_cast<std::uint32_t>(*o.memory_mib));
      if (o.memory_limit_mib) {
        if (*o.memory_limit_mib < *o.memory_mib) {
          throw InvalidError("the memory_mib request (" + std::to_string(*o.memory_mib) +
                             ") cannot be higher than memory_limit_mib (" +
                             std::to_string(*o.memory_limit_mib) + ")");
        }
        res->set_memory_mb_max(static_cast<std::uint32_t>(*o.memory_limit_mib));
      }
    }
    if (o.gpu) *res->mutable_gpu_config() = parse_gpu_config(*o.gpu);
  }
  if (o.env) {
    for (auto const& [k, v] : *o.env) {
      if (!is_env_var_name(k)) {
        throw InvalidError("invalid environment variable name '" + k +
                           "': names must match [A-Za-z_][A-Za-z0-9_]*");
      }
    }
  }
  for (auto const& id : secret_ids) out.add_secret_ids(id);
  if (!secret_ids.empty()) out.set_replace_secret_ids(true);
  if (o.volumes) {
    for (auto const& [path, volume] : *o.volumes) {
      if (path.empty() || path.front() != '/') {
        throw InvalidError("Volume mount path '" + path + "' must be absolute");
      }
      auto* m = out.add_volume_mounts();
      m->set_volume_id(volume.volume_id());
      m->set_mount_path(path);
      m->set_allow_background_commits(true);
      m->set_read_only(volume.is_read_only());
      if (!volume.sub_path().empty()) m->set_sub_path(volume.sub_path());
    }
    if (out.volume_mounts_size() > 0) out.set_replace_volume_mounts(true);
  }
  if (o.retries) {
    validate_retries(*o.retries);
    auto* rp = out.mutable_retry_policy();
    rp->set_retries(static_cast<std::uint32_t>(o.retries->max_retries));
    rp->set_backoff_coefficient(static_cast<float>(o.retries->backoff_coefficient));
    rp->set_initial_delay_ms(static_cast<std::uint32_t>(o.retries->initial_delay.count()));
    rp->set_max_delay_ms(static_cast<std::uint32_t>(o.retries->max_delay.count()));
  }
  if (o.max_containers) out.set_concurrency_limit(count("max_containers", *o.max_containers));
  if (o.buffer_containers) {
    out.set_buffer_containers(count("buffer_containers", *o.buffer_containers));
  }
  if (o.scaledown_window) {
    out.set_task_idle_timeout_secs(whole_seconds("scaledown_window", *o.scaledown_window));
  }
  if (o.timeout) out.set_timeout_secs(whole_seconds("timeout", *o.timeout));
  if (o.max_concurrent_inputs) {
    out.set_max_concurrent_inputs(count("max_inputs", *o.max_concurrent_inputs, 1));
  }
  if (o.target_concurrent_inputs) {
    auto const t = count("target_inputs", *o.target_concurrent_inputs, 1);
    if (o.max_concurrent_inputs && *o.target_concurrent_inputs > *o.max_concurrent_inputs) {
      throw InvalidError("target_inputs (" + std::to_string(t) +
                         ") cannot be higher than max_inputs (" +
                         std::to_string(*o.max_concurrent_inputs) + ")");
    }
    out.set_target_concurrent_inputs(t);
  }
  if (o.batch_max_size) out.set_batch_max_size(count("max_batch_size", *o.batch_max_size, 1));
  if (o.batch_wait) {
    if (o.batch_wait->count() < 0) {
      throw InvalidError("batching wait must not be negative, got " + describe_ms(*o.batch_wait));
    }
    out.set_batch_linger_ms(static_cast<std::uint64_t>(o.batch_wait->count()));
  }
  if (o.routing_region) out.set_routing_region(*o.routing_region);
  return out;
}

std::string encode_parameter_set(
    google::protobuf::RepeatedPtrField<modal::client::ClassParameterSpec> const& schema,
    std::map<std::string, Value> const& params) {
  namespace mc = modal::client;
  for (auto const& entry : params) {
    std::string const& name = entry.first;
    bool const known =
        std::any_of(schema.begin(), schema.end(),
                    [&](mc::ClassParameterSpec const& s) { return s.name() == name; });
    if (!known) {
      std::string names;
      for (auto const& s : schema) names += (names.empty() ? "'" : ", '") + s.name() + "'";
      throw InvalidError(
          "unknown class parameter '" + name + "'" +
          (names.empty() ? std::string(": the class takes none") : "; the class takes " + names));
    }
  }
  std::vector<mc::ClassParameterValue> values;
  values.reserve(static_cast<std::size_t>(schema.size()));
  for (auto const& spec : schema) {
    mc::ClassParameterValue v;
    v.set_name(spec.name());
    v.set_type(spec.type());
    auto const it = params.find(spec.name());
    Value const* given = it == params.end() ? nullptr : &it->second;
    auto wrong = [&](char const* want) {
      return InvalidError("class parameter '" + spec.name() + "' must be a " + want + ", got " +
                          std::string(given->type_name()));
    };
    auto missing = [&](char const* want) {
      return InvalidError("missing class parameter '" + spec.name() + "' (" + want +
                          ", no default)");
    };
    switch (spec.type()) {
      case mc::PARAM_TYPE_STRING:
        if (given) {
          if (!given->is_string()) throw wrong("str");
          v.set_string_value(given->as_string());
        } else if (spec.has_default()) {
          v.set_string_value(spec.string_default());
        } else {
          throw missing("str");
        }
        break;
      case mc::PARAM_TYPE_INT:
        if (given) {
          if (!given->is_int()) throw wrong("int");
          v.set_int_value(given->as_int());  // InvalidError beyond 64 bits
        } else if (spec.has_default()) {
          v.set_int_value(spec.int_default());
        } else {
          throw missing("int");
        }
        break;
      case mc::PARAM_TYPE_BOOL:
        if (given) {
          if (!given->is_bool()) throw wrong("bool");
          v.set_bool_value(given->as_bool());
        } else if (spec.has_default()) {
          v.set_bool_value(spec.bool_default());
        } else {
          throw missing("bool");
        }
        break;
      case mc::PARAM_TYPE_BYTES:
        if (given) {
          if (!given->is_bytes()) throw wrong("bytes");
          v.set_bytes_value(given->as_bytes());
        } else if (spec.has_default()) {
          v.set_bytes_value(spec.bytes_default());
        } else {
          throw missing("bytes");
        }
        break;
      default:
        throw InvalidError("class parameter '" + spec.name() + "' has type " +
                           mc::ParameterType_Name(spec.type()) +
                           ", which this SDK cannot send (str, int, bool and bytes only)");
    }
    values.push_back(std::move(v));
  }
  // Sorted by name, as Python's SerializeToString(deterministic=True) of the set.
  std::sort(values.begin(), values.end(),
            [](auto const& a, auto const& b) { return a.name() < b.name(); });
  mc::ClassParameterSet set;
  for (auto& v : values) *set.add_parameters() = std::move(v);
  std::string out;
  set.SerializeToString(&out);
  return out;
}

modal::client::FunctionBindParamsResponse bind_parameters(
    ClientState& client, std::string const& function_id, FunctionOptions const& options,
    google::protobuf::RepeatedPtrField<modal::client::ClassParameterSpec> const& schema,
    std::map<std::string, Value> const& params) {
  validate_options(options);
  auto const serialized = encode_parameter_set(schema, params);
  std::vector<std::string> secret_ids;
  if (options.secrets) {
    for (auto const& s : *options.secrets) secret_ids.push_back(SecretState::ensure_id(s));
  }
  if (options.env && !options.env->empty()) {
    for (auto const& [k, v] : *options.env) client.redactor().add(v);
    secret_ids.push_back(
        SecretState::create_ephemeral(client, client.environment(""), *options.env));
  }
  modal::client::FunctionBindParamsRequest req;
  req.set_function_id(function_id);
  req.set_serialized_params(serialized);
  *req.mutable_function_options() = build_function_options_proto(options, secret_ids);
  req.set_environment_name(client.environment(""));
  auto resp = client.call(rpc::FunctionBindParams, req);
  if (resp.bound_function_id().empty()) {
    throw Error("FunctionBindParams returned no bound function id", StatusCode::kInternal,
                std::string(rpc::FunctionBindParams.name));
  }
  return resp;
}

}  // namespace modal::internal
