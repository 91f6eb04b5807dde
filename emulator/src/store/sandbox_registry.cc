// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "store/sandbox_registry.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/probes.h"
#include "server/ids.h"
#include "store/named_store.h"

namespace modal::emulator {
namespace {

using modal::client::GenericResult;
using runtime::Clock;

constexpr auto kWaitSlice = std::chrono::milliseconds(100);
constexpr std::uint32_t kDefaultTimeoutSecs = 300;
constexpr auto kExecProbeTimeout = std::chrono::seconds(10);

GenericResult to_generic_result(runtime::SandboxResult const& r) {
  GenericResult out;
  switch (r.outcome) {
    case runtime::SandboxOutcome::kExited:
      out.set_exitcode(r.exit_code());
      if (r.exit_code() == 0) {
        out.set_status(GenericResult::GENERIC_STATUS_SUCCESS);
      } else {
        out.set_status(GenericResult::GENERIC_STATUS_FAILURE);
        out.set_exception(absl::StrCat("Sandbox entrypoint exited with code ", r.exit_code()));
      }
      break;
    case runtime::SandboxOutcome::kTerminated:
      out.set_status(GenericResult::GENERIC_STATUS_TERMINATED);
      out.set_exitcode(137);
      out.set_exception("Sandbox terminated");
      break;
    case runtime::SandboxOutcome::kTimeout:
      out.set_status(GenericResult::GENERIC_STATUS_TIMEOUT);
      out.set_exitcode(124);
      out.set_exception("Sandbox timed out");
      break;
    case runtime::SandboxOutcome::kIdleTimeout:
      out.set_status(GenericResult::GENERIC_STATUS_IDLE_TIMEOUT);
      out.set_exitcode(r.exit_code());
      out.set_exception("Sandbox idle timeout reached");
      break;
  }
  return out;
}

// A closed log buffer holding `text` (for sandboxes whose entrypoint never started).
std::shared_ptr<runtime::OutputBuffer> closed_buffer(std::string_view text) {
  auto buf = std::make_shared<runtime::OutputBuffer>(
      runtime::OutputBufferOptions{size_t{1} << 20, runtime::OverflowPolicy::kDropOldest, 0});
  if (!text.empty()) buf->write(text);
  buf->close();
  return buf;
}

}  // namespace

std::optional<runtime::PtyOptions> pty_options(modal::client::PTYInfo const& info) {
  if (!info.enabled()) return std::nullopt;
  runtime::PtyOptions pty;
  if (info.winsz_rows() > 0) {
    pty.rows = static_cast<std::uint16_t>(std::min<std::uint32_t>(info.winsz_rows(), 65535));
  }
  if (info.winsz_cols() > 0) {
    pty.cols = static_cast<std::uint16_t>(std::min<std::uint32_t>(info.winsz_cols(), 65535));
  }
  if (!info.env_term().empty()) pty.term = info.env_term();
  pty.colorterm = info.env_colorterm();
  return pty;
}

// ---- SandboxRecord ---------------------------------------------------------------

SandboxRecord::SandboxRecord(std::string id, std::string task_id, std::string app_id,
                             std::string app_name, std::string environment, std::string name,
                             std::string image_id, double created_at,
                             modal::client::Sandbox definition)
    : id(std::move(id)),
      task_id(std::move(task_id)),
      app_id(std::move(app_id)),
      app_name(std::move(app_name)),
      environment(std::move(environment)),
      name(std::move(name)),
      image_id(std::move(image_id)),
      created_at(created_at),
      definition(std::move(definition)) {}

SandboxRecord::~SandboxRecord() = default;

std::optional<GenericResult> SandboxRecord::result() const {
  std::lock_guard lock(mu_);
  return result_;
}

double SandboxRecord::finished_at() const {
  std::lock_guard lock(mu_);
  return finished_at_;
}

std::optional<double> SandboxRecord::ready_at() const {
  std::lock_guard lock(mu_);
  return ready_at_;
}

std::map<std::string, std::string> SandboxRecord::tags() const {
  std::lock_guard lock(mu_);
  return tags_;
}

void SandboxRecord::set_tags(std::map<std::string, std::string> tags) {
  std::lock_guard lock(mu_);
  tags_ = std::move(tags);
}

template <typename Pred>
bool SandboxRecord::wait_for(runtime::Deadline deadline, std::function<bool()> const& cancelled,
                             Pred pred) const {
  std::unique_lock lock(mu_);
  while (true) {
    if (pred()) return true;
    if (shutting_down_) return false;
    if (cancelled && cancelled()) return false;
    auto const now = Clock::now();
    if (now >= deadline) return false;
    cv_.wait_until(lock, std::min(deadline, now + kWaitSlice));
  }
}

std::optional<GenericResult> SandboxRecord::wait(runtime::Deadline deadline,
                                                 std::function<bool()> const& cancelled) const {
  wait_for(deadline, cancelled, [this] { return result_.has_value(); });
  return result();
}

void SandboxRecord::sleep_until(runtime::Deadline deadline,
                                std::function<bool()> const& cancelled) const {
  wait_for(deadline, cancelled, [] { return false; });
}

SandboxRecord::ReadyWait SandboxRecord::wait_until_ready(
    runtime::Deadline deadline, std::function<bool()> const& cancelled) const {
  wait_for(deadline, cancelled, [this] { return ready_at_.has_value() || result_.has_value(); });
  std::lock_guard lock(mu_);
  if (ready_at_.has_value()) return ReadyWait::kReady;
  if (result_.has_value()) return ReadyWait::kFinished;
  if (shutting_down_ || (cancelled && cancelled())) return ReadyWait::kCancelled;
  return ReadyWait::kTimeout;
}

void SandboxRecord::mark_ready() {
  {
    std::lock_guard lock(mu_);
    if (ready_at_.has_value() || result_.has_value()) return;
    ready_at_ = unix_now();
  }
  cv_.notify_all();
}

void SandboxRecord::mark_finished(GenericResult result) {
  {
    std::lock_guard lock(mu_);
    if (result_.has_value()) return;
    result_ = std::move(result);
    finished_at_ = unix_now();
  }
  cv_.notify_all();
}

void SandboxRecord::wake_for_shutdown() {
  {
    std::lock_guard lock(mu_);
    shutting_down_ = true;
  }
  cv_.notify_all();
}

// ---- SandboxRegistry --------------------------------------------------------------

SandboxRegistry::SandboxRegistry(Logger log, Options options)
    : log_(log ? std::move(log) : Logger([](std::string_view) {})), options_(std::move(options)) {}

SandboxRegistry::~SandboxRegistry() { shutdown(); }

runtime::Runtime* SandboxRegistry::runtime() {
  std::lock_guard lock(runtime_mu_);
  if (shutting_down_.load()) return nullptr;
  if (runtime_ == nullptr) {
    runtime::RuntimeOptions opts;
    opts.unsafe_host_filesystem = options_.unsafe_host_filesystem;
    opts.fs_tools = options_.fs_tools;
    opts.hidden_dirs = options_.hidden_dirs;
    runtime_ = std::make_unique<runtime::Runtime>(std::move(opts));
  }
  return runtime_.get();
}

absl::StatusOr<std::shared_ptr<SandboxRecord>> SandboxRegistry::create(SandboxLaunch launch) {
  if (shutting_down_.load()) return absl::UnavailableError("the emulator is shutting down");
  std::string const id = launch.v2 ? new_ulid_id("sb") : new_id("sb");
  std::string const task_id = new_id("ta");
  std::string const name = launch.definition.has_name() ? launch.definition.name() : std::string();
  auto created_at = reserve(id, launch, name);
  if (!created_at.ok()) return created_at.status();

  runtime::SandboxSpec spec = sandbox_spec(id, task_id, launch);
  auto rec = std::make_shared<SandboxRecord>(id, task_id, launch.app_id, launch.app_name,
                                             launch.environment, name, launch.image_id, *created_at,
                                             std::move(launch.definition));
  rec->tags_ = std::move(launch.tags);
  rec->image_layers_ = std::move(launch.image_layers);
  rec->image_config_ = std::move(launch.image_config);
  auto failed = start(*rec, std::move(spec));
  if (!failed.ok()) {
    release_name(*rec);
    return failed.status();
  }
  {
    std::lock_guard lock(mu_);
    by_id_[id] = rec;
    by_task_[task_id] = rec;
  }
  if (failed->has_value()) {
    rec->mark_finished(**std::move(failed));
    release_name(*rec);
    return rec;
  }
  watch(rec);
  return rec;
}

absl::StatusOr<double> SandboxRegistry::reserve(std::string const& id, SandboxLaunch const& launch,
                                                std::string const& name) {
  std::lock_guard lock(mu_);
  if (!name.empty()) {
    auto const key = std::make_pair(launch.app_id, name);
    auto it = names_.find(key);
    if (it != names_.end()) {
      // A finished holder may not have released its name yet (its callback is running).
      auto holder = by_id_.find(it->second);
      if (holder != by_id_.end() && holder->second->finished()) it = names_.end();
    }
    if (it != names_.end()) {
      return absl::AlreadyExistsError(absl::StrCat(
          "Sandbox with name '", name, "' already exists in App '",
          launch.app_name.empty() ? launch.app_id : launch.app_name, "' (", it->second, ")"));
    }
    names_[key] = id;
  }
  double const created_at = std::max(unix_now(), last_created_at_ + 1e-6);
  last_created_at_ = created_at;
  return created_at;
}

void SandboxRegistry::release_name(SandboxRecord const& rec) {
  if (rec.name.empty()) return;
  std::lock_guard lock(mu_);
  auto it = names_.find(std::make_pair(rec.app_id, rec.name));
  if (it != names_.end() && it->second == rec.id) names_.erase(it);
}

runtime::SandboxSpec SandboxRegistry::sandbox_spec(std::string const& id,
                                                   std::string const& task_id,
                                                   SandboxLaunch const& launch) {
  modal::client::Sandbox const& def = launch.definition;
  runtime::SandboxSpec spec;
  spec.id = id;
  spec.argv.assign(def.entrypoint_args().begin(), def.entrypoint_args().end());
  spec.env = {{"MODAL_TASK_ID", task_id},
              {"MODAL_SANDBOX_ID", id},
              {"MODAL_IMAGE_ID", launch.image_id},
              {"MODAL_ENVIRONMENT", launch.environment},
              {"MODAL_IS_REMOTE", "1"}};
  for (auto const& [k, v] : launch.env) spec.env[k] = v;
  spec.workdir = def.has_workdir() ? def.workdir() : launch.image_config.workdir;
  spec.layers = launch.image_layers;
  spec.rootfs = launch.image_config.rootfs;
  spec.user = launch.image_config.user;
  spec.volumes = launch.volumes;
  if (def.has_pty_info()) spec.pty = pty_options(def.pty_info());
  spec.timeout =
      std::chrono::seconds(def.timeout_secs() == 0 ? kDefaultTimeoutSecs : def.timeout_secs());
  if (def.has_idle_timeout_secs() && def.idle_timeout_secs() > 0) {
    spec.idle_timeout = std::chrono::seconds(def.idle_timeout_secs());
  }
  if (def.resources().memory_mb_max() > 0) {
    spec.limits.memory_bytes = std::uint64_t{def.resources().memory_mb_max()} << 20;
  }
  if (def.resources().milli_cpu_max() > 0) {
    spec.limits.cpus = def.resources().milli_cpu_max() / 1000.0;
  }
  spec.block_network = def.block_network() || def.network_access().network_access_type() ==
                                                  modal::client::NetworkAccess::BLOCKED;
  return spec;
}

absl::StatusOr<std::optional<GenericResult>> SandboxRegistry::start(SandboxRecord& rec,
                                                                    runtime::SandboxSpec spec) {
  runtime::Runtime* rt = runtime();
  if (rt == nullptr) return absl::UnavailableError("the emulator is shutting down");
  auto started = rt->create_sandbox(std::move(spec));
  if (started.ok()) {
    std::shared_ptr<runtime::Sandbox> sb = *started;
    rec.runtime_ = sb;
    auto entry = sb->entrypoint_process();
    rec.stdout_log_ = std::shared_ptr<runtime::OutputBuffer>(entry, &sb->stdout_buffer());
    rec.stderr_log_ = std::shared_ptr<runtime::OutputBuffer>(entry, &sb->stderr_buffer());
    return std::nullopt;
  }
  auto const code = started.status().code();
  if (code == absl::StatusCode::kFailedPrecondition) {
    if (shutting_down_.load()) return absl::UnavailableError("the emulator is shutting down");
    return started.status();  // Sandboxes cannot be isolated here: the reason
  }
  if (code != absl::StatusCode::kNotFound && code != absl::StatusCode::kInvalidArgument) {
    return absl::InternalError(
        absl::StrCat("could not start the sandbox: ", started.status().message()));
  }
  // What a container runtime would report: the sandbox starts and fails at once.
  std::string const reason = absl::StrCat(
      code == absl::StatusCode::kNotFound ? "executable file not found: " : "cannot start: ",
      started.status().message());
  GenericResult r;
  r.set_status(GenericResult::GENERIC_STATUS_FAILURE);
  r.set_exitcode(code == absl::StatusCode::kNotFound ? 127 : 126);
  r.set_exception(reason);
  rec.stdout_log_ = closed_buffer({});
  rec.stderr_log_ = closed_buffer(absl::StrCat(reason, "\n"));
  return r;
}

void SandboxRegistry::watch(std::shared_ptr<SandboxRecord> const& rec) {
  std::weak_ptr<SandboxRecord> weak = rec;
  rec->runtime_->on_finished([this, weak](runtime::SandboxResult const& r) {
    auto locked = weak.lock();
    if (locked == nullptr) return;
    release_name(*locked);  // first: whoever sees the result may reuse the name at once
    locked->mark_finished(to_generic_result(r));
  });
  if (rec->definition.has_readiness_probe()) {
    start_prober(rec);
  } else {
    rec->mark_ready();
  }
  auto const& args = rec->definition.entrypoint_args();
  log_(absl::StrCat("sandbox ", rec->id, " started: [", absl::StrJoin(args, ", "), "]",
                    args.empty() ? " (idle)" : ""));
}

void SandboxRegistry::start_prober(std::shared_ptr<SandboxRecord> const& rec) {
  modal::client::Probe const probe = rec->definition.readiness_probe();
  auto const interval = std::chrono::milliseconds(
      probe.has_interval_ms() && probe.interval_ms() > 0 ? probe.interval_ms() : 100);
  SandboxRecord* raw = rec.get();  // records outlive the probers (see shutdown())
  std::shared_ptr<runtime::Sandbox> sb = rec->runtime_;
  std::lock_guard lock(probers_mu_);
  if (shutting_down_.load()) return;
  probers_.emplace_back([raw, sb, probe, interval](std::stop_token const& stop) {
    // A TCP probe connects from where the sandbox's processes listen: its own network
    // namespace when the network is blocked (this thread only: setns is per thread).
    if (probe.has_tcp_port()) {
      if (int const netns = sb->dup_network_namespace(); netns >= 0) {
        ::setns(netns, CLONE_NEWNET);
        ::close(netns);
      }
    }
    std::mutex m;
    std::condition_variable_any cv;
    while (!stop.stop_requested() && !sb->finished()) {
      bool ok = false;
      if (probe.has_tcp_port()) {
        ok = runtime::tcp_port_open(
            static_cast<int>(probe.tcp_port()),
            std::min<std::chrono::milliseconds>(interval, std::chrono::milliseconds(1000)));
      } else if (probe.has_exec_command()) {
        std::vector<std::string> argv(probe.exec_command().argv().begin(),
                                      probe.exec_command().argv().end());
        auto r = runtime::run_exec_probe(*sb, std::move(argv),
                                         runtime::deadline_after(kExecProbeTimeout));
        if (!r.ok() && r.status().code() == absl::StatusCode::kFailedPrecondition) return;
        ok = r.ok() && *r;
      } else {
        ok = true;  // an empty probe: nothing to wait for
      }
      if (ok) {
        raw->mark_ready();
        return;
      }
      std::unique_lock l(m);
      cv.wait_for(l, stop, interval, [] { return false; });
    }
  });
}

std::shared_ptr<SandboxRecord> SandboxRegistry::find(std::string_view sandbox_id) const {
  std::lock_guard lock(mu_);
  auto it = by_id_.find(sandbox_id);
  return it == by_id_.end() ? nullptr : it->second;
}

std::shared_ptr<SandboxRecord> SandboxRegistry::find_by_task(std::string_view task_id) const {
  std::lock_guard lock(mu_);
  auto it = by_task_.find(task_id);
  return it == by_task_.end() ? nullptr : it->second;
}

absl::StatusOr<std::shared_ptr<SandboxRecord>> SandboxRegistry::get(
    std::string_view sandbox_id) const {
  if (auto rec = find(sandbox_id)) return rec;
  return object_not_found("Sandbox", sandbox_id);
}

absl::StatusOr<std::shared_ptr<SandboxRecord>> SandboxRegistry::get_by_task(
    std::string_view task_id) const {
  if (auto rec = find_by_task(task_id)) return rec;
  return object_not_found("Task", task_id);
}

std::shared_ptr<SandboxRecord> SandboxRegistry::find_by_name(std::string_view app_id,
                                                             std::string_view name) const {
  std::lock_guard lock(mu_);
  auto it = names_.find(std::make_pair(std::string(app_id), std::string(name)));
  if (it == names_.end()) return nullptr;
  auto rec = by_id_.find(it->second);
  if (rec == by_id_.end() || rec->second->finished()) return nullptr;
  return rec->second;
}

std::vector<std::shared_ptr<SandboxRecord>> SandboxRegistry::list() const {
  std::vector<std::shared_ptr<SandboxRecord>> out;
  {
    std::lock_guard lock(mu_);
    out.reserve(by_id_.size());
    for (auto const& [id, rec] : by_id_) out.push_back(rec);
  }
  std::sort(out.begin(), out.end(),
            [](auto const& a, auto const& b) { return a->created_at > b->created_at; });
  return out;
}

void SandboxRegistry::shutdown() {
  if (shutting_down_.exchange(true)) return;
  // Wake every waiter first so that long polls return while processes are killed.
  std::vector<std::shared_ptr<SandboxRecord>> records;
  {
    std::lock_guard lock(mu_);
    for (auto const& [id, rec] : by_id_) records.push_back(rec);
  }
  for (auto const& rec : records) rec->wake_for_shutdown();
  std::vector<std::jthread> probers;
  {
    std::lock_guard lock(probers_mu_);
    probers.swap(probers_);
  }
  for (auto& t : probers) t.request_stop();
  std::unique_ptr<runtime::Runtime> rt;
  {
    std::lock_guard lock(runtime_mu_);
    rt = std::move(runtime_);
  }
  if (rt != nullptr) rt->shutdown();  // kills and reaps every process; exec probes return
  probers.clear();                    // joins
  if (rt != nullptr) log_("sandboxes stopped");
}

}  // namespace modal::emulator
