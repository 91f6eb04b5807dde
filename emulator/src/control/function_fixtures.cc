// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "control/function_fixtures.h"

#include <chrono>
#include <cmath>
#include <exception>
#include <optional>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "internal/cbor.h"
#include "modal/errors.h"
#include "server/core.h"

namespace modal::emulator {
namespace {

using modal::Value;
using modal::client::GenericResult;

/// A Python-side exception raised by a body.
struct PyError {
  std::string type;
  std::string message;
};

FunctionOutcome fail(PyError const& e) {
  return FunctionOutcome::failed(GenericResult::GENERIC_STATUS_FAILURE,
                                 python_exception(e.type, e.message));
}

/// The call's arguments bound to `names` (no defaults), or the TypeError.
std::vector<Value> bind(std::string const& fn, std::vector<std::string> const& names,
                        std::vector<Value> const& args,
                        std::map<std::string, Value> const& kwargs) {
  if (args.size() > names.size()) {
    throw PyError{"TypeError", absl::StrCat(fn, "() takes ", names.size(), " positional argument",
                                            names.size() == 1 ? "" : "s", " but ", args.size(),
                                            args.size() == 1 ? " was" : " were", " given")};
  }
  std::vector<std::optional<Value>> bound(names.size());
  for (std::size_t i = 0; i < args.size(); ++i) bound[i] = args[i];
  for (auto const& [k, v] : kwargs) {
    auto it = std::find(names.begin(), names.end(), k);
    if (it == names.end()) {
      throw PyError{"TypeError",
                    absl::StrCat(fn, "() got an unexpected keyword argument '", k, "'")};
    }
    auto const i = static_cast<std::size_t>(it - names.begin());
    if (bound[i]) {
      throw PyError{"TypeError", absl::StrCat(fn, "() got multiple values for argument '", k, "'")};
    }
    bound[i] = v;
  }
  std::vector<Value> out;
  std::vector<std::string> missing;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (!bound[i]) {
      missing.push_back("'" + names[i] + "'");
    } else {
      out.push_back(*bound[i]);
    }
  }
  if (!missing.empty()) {
    std::string list;
    for (std::size_t i = 0; i < missing.size(); ++i) {
      if (i > 0) list += i + 1 == missing.size() ? " and " : ", ";
      list += missing[i];
    }
    throw PyError{"TypeError",
                  absl::StrCat(fn, "() missing ", missing.size(), " required positional argument",
                               missing.size() == 1 ? "" : "s", ": ", list)};
  }
  return out;
}

/// "output: " + s, as Python's str concatenation.
Value echo(Value const& s) {
  if (!s.is_string()) {
    throw PyError{"TypeError", absl::StrCat("can only concatenate str (not \"",
                                            std::string(s.type_name()), "\") to str")};
  }
  return Value("output: " + s.as_string());
}

/// A body of (args, kwargs, invocation, stop) -> result, wrapped with CBOR decoding and
/// encoding and Python errors.
using Impl = std::function<Value(std::vector<Value> const&, std::map<std::string, Value> const&,
                                 FunctionInvocation const&, std::stop_token const&)>;

FunctionBody cbor_body(Impl impl) {
  return [impl = std::move(impl)](FunctionInvocation const& inv,
                                  std::stop_token const& stop) -> FunctionOutcome {
    if (inv.data_format != modal::client::DATA_FORMAT_CBOR) {
      return FunctionOutcome::failed(
          GenericResult::GENERIC_STATUS_FAILURE,
          python_exception("DeserializationError",
                           "the emulator's Functions take DATA_FORMAT_CBOR inputs only"));
    }
    std::vector<Value> args;
    std::map<std::string, Value> kwargs;
    try {
      Value payload = modal::internal::cbor_decode(inv.payload);
      if (!payload.is_list() && !payload.is_tuple()) throw PyError{"DeserializationError", ""};
      if (payload.size() != 2) throw PyError{"DeserializationError", ""};
      args = payload.at(0).items();
      kwargs = payload.at(1).as_map();
    } catch (PyError const&) {
      return fail({"DeserializationError", "the input is not a CBOR [args, kwargs] array"});
    } catch (std::exception const& e) {
      return fail({"DeserializationError", std::string("cannot decode the input: ") + e.what()});
    }
    try {
      Value result = impl(args, kwargs, inv, stop);
      if (stop.stop_requested()) {
        return FunctionOutcome::failed(GenericResult::GENERIC_STATUS_TERMINATED,
                                       "Function call was cancelled");
      }
      return FunctionOutcome::cbor(modal::internal::cbor_encode(result));
    } catch (PyError const& e) {
      return fail(e);
    } catch (std::exception const& e) {
      return fail({"SerializationError", e.what()});
    }
  };
}

Impl echo_string_impl(std::string fn) {
  return [fn = std::move(fn)](auto const& args, auto const& kwargs, auto const&, auto const&) {
    return echo(bind(fn, {"s"}, args, kwargs)[0]);
  };
}

Value sleep_for(Value const& t, std::stop_token const& stop) {
  double secs = 0;
  if (t.is_int() && t.fits_int64()) {
    secs = static_cast<double>(t.as_int());
  } else if (t.is_float()) {
    secs = t.as_float();
  } else {
    throw PyError{"TypeError", absl::StrCat("'", std::string(t.type_name()),
                                            "' object cannot be interpreted as an integer")};
  }
  if (std::isnan(secs) || secs < 0) {
    throw PyError{"ValueError", "sleep length must be non-negative"};
  }
  auto const until = std::chrono::steady_clock::now() +
                     std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                         std::chrono::duration<double>(std::min(secs, 1e7)));
  while (!stop.stop_requested() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        std::chrono::milliseconds(10), until - std::chrono::steady_clock::now()));
  }
  return Value();
}

