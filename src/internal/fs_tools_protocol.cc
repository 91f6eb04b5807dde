// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "internal/fs_tools_protocol.h"

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "modal/errors.h"

namespace modal::internal::fs_tools {
namespace {

using Json = nlohmann::json;

/// `{"<name>": args}` as compact JSON. Paths that are not UTF-8 cannot travel in JSON.
std::string command_json(char const* name, Json args) {
  Json j = Json::object();
  j[name] = std::move(args);
  try {
    return j.dump();
  } catch (Json::type_error const&) {
    throw InvalidError("Sandbox.filesystem: remote_path must be valid UTF-8");
  }
}

Json path_args(std::string_view path) { return Json{{"path", std::string(path)}}; }

std::string_view trim(std::string_view s) {
  auto const is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::optional<Json> parse_json(std::string_view text) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

/// Throws E with its default code; the tool's `detail` is kept as server_message(). (No
/// rpc_method(): the RPCs succeeded, the tool failed.)
template <typename E>
[[noreturn]] void raise(std::string const& what, std::string const& detail) {
  throw E(what, E(what).code(), std::string(), detail);
}

/// Upstream's mapping (identical in the Go, JS and Python SDKs): which error kinds a
/// command turns into which exception. Returns for a kind the command leaves to the
/// default branch.
void raise_mapped(Command c, std::string const& kind, std::string const& what,
                  std::string const& detail) {
  bool const read = c == Command::kReadFile;
  bool const write = c == Command::kWriteFile;
  bool const list = c == Command::kListFiles;
  bool const mkdir = c == Command::kMakeDirectory;
  bool const rm = c == Command::kRemove;
  bool const stat = c == Command::kStat;
  bool const watch = c == Command::kWatch;
  if (kind == "PermissionDenied") raise<SandboxFilesystemPermissionError>(what, detail);
  if (kind == "NotFound" && !write) raise<SandboxFilesystemNotFoundError>(what, detail);
  if (kind == "IsDirectory" && (read || write)) {
    raise<SandboxFilesystemIsADirectoryError>(what, detail);
  }
  if (kind == "IsFile" && list) raise<SandboxFilesystemNotADirectoryError>(what, detail);
  if (kind == "NotDirectory" && (write || list || mkdir || stat)) {
    raise<SandboxFilesystemNotADirectoryError>(what, detail);
  }
  if (kind == "AlreadyExists" && write) raise<SandboxFilesystemNotADirectoryError>(what, detail);
  if (kind == "PathAlreadyExists" && mkdir) {
    raise<SandboxFilesystemPathAlreadyExistsError>(what, detail);
  }
  if (kind == "DirectoryNotEmpty" && rm) {
    raise<SandboxFilesystemDirectoryNotEmptyError>(what, detail);
  }
  if (kind == "FileTooLarge" && read) raise<SandboxFilesystemFileTooLargeError>(what, detail);
  if (kind == "NotSupported" && (mkdir || rm || watch)) {
    throw InvalidError(what + " - this operation is not supported for CloudBucketMounts",
                       StatusCode::kInvalidArgument, std::string(), detail);
  }
}

[[noreturn]] void malformed(std::string const& what, std::string const& path) {
  throw SandboxFilesystemError("the filesystem tool's reply for '" + path +
                               "' is malformed: " + what);
}

template <typename T>
T field(Json const& obj, char const* key, std::string const& path) {
  auto it = obj.find(key);
  if (it == obj.end()) malformed(std::string("FileInfo has no '") + key + "'", path);
  try {
    return it->get<T>();
  } catch (Json::exception const&) {
    malformed(std::string("FileInfo's '") + key + "' has the wrong type", path);
  }
}

std::uint64_t unsigned_field(Json const& obj, char const* key, std::string const& path,
                             std::uint64_t max) {
  auto it = obj.find(key);
  if (it == obj.end()) malformed(std::string("FileInfo has no '") + key + "'", path);
  if (!it->is_number_integer() || (!it->is_number_unsigned() && it->get<std::int64_t>() < 0)) {
    malformed(std::string("FileInfo's '") + key + "' is not a non-negative integer", path);
  }
  auto const v = it->get<std::uint64_t>();
  if (v > max) malformed(std::string("FileInfo's '") + key + "' is out of range", path);
  return v;
}

FileInfo file_info(Json const& j, std::string const& path) {
  if (!j.is_object()) malformed("a FileInfo is not a JSON object", path);
  FileInfo info;
  info.name = field<std::string>(j, "name", path);
  info.path = field<std::string>(j, "path", path);
  auto const type = field<std::string>(j, "type", path);
  if (type == "file") {
    info.type = FileType::kFile;
  } else if (type == "directory") {
    info.type = FileType::kDirectory;
  } else if (type == "symlink") {
    info.type = FileType::kSymlink;
  } else {
    malformed("unknown FileInfo type '" + type + "'", path);
  }
  info.size = unsigned_field(j, "size", path, std::numeric_limits<std::uint64_t>::max());
  info.mode = static_cast<std::uint32_t>(
      unsigned_field(j, "mode", path, std::numeric_limits<std::uint32_t>::max()));
  info.permissions = field<std::string>(j, "permissions", path);
  info.owner = field<std::string>(j, "owner", path);
  info.group = field<std::string>(j, "group", path);
  auto const mtime = field<double>(j, "modified_time", path);
  // Beyond ±2^62 ns (year 2116) a time_point of nanoseconds overflows.
  if (!std::isfinite(mtime) || std::fabs(mtime) > 4.6e9) {
    malformed("FileInfo's 'modified_time' is out of range", path);
  }
  info.modified_time = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::duration<double>(mtime)));
  if (auto it = j.find("symlink_target"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) malformed("FileInfo's 'symlink_target' has the wrong type", path);
    info.symlink_target = it->get<std::string>();
  }
  return info;
}

}  // namespace

