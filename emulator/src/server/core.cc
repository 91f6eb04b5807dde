// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "server/core.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>
#include <stdexcept>
#include <utility>

#include <google/protobuf/any.pb.h>

#include "absl/strings/str_cat.h"
#include "control/function_fixtures.h"
#include "control/function_runner.h"
#include "control/image_build.h"
#include "control/user_functions.h"
#include "internal/pickle.h"
#include "modal_proto/api.pb.h"
#include "runtime/image_unpack.h"
#include "runtime/runtime.h"
#include "runtime/tree_copy.h"
#include "runtime/volume_tree.h"
#include "server/ids.h"
#include "store/sandbox_registry.h"

namespace modal::emulator {

grpc::Status fault_status(Fault const& fault) {
  auto const code = static_cast<grpc::StatusCode>(fault.code);
  if (!fault.retry_after_secs.has_value()) return grpc::Status(code, fault.message);
  modal::client::RPCRetryPolicy policy;
  policy.set_retry_after_secs(static_cast<float>(*fault.retry_after_secs));
  modal::client::RPCStatus rpc_status;
  rpc_status.set_code(fault.code);
  rpc_status.set_message(fault.message);
  // PackFrom uses the "type.googleapis.com/" prefix: the type_url becomes
  // "type.googleapis.com/modal.client.RPCRetryPolicy".
  rpc_status.add_details()->PackFrom(policy);
  return grpc::Status(code, fault.message, rpc_status.SerializeAsString());
}

namespace {

bool is_executable_file(std::string const& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

/// EmulatorOptions::fs_tools_path as an absolute path, else the tool installed with the
/// emulator or built with it ("" when neither exists).
std::string fs_tools_executable(std::string const& configured) {
  if (!configured.empty()) {
    if (!is_executable_file(configured)) {
      throw std::invalid_argument("EmulatorOptions::fs_tools_path: '" + configured +
                                  "' is not an executable file");
    }
    return std::filesystem::absolute(configured).string();
  }
  for (char const* candidate : {MODAL_FS_TOOLS_INSTALLED, MODAL_FS_TOOLS_BUILT}) {
    if (is_executable_file(candidate)) return candidate;
  }
  return "";
}

}  // namespace

namespace {

/// EmulatorOptions that Core checks (std::invalid_argument).
EmulatorOptions&& validated(EmulatorOptions&& options) {
  if (options.ephemeral_timeout.count() <= 0) {
    throw std::invalid_argument("EmulatorOptions::ephemeral_timeout must be positive");
  }
  if (options.queue_max_partition_items <= 0) {
    throw std::invalid_argument("EmulatorOptions::queue_max_partition_items must be positive");
  }
  if (!options.state_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options.state_dir, ec);
    if (ec || !std::filesystem::is_directory(options.state_dir, ec)) {
      throw std::invalid_argument("EmulatorOptions::state_dir: cannot create '" +
                                  options.state_dir + "'" + (ec ? ": " + ec.message() : ""));
    }
    // Canonical: Sandboxes must not see it (runtime::RuntimeOptions::hidden_dirs), and
    // the tmpfs that hides it goes where the path leads.
    options.state_dir = std::filesystem::canonical(options.state_dir, ec).string();
    if (ec) throw std::invalid_argument("EmulatorOptions::state_dir: " + ec.message());
    if (options.state_dir == "/") {
      throw std::invalid_argument("EmulatorOptions::state_dir: must not be /");
    }
  }
  for (auto& [bucket, dir] : options.buckets) {
    std::error_code ec;
    if (bucket.empty()) throw std::invalid_argument("EmulatorOptions::buckets: empty bucket name");
    if (!std::filesystem::is_directory(dir, ec)) {
      throw std::invalid_argument(absl::StrCat("EmulatorOptions::buckets: '", dir, "' (bucket '",
                                               bucket, "') is not a directory"));
    }
    dir = std::filesystem::absolute(dir).lexically_normal().string();
  }
  return std::move(options);
}

QueueLimits queue_limits(EmulatorOptions const& options) {
  QueueLimits limits;
  limits.max_partition_items = static_cast<std::size_t>(options.queue_max_partition_items);
  return limits;
}

}  // namespace

Core::Core(EmulatorOptions options)
    : options_(validated(std::move(options))), queue_items_(queue_limits(options_)) {
  // A queue's items go with it (QueueDelete, ephemeral expiry).
  queues_.set_on_remove([this](QueueRecord const& rec) { queue_items_.drop(rec.id); });
  // A Volume's directory goes with it (VolumeDelete, ephemeral expiry). Renamed first, so
  // that its path is gone at once; Sandboxes that mount it keep their (dead) mount.
  volumes_.set_on_remove([this](VolumeRecord const& rec) {
    if (rec.dir.empty() || ::access(rec.dir.c_str(), F_OK) != 0) return;
    std::string const trash = rec.dir + ".deleted";
    std::string const doomed = ::rename(rec.dir.c_str(), trash.c_str()) == 0 ? trash : rec.dir;
    if (auto st = runtime::remove_tree(doomed); !st.ok()) {
      log(absl::StrCat("Volume ", rec.id, ": cannot remove ", doomed, ": ", st.message()));
    }
  });
  std::vector<std::string> hidden;  // Sandboxes never see the state directory
  if (!options_.state_dir.empty()) hidden.push_back(options_.state_dir);
  sandboxes_ = std::make_unique<SandboxRegistry>(
      [this](std::string_view line) { log(line); },
      SandboxRegistry::Options{.unsafe_host_filesystem = options_.unsafe_host_filesystem,
                               .fs_tools = fs_tools_executable(options_.fs_tools_path),
                               .hidden_dirs = std::move(hidden)});
  if (!options_.state_dir.empty()) open_state();
  seed(options_);
  map_images(options_.images);
  preload(options_.environments);
  image_builder_ = std::make_unique<ImageBuilder>(*this);
  if (auto st = add_test_support_fixtures(functions_); !st.ok()) {
    throw std::invalid_argument(std::string(st.message()));
  }
  function_runner_ = std::make_unique<FunctionRunner>(*this);
  // First: running inputs stop (their Sandboxes are killed) before the rest goes.
  shutdown_hooks_.emplace_back([this] { function_runner_->stop(); });
  shutdown_hooks_.emplace_back([this] { logs_.shutdown(); });  // streams answer app_done
  shutdown_hooks_.emplace_back([this] { sandboxes_->shutdown(); });
  // After the sandboxes: their processes are gone, so running builds end at once.
  shutdown_hooks_.emplace_back([this] { image_builder_->stop(); });
  shutdown_hooks_.emplace_back([this] {
    queue_items_.shutdown();  // blocked QueueGet / QueueNextItems return
    stop_sweeper();
  });
  start_sweeper();
}

std::chrono::milliseconds Core::sweep_interval(std::chrono::milliseconds ephemeral_timeout) {
  return std::clamp<std::chrono::milliseconds>(
      ephemeral_timeout / 10, std::chrono::milliseconds(10), std::chrono::seconds(60));
}

void Core::sweep() {
  auto const timeout = options_.ephemeral_timeout;
  for (auto const& id : queues_.expire_idle(timeout)) log("ephemeral Queue " + id + " expired");
  for (auto const& id : volumes_.expire_idle(timeout)) log("ephemeral Volume " + id + " expired");
  queue_items_.sweep_expired();
}

void Core::open_state() {
  std::string const& dir = options_.state_dir;
  auto const fail = [&](std::string const& why) {
    throw std::invalid_argument(absl::StrCat("state directory ", dir, ": ", why));
  };
  std::string const lock_path = dir + "/lock";
  state_lock_.reset(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!state_lock_) fail(absl::StrCat("open ", lock_path, ": ", std::strerror(errno)));
  if (::flock(state_lock_.get(), LOCK_EX | LOCK_NB) != 0) {
    fail(errno == EWOULDBLOCK ? std::string("another modal-emulator uses it")
                              : absl::StrCat("flock: ", std::strerror(errno)));
  }
  for (char const* sub : {"/volumes", "/layers", "/images"}) {
    std::string const path = dir + sub;
    if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
      fail(absl::StrCat("mkdir ", path, ": ", std::strerror(errno)));
    }
  }
  {
    std::lock_guard lock(volume_root_mu_);
    volume_root_ = dir + "/volumes";
  }
  // Replayed records get what is not journaled: a Volume its directory, a Queue its items.
  volumes_.set_on_restore([this](VolumeRecord& rec) {
    rec.dir = absl::StrCat(volume_root_, "/", rec.id);
    if (::mkdir(rec.dir.c_str(), 0777) == 0) (void)::chmod(rec.dir.c_str(), 0777);
  });
  queues_.set_on_restore([this](QueueRecord& rec) { queue_items_.create(rec.id); });
  restore_layers();
  auto journal = Journal::open(
      dir + "/journal", [this](nlohmann::json const& change) { return apply_change(change); },
      [this](std::string_view line) { log(line); });
  if (!journal.ok()) fail(std::string(journal.status().message()));
  journal_ = *std::move(journal);
  remove_stray_volume_dirs();
  std::vector<nlohmann::json> snapshot;
  environments_.snapshot(snapshot);
  apps_.snapshot(snapshot);
  secrets_.snapshot(snapshot);
  volumes_.snapshot(snapshot);
  proxies_.snapshot(snapshot);
  queues_.snapshot(snapshot);
  queue_items_.snapshot(snapshot);
  images_.snapshot(snapshot);
  if (auto st = journal_->rewrite(snapshot); !st.ok()) fail(std::string(st.message()));
  remove_unused_layers(snapshot);
  ChangeLog* log = journal_.get();
  environments_.set_change_log(log);
  apps_.set_change_log(log);
  secrets_.set_change_log(log);
  volumes_.set_change_log(log);
  proxies_.set_change_log(log);
  queues_.set_change_log(log);
  queue_items_.set_change_log(log);
  images_.set_change_log(log);
}

