// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#include "control/image_build.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "modal_proto/api.pb.h"
#include "runtime/runtime.h"
#include "server/core.h"
#include "store/sandbox_registry.h"

namespace modal::emulator {
namespace {

using Kind = DockerfileInstruction::Kind;
using modal::client::GenericResult;

/// A RUN step's limit.
constexpr auto kStepTimeout = std::chrono::hours(1);
/// Lines of a failed step's output quoted in the build's exception.
constexpr size_t kFailureTail = 20;

struct Failure {
  std::string message;
};

/// Splits output into log lines as it arrives; keeps the last few for a failure message.
class LineSink {
 public:
  LineSink(ImageStore& store, std::string id) : store_(store), id_(std::move(id)) {}
  void add(std::string_view data) {
    partial_.append(data);
    size_t start = 0;
    for (auto nl = partial_.find('\n'); nl != std::string::npos; nl = partial_.find('\n', start)) {
      emit(partial_.substr(start, nl - start));
      start = nl + 1;
    }
    partial_.erase(0, start);
  }
  void flush() {
    if (!partial_.empty()) emit(std::exchange(partial_, {}));
  }
  std::string tail() const { return absl::StrJoin(tail_, "\n"); }

 private:
  void emit(std::string line) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    tail_.push_back(line);
    if (tail_.size() > kFailureTail) tail_.pop_front();
    store_.append_log(id_, std::move(line));
  }
  ImageStore& store_;
  std::string id_;
  std::string partial_;
  std::deque<std::string> tail_;
};

std::string absolute_workdir(std::string const& dir, std::string const& current) {
  if (!dir.empty() && dir.front() == '/') return dir;
  std::string base = current.empty() ? "/" : current;
  if (base.back() != '/') base.push_back('/');
  return base + dir;
}

}  // namespace

void ImageBuilder::start(std::string id, BuildPlan plan) {
  std::lock_guard lock(mu_);
  if (stopping_.load()) {
    core_.images().finish(id, GenericResult::GENERIC_STATUS_TERMINATED,
                          "the emulator is shutting down", {}, {});
    return;
  }
  // Join the builds that have ended (their threads are done: this does not wait).
  std::erase_if(builds_, [](Build& b) {
    if (!b.done->load()) return false;
    b.thread.join();
    return true;
  });
  auto done = std::make_shared<std::atomic<bool>>(false);
  builds_.push_back(Build{
      .thread = std::jthread([this, done, id = std::move(id), plan = std::move(plan)]() mutable {
        run(id, std::move(plan));
        done->store(true);
      }),
      .done = done});
}

void ImageBuilder::stop() {
  stopping_.store(true);
  std::vector<Build> builds;
  {
    std::lock_guard lock(mu_);
    builds.swap(builds_);
  }
  builds.clear();  // joins
}