std::string read_file_command(std::string_view path) {
  return command_json("ReadFile", path_args(path));
}

std::string write_file_command(std::string_view path) {
  return command_json("WriteFile", path_args(path));
}

std::string list_files_command(std::string_view path) {
  return command_json("ListFiles", path_args(path));
}

std::string make_directory_command(std::string_view path, bool parents) {
  Json args = path_args(path);
  args["parents"] = parents;
  return command_json("MakeDirectory", std::move(args));
}

std::string remove_command(std::string_view path, bool recursive) {
  Json args = path_args(path);
  args["recursive"] = recursive;
  return command_json("Remove", std::move(args));
}

std::string stat_command(std::string_view path) { return command_json("Stat", path_args(path)); }

std::string watch_command(std::string_view path, SandboxFilesystemWatchParams const& params) {
  Json args = path_args(path);
  args["recursive"] = params.recursive;
  if (params.filter) {
    Json filter = Json::array();
    for (auto type : *params.filter) {
      switch (type) {
        case WatchEventType::kAccess:
          filter.push_back("Access");
          break;
        case WatchEventType::kCreate:
          filter.push_back("Create");
          break;
        case WatchEventType::kModify:
          filter.push_back("Modify");
          filter.push_back("Rename");
          filter.push_back("RenameFrom");
          filter.push_back("RenameTo");
          break;
        case WatchEventType::kRemove:
          filter.push_back("Remove");
          break;
        case WatchEventType::kUnknown:
          filter.push_back("Unknown");
          break;
      }
    }
    args["filter"] = std::move(filter);
  } else {
    args["filter"] = nullptr;
  }
  if (params.timeout) {
    args["timeout_secs"] =
        std::chrono::duration_cast<std::chrono::seconds>(*params.timeout).count();
  } else {
    args["timeout_secs"] = nullptr;
  }
  return command_json("Watch", std::move(args));
}

std::optional<ErrorPayload> parse_error_payload(std::string_view stderr_text) {
  auto const text = trim(stderr_text);
  if (text.empty()) return std::nullopt;
  auto j = parse_json(text);
  if (!j || !j->is_object()) return std::nullopt;
  auto kind = j->find("error_kind");
  auto message = j->find("message");
  if (kind == j->end() || !kind->is_string() || message == j->end() || !message->is_string()) {
    return std::nullopt;
  }
  ErrorPayload p{kind->get<std::string>(), message->get<std::string>(), {}};
  if (trim(p.message).empty()) return std::nullopt;
  if (auto detail = j->find("detail"); detail != j->end() && !detail->is_null()) {
    if (!detail->is_string()) return std::nullopt;
    p.detail = detail->get<std::string>();
  }
  return p;
}

void throw_tool_error(Command command, std::string const& path, int exit_code,
                      std::string_view stderr_text) {
  auto payload = parse_error_payload(stderr_text);
  if (!payload) {
    throw SandboxFilesystemError(
        "Operation on '" + path + "' failed with exit code " + std::to_string(exit_code),
        StatusCode::kUnknown, std::string(), std::string(trim(stderr_text)));
  }
  raise_mapped(command, payload->kind, payload->message + ": " + path, payload->detail);
  throw SandboxFilesystemError(payload->message, StatusCode::kUnknown, std::string(),
                               payload->detail);
}

std::vector<FileInfo> parse_file_list(std::string_view stdout_text, std::string const& path) {
  auto j = parse_json(stdout_text);
  if (!j) malformed("not JSON", path);
  if (!j->is_array()) malformed("not a JSON array", path);
  std::vector<FileInfo> out;
  out.reserve(j->size());
  for (auto const& e : *j) out.push_back(file_info(e, path));
  return out;
}

FileInfo parse_file_info(std::string_view stdout_text, std::string const& path) {
  auto j = parse_json(stdout_text);
  if (!j) malformed("not JSON", path);
  return file_info(*j, path);
}

std::optional<WatchEvent> parse_watch_line(std::string_view line, bool* malformed_line) {
  if (malformed_line != nullptr) *malformed_line = false;
  auto const text = trim(line);
  if (text.empty()) return std::nullopt;
  auto const bad = [&] {
    if (malformed_line != nullptr) *malformed_line = true;
    return std::nullopt;
  };
  auto j = parse_json(text);
  if (!j || !j->is_object()) return bad();
  auto type = j->find("event_type");
  auto paths = j->find("paths");
  if (type == j->end() || !type->is_string()) return bad();
  if (paths == j->end() || paths->is_null()) return std::nullopt;
  if (!paths->is_array()) return bad();
  WatchEvent ev;
  for (auto const& p : *paths) {
    if (!p.is_string()) return bad();
    ev.paths.push_back(p.get<std::string>());
  }
  if (ev.paths.empty()) return std::nullopt;
  auto const& t = type->get_ref<std::string const&>();
  if (t == "Access") {
    ev.type = WatchEventType::kAccess;
  } else if (t == "Create") {
    ev.type = WatchEventType::kCreate;
  } else if (t == "Modify" || t == "Rename" || t == "RenameFrom" || t == "RenameTo") {
    ev.type = WatchEventType::kModify;
  } else if (t == "Remove") {
    ev.type = WatchEventType::kRemove;
  } else {
    ev.type = WatchEventType::kUnknown;
  }
  return ev;
}

void validate_remote_path(std::string_view op, std::string_view path) {
  if (path.empty() || path.front() != '/') {
    throw InvalidError("Sandbox.filesystem." + std::string(op) +
                       "() currently only supports absolute remote_path values");
  }
}

}  // namespace modal::internal::fs_tools