Value length_of(Value const& v) {
  switch (v.kind()) {
    case Value::Kind::kBytes:
    case Value::Kind::kList:
    case Value::Kind::kTuple:
    case Value::Kind::kDict:
      return Value(static_cast<std::int64_t>(v.size()));
    case Value::Kind::kString: {
      std::int64_t n = 0;  // code points
      for (unsigned char const c : v.as_string()) n += (c & 0xC0) != 0x80 ? 1 : 0;
      return Value(n);
    }
    default:
      break;
  }
  throw PyError{"TypeError",
                absl::StrCat("object of type '", std::string(v.type_name()), "' has no len()")};
}

/// print_lines(out, err): prints out[0] to stdout, err[0] to stderr, out[1], err[1], ...
/// (each as Python's print does, with a newline); answers how many lines it printed.
Value print_lines(Value const& out, Value const& err, FunctionInvocation const& inv) {
  auto const lines = [](Value const& v, char const* name) {
    if (!v.is_list() && !v.is_tuple()) {
      throw PyError{"TypeError",
                    absl::StrCat(name, " must be a list of str, not ", std::string(v.type_name()))};
    }
    std::vector<std::string> result;
    for (auto const& item : v.items()) {
      if (!item.is_string()) {
        throw PyError{"TypeError", absl::StrCat(name, " must be a list of str, not of ",
                                                std::string(item.type_name()))};
      }
      result.push_back(item.as_string());
    }
    return result;
  };
  auto const o = lines(out, "out");
  auto const e = lines(err, "err");
  std::int64_t printed = 0;
  for (std::size_t i = 0; i < std::max(o.size(), e.size()); ++i) {
    if (i < o.size() && inv.print) inv.print(modal::client::FILE_DESCRIPTOR_STDOUT, o[i] + "\n");
    if (i < e.size() && inv.print) inv.print(modal::client::FILE_DESCRIPTOR_STDERR, e[i] + "\n");
    printed += (i < o.size() ? 1 : 0) + (i < e.size() ? 1 : 0);
  }
  return Value(printed);
}

FunctionDef plain(std::string tag, Impl impl) {
  FunctionDef d;
  d.app = kTestSupportApp;
  d.tag = std::move(tag);
  d.body = cbor_body(std::move(impl));
  return d;
}

FunctionDef echo_class(std::string const& name, bool input_plane) {
  FunctionDef d;
  d.app = kTestSupportApp;
  d.tag = name + ".*";
  d.is_class = true;
  d.methods = {{"echo_string", input_plane}};
  auto method_fn = name + ".echo_string";
  d.body = cbor_body(
      [method_fn](auto const& args, auto const& kwargs, auto const& inv, auto const&) -> Value {
        if (inv.method != "echo_string") {
          throw PyError{"AttributeError", absl::StrCat("no method '", inv.method, "'")};
        }
        return echo(bind("echo_string", {"s"}, args, kwargs)[0]);
      });
  return d;
}