absl::Status Core::apply_change(nlohmann::json const& change) {
  auto const type = change.find("t");
  if (!change.is_object() || type == change.end() || !type->is_string()) {
    return absl::InvalidArgumentError("a change without a type");
  }
  auto const& t = type->get_ref<std::string const&>();
  if (t == "env") return environments_.apply(change);
  if (t.starts_with("img")) return images_.apply(change);
  if (t.starts_with("q")) return queue_items_.apply(change);
  if (t != "obj" && t != "del") {
    return absl::InvalidArgumentError(absl::StrCat("unknown change '", t, "'"));
  }
  auto const kind = change.find("k");
  if (kind == change.end() || !kind->is_string()) {
    return absl::InvalidArgumentError("an object change without a kind");
  }
  auto const& k = kind->get_ref<std::string const&>();
  if (k == kApps.kind) return apps_.apply(change);
  if (k == kSecrets.kind) return secrets_.apply(change);
  if (k == kVolumes.kind) return volumes_.apply(change);
  if (k == kProxies.kind) return proxies_.apply(change);
  if (k == kQueues.kind) return queues_.apply(change);
  return absl::InvalidArgumentError(absl::StrCat("unknown object kind '", k, "'"));
}

void Core::restore_layers() {
  std::string const saved = options_.state_dir + "/layers";
  std::error_code ec;
  for (auto const& entry : std::filesystem::directory_iterator(saved, ec)) {
    if (entry.path().filename().string().starts_with(".tmp-")) {
      (void)runtime::remove_tree(entry.path().string());  // a copy a crash interrupted
    }
  }
  runtime::Runtime* rt = nullptr;
  try {
    rt = sandboxes_->runtime();
  } catch (std::exception const& e) {
    log(absl::StrCat("image layers are not restored: the process runtime cannot start: ",
                     e.what()));
    return;
  }
  auto live = rt == nullptr ? absl::StatusOr<std::string>(absl::UnavailableError("shut down"))
                            : rt->layer_store();
  if (!live.ok()) {
    log(absl::StrCat("image layers are not restored: ", live.status().message()));
    return;
  }
  live_layers_ = *live;
  images_.set_layer_store(live_layers_);
  for (auto const& entry : std::filesystem::directory_iterator(saved, ec)) {
    std::string const name = entry.path().filename().string();
    if (name.starts_with(".tmp-")) continue;
    if (auto st = runtime::copy_tree(entry.path().string(), live_layers_ + "/" + name); !st.ok()) {
      throw std::invalid_argument(absl::StrCat("state directory ", options_.state_dir,
                                               ": cannot restore layer ", name, ": ",
                                               st.message()));
    }
  }
}