void ImageBuilder::run(std::string const& id, BuildPlan plan) {
  ImageStore& store = core_.images();
  auto const started = std::chrono::steady_clock::now();
  std::vector<std::string> layers = std::move(plan.layers);
  ImageConfig config = std::move(plan.config);
  std::map<std::string, std::string> args;  // ARG values: for RUN steps only
  size_t layer_count = 0;

  // Runs argv in a build sandbox on `layers`; on success its writes become the top layer.
  auto run_step = [&](std::vector<std::string> argv, std::string const& text,
                      std::string const& workdir) -> std::optional<Failure> {
    runtime::Runtime* rt = core_.sandboxes().runtime();
    if (rt == nullptr || stopping_.load()) return Failure{"the emulator is shutting down"};
    runtime::SandboxSpec spec;
    spec.id = absl::StrCat(id, "-build-", layer_count + 1);
    spec.env = config.env;
    for (auto const& [k, v] : args) spec.env.try_emplace(k, v);
    for (auto const& [k, v] : plan.secret_env) spec.env[k] = v;
    spec.workdir = workdir;
    spec.layers = layers;
    spec.rootfs = config.rootfs;
    spec.user = config.user;
    spec.timeout = kStepTimeout;
    auto sandbox = rt->create_sandbox(std::move(spec));
    if (!sandbox.ok()) {
      return Failure{absl::StrCat("cannot start a build sandbox: ", sandbox.status().message())};
    }
    auto const done = [&] { (*sandbox)->terminate(); };
    runtime::ProcessSpec process;
    process.argv = std::move(argv);
    process.stderr_mode = runtime::StdioMode::kMergeWithStdout;
    process.stdin_enabled = false;
    auto proc = (*sandbox)->exec(std::move(process));
    if (!proc.ok()) {
      done();
      return Failure{absl::StrCat("cannot run '", text, "': ", proc.status().message())};
    }
    LineSink sink(store, id);
    for (uint64_t offset = 0;;) {
      if (stopping_.load()) {
        done();
        return Failure{"the emulator is shutting down"};
      }
      auto chunk = (*proc)->stdout_buffer().read(
          offset, size_t{64} << 10, runtime::Clock::now() + std::chrono::milliseconds(200));
      if (!chunk.ok()) break;
      offset = chunk->offset + chunk->data.size();
      sink.add(chunk->data);
      if (chunk->eof) break;
    }
    sink.flush();
    auto const status = (*proc)->wait();
    if (!status || !status->success()) {
      done();
      std::string const code = status ? absl::StrCat(status->exit_code()) : "unknown";
      std::string message =
          absl::StrCat("The command '", text, "' returned a non-zero code: ", code);
      if (std::string const tail = sink.tail(); !tail.empty()) {
        absl::StrAppend(&message, "\n", tail);
      }
      return Failure{std::move(message)};
    }
    auto const dir = rt->layer_store();
    if (!dir.ok()) {
      done();
      return Failure{std::string(dir.status().message())};
    }
    ++layer_count;
    std::string const layer = absl::StrCat(*dir, "/", id, "-", layer_count);
    runtime::TreeCopyStats stats;
    auto st = (*sandbox)->snapshot_to_layer(layer, &stats);
    done();
    if (!st.ok()) return Failure{absl::StrCat("cannot save the layer: ", st.message())};
    if (st = core_.persist_layer(layer); !st.ok()) {
      return Failure{absl::StrCat("cannot keep the layer in the state directory: ", st.message())};
    }
    layers.insert(layers.begin(), layer);
    return std::nullopt;
  };

  auto const vars = [&] {
    std::map<std::string, std::string> v = args;
    for (auto const& [k, val] : config.env) v[k] = val;
    return v;
  };

  std::optional<Failure> failure;
  for (size_t i = 0; i < plan.steps.size() && !failure; ++i) {
    DockerfileInstruction const& step = plan.steps[i];
    store.append_log(id, absl::StrCat("=> Step ", i + 1, ": ", plan.commands[i]));
    switch (step.kind) {
      case Kind::kRun: {
        std::vector<std::string> argv = step.argv;
        if (step.shell_form) {
          argv = config.shell;
          argv.push_back(step.argv[1]);
        }
        std::string const workdir = config.workdir.empty() ? "/" : config.workdir;
        failure = run_step(std::move(argv), plan.commands[i], workdir);
        break;
      }
      case Kind::kEnv:
        for (auto const& [k, v] : step.pairs) config.env[k] = expand_variables(v, vars());
        break;
      case Kind::kArg:
        for (auto const& [k, v] : step.pairs) args.try_emplace(k, expand_variables(v, vars()));
        break;
      case Kind::kWorkdir: {
        config.workdir = absolute_workdir(expand_variables(step.value, vars()), config.workdir);
        // Docker creates it: an empty directory layer.
        failure = run_step({"mkdir", "-p", config.workdir}, plan.commands[i], "/");
        break;
      }
      case Kind::kUser:
        config.user = expand_variables(step.value, vars());
        break;
      case Kind::kEntrypoint:
      case Kind::kCmd: {
        std::vector<std::string> argv = step.argv;
        if (step.shell_form) {
          argv = config.shell;
          argv.push_back(step.argv[1]);
        }
        (step.kind == Kind::kCmd ? config.cmd : config.entrypoint) = std::move(argv);
        break;
      }
      case Kind::kShell:
        config.shell = step.argv;
        break;
      case Kind::kFrom:
        failure = Failure{
            "FROM may only be the first command (multi-stage builds are not "
            "supported by modal-emulator)"};
        break;
      case Kind::kNoop:
        break;
    }
  }
  if (failure) {
    store.append_log(id, absl::StrCat("Error: ", failure->message));
    store.finish(id, GenericResult::GENERIC_STATUS_FAILURE, failure->message, {}, {});
    core_.log(absl::StrCat("image ", id, ": build failed: ", failure->message));
    return;
  }
  double const secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  store.append_log(id, "Saving image...");
  store.append_log(id, absl::StrFormat("Image saved, took %.2fs", secs));
  store.finish(id, GenericResult::GENERIC_STATUS_SUCCESS, "", std::move(layers), std::move(config));
  core_.log(absl::StrCat("image ", id, ": built"));
}

}  // namespace modal::emulator