FunctionDef parametrized_class() {
  FunctionDef d;
  d.app = kTestSupportApp;
  d.tag = "EchoClsParametrized.*";
  d.is_class = true;
  d.methods = {{"echo_parameter", false}, {"echo_env_var", false}};
  modal::client::ClassParameterSpec spec;
  spec.set_name("name");
  spec.set_type(modal::client::PARAM_TYPE_STRING);
  spec.set_has_default(true);
  spec.set_string_default("test");
  d.parameters.push_back(spec);
  d.body = cbor_body([](auto const& args, auto const& kwargs, FunctionInvocation const& inv,
                        auto const&) -> Value {
    if (inv.method == "echo_parameter") {
      bind("echo_parameter", {}, args, kwargs);
      auto it = inv.params.find("name");
      return echo(it == inv.params.end() ? Value("test") : it->second);
    }
    if (inv.method == "echo_env_var") {
      Value const var = bind("echo_env_var", {"var_name"}, args, kwargs)[0];
      if (!var.is_string()) {
        throw PyError{"TypeError",
                      absl::StrCat("str expected, not ", std::string(var.type_name()))};
      }
      auto it = inv.env.find(var.as_string());
      std::string const value = it == inv.env.end() ? "[not set]" : it->second;
      return Value(absl::StrCat("output: ", var.as_string(), "='", value, "'"));
    }
    throw PyError{"AttributeError",
                  absl::StrCat("'EchoClsParametrized' object has no attribute '", inv.method, "'")};
  });
  return d;
}

}  // namespace

std::string python_exception(std::string_view type, std::string const& message) {
  return absl::StrCat(std::string(type), "(", Value(message).repr(), ")");
}

absl::Status add_test_support_fixtures(FunctionStore& store) {
  std::vector<FunctionDef> defs;
  defs.push_back(plain("echo_string", echo_string_impl("echo_string")));
  defs.push_back(plain("identity_with_repr",
                       [](auto const& args, auto const& kwargs, auto const&, auto const&) {
                         Value const s = bind("identity_with_repr", {"s"}, args, kwargs)[0];
                         return Value::tuple({s, Value(s.repr())});
                       }));
  defs.push_back(plain(
      "sleep", [](auto const& args, auto const& kwargs, auto const&, std::stop_token const& stop) {
        return sleep_for(bind("sleep", {"t"}, args, kwargs)[0], stop);
      }));
  defs.push_back(
      plain("print_lines", [](auto const& args, auto const& kwargs, auto const& inv, auto const&) {
        auto const a = bind("print_lines", {"out", "err"}, args, kwargs);
        return print_lines(a[0], a[1], inv);
      }));
  defs.push_back(
      plain("bytelength", [](auto const& args, auto const& kwargs, auto const&, auto const&) {
        return length_of(bind("bytelength", {"buf"}, args, kwargs)[0]);
      }));
  FunctionDef ip = plain("input_plane", echo_string_impl("input_plane"));
  ip.input_plane = true;
  ip.input_plane_region = "us-west";
  defs.push_back(std::move(ip));
  defs.push_back(echo_class("EchoCls", false));
  FunctionDef ipc = echo_class("EchoClsInputPlane", true);
  ipc.input_plane_region = "us-west";
  defs.push_back(std::move(ipc));
  defs.push_back(parametrized_class());
  FunctionDef web = plain("web_endpoint_echo", echo_string_impl("web_endpoint_echo"));
  web.web = true;
  defs.push_back(std::move(web));
  FunctionDef old = plain("identity_with_repr",
                          [](auto const& args, auto const& kwargs, auto const&, auto const&) {
                            Value const s = bind("identity_with_repr", {"s"}, args, kwargs)[0];
                            return Value::tuple({s, Value(s.repr())});
                          });
  old.app = "test-support-1-1";
  old.cbor = false;
  defs.push_back(std::move(old));
  for (auto& d : defs) {
    auto st = store.add(std::move(d));
    if (!st.ok()) return st.status();
  }
  return absl::OkStatus();
}

std::pair<int, std::string> serve_web_endpoint(Core& core, std::string const& app,
                                               std::string const& function,
                                               std::map<std::string, std::string> const& query) {
  auto def = core.functions().lookup("", app, function);
  if (!def.ok() || !(*def)->web || !(*def)->body) {
    return {404, nlohmann::json(std::string("not found")).dump()};
  }
  std::map<std::string, Value> kwargs;
  for (auto const& [k, v] : query) kwargs.emplace(k, Value(v));
  FunctionInvocation inv;
  inv.function_id = (*def)->id;
  inv.data_format = modal::client::DATA_FORMAT_CBOR;
  inv.payload = modal::internal::cbor_encode_call({}, kwargs);
  std::stop_source never;
  FunctionOutcome out = (*def)->body(inv, never.get_token());
  if (out.status != GenericResult::GENERIC_STATUS_SUCCESS) {
    return {422, nlohmann::json({{"detail", out.exception}}).dump()};
  }
  Value const v = modal::internal::cbor_decode(out.data);
  if (v.is_string()) return {200, nlohmann::json(v.as_string()).dump()};
  return {200, nlohmann::json(v.repr()).dump()};
}

}  // namespace modal::emulator