absl::Status Core::persist_layer(std::string const& layer) {
  if (options_.state_dir.empty()) return absl::OkStatus();
  if (live_layers_.empty() || !layer.starts_with(live_layers_ + "/")) {
    return absl::FailedPreconditionError(
        absl::StrCat("layer ", layer, " is not in the layer store; it cannot be kept"));
  }
  std::string const name = layer.substr(live_layers_.size() + 1);
  std::string const dir = options_.state_dir + "/layers/";
  std::string const tmp = dir + ".tmp-" + name;
  (void)runtime::remove_tree(tmp);
  if (auto st = runtime::copy_tree(layer, tmp); !st.ok()) return st;
  // The copy on disk (one syncfs for all its files), then under its name.
  runtime::internal::UniqueFd fd(::open(tmp.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd || ::syncfs(fd.get()) != 0 || ::rename(tmp.c_str(), (dir + name).c_str()) != 0) {
    int const err = errno;
    (void)runtime::remove_tree(tmp);
    return absl::InternalError(absl::StrCat("cannot keep layer ", name, ": ", std::strerror(err)));
  }
  return absl::OkStatus();
}

void Core::remove_unused_layers(std::vector<nlohmann::json> const& snapshot) {
  // Layers of the kept images, as the snapshot names them ("@layers/<name>").
  std::set<std::string> used;
  for (auto const& change : snapshot) {
    if (change.value("t", "") != "img") continue;
    for (auto const& layer : change.at("rec").at("layers")) {
      auto const& path = layer.get_ref<std::string const&>();
      if (path.starts_with("@layers/")) used.insert(path.substr(8));
    }
  }
  // The rest belong to builds a restart interrupted, or to removed images' ancestors that
  // no image uses any more.
  std::error_code ec;
  for (auto const& entry :
       std::filesystem::directory_iterator(options_.state_dir + "/layers", ec)) {
    std::string const name = entry.path().filename().string();
    if (used.count(name) != 0) continue;
    log(absl::StrCat("removing layer ", name, ": no kept image uses it"));
    (void)runtime::remove_tree(entry.path().string());
    if (!live_layers_.empty()) (void)runtime::remove_tree(live_layers_ + "/" + name);
  }
}

void Core::remove_stray_volume_dirs() {
  std::error_code ec;
  for (auto const& entry : std::filesystem::directory_iterator(volume_root_, ec)) {
    std::string const name = entry.path().filename().string();
    if (volumes_.contains(name)) continue;
    log(absl::StrCat("removing ", entry.path().string(), ": no such Volume"));
    if (auto st = runtime::remove_tree(entry.path().string()); !st.ok()) {
      log(absl::StrCat("cannot remove ", entry.path().string(), ": ", st.message()));
    }
  }
}

absl::StatusOr<std::string> Core::volume_root() {
  std::lock_guard lock(volume_root_mu_);
  if (!volume_root_.empty()) return volume_root_;
  runtime::Runtime* rt = nullptr;
  try {
    rt = sandboxes_->runtime();
  } catch (std::exception const& e) {
    return absl::InternalError(absl::StrCat("the process runtime cannot start: ", e.what()));
  }
  if (rt == nullptr) return absl::UnavailableError("the emulator is shutting down");
  std::string const root = rt->state_dir() + "/volumes";
  if (::mkdir(root.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::InternalError(absl::StrCat("mkdir ", root, ": ", std::strerror(errno)));
  }
  volume_root_ = root;
  return volume_root_;
}

void Core::start_sweeper() {
  auto const interval = sweep_interval(options_.ephemeral_timeout);
  sweeper_ = std::thread([this, interval] {
    std::unique_lock lock(sweeper_mu_);
    while (!sweeper_stop_) {
      if (sweeper_cv_.wait_for(lock, interval, [this] { return sweeper_stop_; })) break;
      lock.unlock();
      sweep();
      lock.lock();
    }
  });
}

void Core::stop_sweeper() {
  {
    std::lock_guard lock(sweeper_mu_);
    sweeper_stop_ = true;
  }
  sweeper_cv_.notify_all();
  if (sweeper_.joinable() && sweeper_.get_id() != std::this_thread::get_id()) sweeper_.join();
}

void Core::seed(EmulatorOptions const& options) {
  auto const check = [](absl::Status const& st) {
    if (!st.ok()) throw std::invalid_argument(std::string(st.message()));
  };
  for (auto const& [name, env] : options.secrets) {
    check(secrets_
              .get_or_create(kDefaultEnvironment, name,
                             // Overwritten in place: a restart with a state directory
                             // takes the values given now.
                             modal::client::OBJECT_CREATION_TYPE_CREATE_OVERWRITE_IF_EXISTS,
                             [&env = env](SecretRecord& rec) { rec.env = env; })
              .status());
  }
  for (auto const& name : options.proxies) {
    check(proxies_
              .get_or_create(kDefaultEnvironment, name,
                             modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING)
              .status());
  }
}

void Core::preload(std::vector<PreloadedEnvironment> const& environments) {
  auto const check = [](absl::Status const& st, std::string const& what) {
    if (!st.ok()) {
      throw std::invalid_argument(absl::StrCat(what, ": ", st.message()));
    }
  };
  for (auto const& env : environments) {
    std::string const where = absl::StrCat("environment '", env.name, "'");
    check(
        environments_.get_or_create(env.name, modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING)
            .status(),
        where);
    for (auto const& [name, values] : env.secrets) {
      check(secrets_
                // Overwritten in place, as seed() does: after a restart with a state
                // directory a Secret has the file's values.
                .get_or_create(env.name, name,
                               modal::client::OBJECT_CREATION_TYPE_CREATE_OVERWRITE_IF_EXISTS,
                               [&values = values](SecretRecord& rec) { rec.env = values; })
                .status(),
            absl::StrCat(where, " Secret '", name, "'"));
    }
    for (auto const& name : env.proxies) {
      check(
          proxies_
              .get_or_create(env.name, name, modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING)
              .status(),
          absl::StrCat(where, " Proxy '", name, "'"));
    }
    for (auto const& fn : env.functions) {
      // The App first: the Function's logs are the App's (its app_id).
      auto app = apps_.get_or_create(env.name, fn.app,
                                     modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING);
      check(app.status(), absl::StrCat(where, " App '", fn.app, "'"));
      FunctionDef def = user_function(*this, env.name, fn);
      def.app_id = app->id;
      check(functions_.add(std::move(def)).status(),
            absl::StrCat(where, " Function '", fn.app, "/", fn.name, "'"));
    }
    for (auto const& name : env.apps) {
      check(
          apps_.get_or_create(env.name, name, modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING)
              .status(),
          absl::StrCat(where, " App '", name, "'"));
    }
    for (auto const& volume : env.volumes) preload_volume(env.name, volume);
    for (auto const& queue : env.queues) {
      std::string const what = absl::StrCat(where, " Queue '", queue.name, "'");
      // Kept from an earlier run (EmulatorOptions::state_dir): its items are what that run
      // left, not the file's again.
      if (queues_.lookup(env.name, queue.name).ok()) {
        log(absl::StrCat(what, " kept from the state directory"));
        continue;
      }
      auto rec = queues_.get_or_create(env.name, queue.name,
                                       modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING);
      check(rec.status(), what);
      queue_items_.create(rec->id);
      for (auto const& [partition, items] : queue.partitions) {
        std::vector<std::string> pickles;
        pickles.reserve(items.size());
        try {
          for (auto const& item : items) pickles.push_back(internal::pickle_encode(item));
        } catch (std::exception const& e) {
          throw std::invalid_argument(absl::StrCat(what, ": ", e.what()));
        }
        if (pickles.empty()) continue;
        check(queue_items_.put(rec->id, partition, std::move(pickles), std::chrono::seconds(0)),
              partition.empty() ? what : absl::StrCat(what, " partition '", partition, "'"));
      }
      log(absl::StrCat("preloaded ", what, " (", rec->id, ")"));
    }
  }
}

void Core::preload_volume(std::string const& environment, PreloadedVolume const& volume) {
  std::string const what =
      absl::StrCat("environment '", environment, "' Volume '", volume.name, "'");
  // Kept from an earlier run (EmulatorOptions::state_dir): its contents are that run's.
  if (volumes_.lookup(environment, volume.name).ok()) {
    log(absl::StrCat(what, " kept from the state directory"));
    return;
  }
  auto root = volume_root();
  if (!root.ok()) throw std::invalid_argument(absl::StrCat(what, ": ", root.status().message()));
  auto rec = volumes_.get_or_create(
      environment, volume.name, modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING,
      [&](VolumeRecord& r) { r.dir = absl::StrCat(*root, "/", r.id); });
  if (!rec.ok()) throw std::invalid_argument(absl::StrCat(what, ": ", rec.status().message()));
  auto const fail = [&](std::string const& why) {
    (void)volumes_.remove(rec->id);
    throw std::invalid_argument(absl::StrCat(what, ": ", why));
  };
  runtime::TreeCopyStats stats;
  if (volume.seed_dir.empty()) {
    if (::mkdir(rec->dir.c_str(), 0777) != 0) fail(std::strerror(errno));
  } else if (auto st = runtime::copy_tree(volume.seed_dir, rec->dir, &stats); !st.ok()) {
    fail(absl::StrCat("cannot copy ", volume.seed_dir, ": ", st.message()));
  }
  // 0777 whatever the umask or the seed's mode, as VolumeGetOrCreate makes them: a
  // Sandbox's non-root user may write (the state directory above is the emulator's alone).
  if (::chmod(rec->dir.c_str(), 0777) != 0) fail(std::strerror(errno));
  log(absl::StrCat("preloaded Volume '", volume.name, "' (", rec->id, ") of environment '",
                   environment, "': ", stats.files, " files, ", stats.bytes, " bytes"));
}

void Core::map_images(std::map<std::string, std::string> const& images) {
  if (images.empty()) return;
  runtime::Runtime* rt = sandboxes_->runtime();
  if (rt == nullptr) throw std::invalid_argument("--image: no process runtime");
  size_t n = 0;
  // Before the server starts: nothing else creates files meanwhile (libarchive changes
  // the process's umask while it extracts).
  for (auto const& mapping : images) {
    std::string const& tag = mapping.first;
    std::string const& path = mapping.second;
    // In the state directory, so that images built on it keep their root file system
    // across a restart (unpacked again each time: the same mappings give the same paths).
    std::string const dest = absl::StrCat(
        options_.state_dir.empty() ? rt->state_dir() : options_.state_dir, "/images/", n++);
    std::error_code ec;
    if (auto st = runtime::remove_tree(dest); !st.ok()) {
      throw std::invalid_argument(
          absl::StrCat("--image ", tag, ": cannot remove ", dest, ": ", st.message()));
    }
    std::filesystem::create_directories(dest, ec);
    auto const fail = [&](std::string const& why) {
      std::filesystem::remove_all(dest, ec);
      throw std::invalid_argument(absl::StrCat("--image ", tag, "=", path, ": ", why));
    };
    if (ec) fail(ec.message());
    runtime::UnpackStats stats;
    auto unpacked = runtime::unpack_image(path, dest, &stats);
    if (!unpacked.ok()) fail(std::string(unpacked.status().message()));
    MappedImage mapped;
    mapped.source = path;
    for (auto const& entry : unpacked->env) {
      auto const eq = entry.find('=');
      if (eq == std::string::npos || eq == 0) continue;  // not KEY=VALUE: ignored, as Docker does
      mapped.config.env[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
    mapped.config.workdir = unpacked->workdir;
    mapped.config.user = unpacked->user;
    mapped.config.entrypoint = unpacked->entrypoint;
    mapped.config.cmd = unpacked->cmd;
    mapped.config.rootfs = dest;
    images_.map_registry_tag(tag, std::move(mapped));
    log(absl::StrCat("image ", normal_registry_tag(tag), ": ", path, " unpacked (", stats.layers,
                     " layers, ", stats.files, " files, ", stats.bytes, " bytes)"));
  }
}

Core::~Core() {
  stop_sweeper();
  if (function_runner_ != nullptr) function_runner_->stop();
  // Normally Emulator::shutdown ran the hooks already; make sure no process survives.
  if (sandboxes_ != nullptr) sandboxes_->shutdown();
}

void Core::set_blob_url(std::string url) {
  std::lock_guard lock(blob_url_mu_);
  blob_url_ = std::move(url);
}

std::string Core::blob_url() const {
  std::lock_guard lock(blob_url_mu_);
  return blob_url_;
}

std::string Core::address() const {
  std::string const& host = options_.host;
  bool const v6 = host.find(':') != std::string::npos && host.front() != '[';
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port_.load());
}

std::string Core::server_url() const { return "http://" + address(); }

std::string Core::issue_auth_token() {
  return auth_tokens_.issue(options_.token_id, options_.auth_token_lifetime);
}

std::string Core::issue_router_token(std::string const& task_id) {
  return router_tokens_.issue(task_id, options_.router_token_lifetime,
                              nlohmann::json{{"task_id", task_id}});
}

void Core::inject_fault(std::string const& method, Fault fault) {
  if (fault.count <= 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  faults_[method].push_back(std::move(fault));
}

void Core::clear_faults() {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.clear();
}

std::optional<Fault> Core::take_fault(std::string_view method) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = faults_.find(method);
  if (it == faults_.end() || it->second.empty()) return std::nullopt;
  Fault& front = it->second.front();
  Fault taken = front;
  taken.count = 1;
  if (--front.count <= 0) it->second.pop_front();
  if (it->second.empty()) faults_.erase(it);
  return taken;
}

std::uint64_t Core::begin_call(std::string method, std::multimap<std::string, std::string> md) {
  std::lock_guard<std::mutex> lock(mu_);
  LoggedCall entry;
  entry.seq = next_seq_++;
  entry.call.method = std::move(method);
  entry.call.metadata = std::move(md);
  entry.call.code = -1;
  calls_.push_back(std::move(entry));
  return calls_.back().seq;
}

void Core::finish_call(std::uint64_t seq, int code) {
  std::lock_guard<std::mutex> lock(mu_);
  // Sequence numbers are increasing: binary search (the entry may have been cleared).
  auto it = std::lower_bound(calls_.begin(), calls_.end(), seq,
                             [](LoggedCall const& c, std::uint64_t s) { return c.seq < s; });
  if (it != calls_.end() && it->seq == seq) it->call.code = code;
}

std::vector<ReceivedCall> Core::received_calls(std::string_view method) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ReceivedCall> out;
  for (auto const& c : calls_) {
    if (method.empty() || c.call.method == method) out.push_back(c.call);
  }
  return out;
}

void Core::clear_received_calls() {
  std::lock_guard<std::mutex> lock(mu_);
  calls_.clear();
}

void Core::add_shutdown_hook(std::function<void()> hook) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!shutting_down_.load()) {
      shutdown_hooks_.push_back(std::move(hook));
      return;
    }
  }
  hook();  // already shutting down: run it right away
}

void Core::begin_shutdown() {
  std::vector<std::function<void()>> hooks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shutting_down_.exchange(true)) return;
    hooks.swap(shutdown_hooks_);
  }
  for (auto& hook : hooks) hook();
}

void Core::log(std::string_view line) const {
  if (!options_.verbose) return;
  std::lock_guard<std::mutex> lock(log_mu_);
  std::fprintf(::stderr, "[modal-emulator] %.*s\n", static_cast<int>(line.size()), line.data());
  std::fflush(::stderr);
}

}  // namespace modal::emulator
