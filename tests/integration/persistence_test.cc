// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// The emulator's persistent state (EmulatorOptions::state_dir, --state-dir): what survives a
// restart (environments, Apps, Secrets, Volumes and their contents, Queues and their items,
// images and their layers), what a restart forgets (deleted objects stay deleted), one
// emulator per directory, and a SIGKILL during a load of puts losing no acknowledged item.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "modal_proto/api.grpc.pb.h"
#include "raw_control.h"
#include "sandbox_test_util.h"
#include "testing_util/temp_file.h"

extern char** environ;

namespace modal::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

class PersistenceTest : public SandboxTest {
 protected:
  emulator::EmulatorOptions emulator_options() override {
    emulator::EmulatorOptions o;
    o.state_dir = state_.path().string();
    return o;
  }

  /// Stops the emulator and starts another on the same state directory (another port).
  void restart() {
    client_.reset();
    emulator_.reset();
    emulator_ = std::make_unique<emulator::Emulator>(emulator_options());
    client_ = std::make_unique<Client>(fast_options());
    app_ = client_->apps().from_name("sandbox-tests");  // persisted: no create_if_missing
  }

  /// The state directory: in the working directory (the build tree), or /var/tmp when that
  /// is below /tmp, which Sandboxes never see anyway (their /tmp is private), so that hiding
  /// it from them is put to the test.
  static std::filesystem::path visible_base() {
    auto const cwd = std::filesystem::current_path();
    return cwd.string().starts_with("/tmp") ? std::filesystem::path("/var/tmp") : cwd;
  }
  struct StateDir {
    StateDir()
        : dir(visible_base() / ("modal-state-test-" + std::to_string(::getpid()) + "-" +
                                ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
      std::filesystem::remove_all(dir);
    }
    ~StateDir() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
    std::filesystem::path const& path() const { return dir; }
    std::filesystem::path dir;
  };
  StateDir state_;
};

TEST_F(PersistenceTest, NamedObjectsAndQueueItemsSurviveARestart) {
  std::string const app_id = app().app_id;
  // An environment and a named Secret, made over raw gRPC (the SDK creates neither).
  std::string env_id;
  {
    RawControl raw(emu());
    modal::client::EnvironmentGetOrCreateRequest req;
    req.set_deployment_name("staging");
    req.set_object_creation_type(modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING);
    modal::client::EnvironmentGetOrCreateResponse resp;
    ASSERT_TRUE(raw->EnvironmentGetOrCreate(raw.context().get(), req, &resp).ok());
    env_id = resp.environment_id();
  }
  std::string secret_id;
  {
    RawControl raw(emu());
    modal::client::SecretGetOrCreateRequest req;
    req.set_deployment_name("kept-secret");
    req.set_object_creation_type(modal::client::OBJECT_CREATION_TYPE_CREATE_IF_MISSING);
    (*req.mutable_env_dict())["KEPT"] = "across restarts";
    modal::client::SecretGetOrCreateResponse resp;
    ASSERT_TRUE(raw->SecretGetOrCreate(raw.context().get(), req, &resp).ok());
    secret_id = resp.secret_id();
  }
  auto q = c().queues().from_name("kept-queue", {.create_if_missing = true});
  q.put_many({1, "two", Value::bytes(std::string("\x00\x01", 2))});
  q.put_many({"p1", "p2"}, {.partition = "part"});
  EXPECT_EQ(q.get(), Value(1));  // taken: must not come back
  auto gone = c().queues().from_name("gone-queue", {.create_if_missing = true});
  gone.put("x");
  c().queues().remove("gone-queue");
  auto expiring = c().queues().from_name("ttl-queue", {.create_if_missing = true});
  expiring.put("short-lived", {.partition = "brief", .partition_ttl = 1s});

  restart();
  std::this_thread::sleep_for(1100ms);  // the 1 s partition TTL runs out meanwhile

  EXPECT_EQ(app().app_id, app_id);
  {
    RawControl raw(emu());
    modal::client::EnvironmentGetOrCreateRequest req;
    req.set_deployment_name("staging");
    modal::client::EnvironmentGetOrCreateResponse resp;
    ASSERT_TRUE(raw->EnvironmentGetOrCreate(raw.context().get(), req, &resp).ok());
    EXPECT_EQ(resp.environment_id(), env_id);
  }
  auto secret = c().secrets().from_name("kept-secret");
  EXPECT_EQ(secret.secret_id(), secret_id);
  auto sb = create({.secrets = {secret}});
  EXPECT_EQ(sh(sb, "echo $KEPT").first, "across restarts\n");
  // Sandboxes do not see the state directory (its journal holds every Secret's values).
  ASSERT_TRUE(std::filesystem::exists(state_.path() / "journal"));
  std::string const dir = state_.path().string();
  EXPECT_EQ(sh(sb, "test -d " + dir + " && ls -A " + dir + " | wc -l"),
            std::make_pair(std::string("0\n"), 0));
  sb.terminate();

  auto q2 = c().queues().from_name("kept-queue");
  EXPECT_EQ(q2.queue_id(), q.queue_id());
  EXPECT_EQ(q2.len({.total = true}), 4);
  EXPECT_THAT(q2.get_many(10),
              ::testing::ElementsAre(Value("two"), Value::bytes(std::string("\x00\x01", 2))));
  EXPECT_THAT(q2.get_many(10, {.partition = "part"}),
              ::testing::ElementsAre(Value("p1"), Value("p2")));
  q2.put("after");  // entry ids keep increasing: an iteration sees only the new item
  EXPECT_EQ(q2.get(), Value("after"));
  EXPECT_THROW(c().queues().from_name("gone-queue"), NotFoundError);
  EXPECT_EQ(c().queues().from_name("ttl-queue").len({.partition = "brief"}), 0);
}

TEST_F(PersistenceTest, VolumeContentsAndImageLayersSurviveARestart) {
  auto vol = c().volumes().from_name("kept-volume", {.create_if_missing = true});
  auto writer = create({.volumes = {{"/mnt/v", vol}}});
  EXPECT_EQ(sh(writer, "echo kept > /mnt/v/file && cat /mnt/v/file").first, "kept\n");
  writer.terminate();
  auto img = c().images()
                 .from_registry("alpine:3.21")
                 .dockerfile_commands({"RUN echo layered > /built-by-run"});
  std::string const image_id = img.build(app());
  // What an interrupted build would leave: a layer no image uses, removed at the restart.
  std::filesystem::create_directories(state_.path() / "layers" / "im-interrupted-1" / "x");

  restart();
  std::vector<std::string> layers;
  for (auto const& e : std::filesystem::directory_iterator(state_.path() / "layers")) {
    layers.push_back(e.path().filename().string());
  }
  EXPECT_THAT(layers, ::testing::ElementsAre(image_id + "-1"));  // its one RUN layer

  auto vol2 = c().volumes().from_name("kept-volume");
  EXPECT_EQ(vol2.volume_id(), vol.volume_id());
  auto reader = create({.volumes = {{"/mnt/v", vol2}}});
  EXPECT_EQ(sh(reader, "cat /mnt/v/file").first, "kept\n");
  reader.terminate();
  // The same definition is the same, already built image, with its layer.
  auto again = c().images()
                   .from_registry("alpine:3.21")
                   .dockerfile_commands({"RUN echo layered > /built-by-run"});
  EXPECT_EQ(again.build(app()), image_id);
  auto sb = c().sandboxes().create(app(), again);
  EXPECT_EQ(sh(sb, "cat /built-by-run").first, "layered\n");
  sb.terminate();
  // A deleted Volume's contents are gone with it, after a restart too.
  c().volumes().remove("kept-volume");
  restart();
  EXPECT_THROW(c().volumes().from_name("kept-volume"), NotFoundError);
  EXPECT_FALSE(std::filesystem::exists(state_.path() / "volumes" / vol.volume_id()));
}

/// A preload (EmulatorOptions::environments, the --config file) on a state directory.
class PreloadPersistenceTest : public PersistenceTest {
 protected:
  emulator::EmulatorOptions emulator_options() override {
    auto o = PersistenceTest::emulator_options();
    o.environments = {{.name = "main",
                       .secrets = {{"preloaded", {{"VERSION", std::to_string(version_)}}}},
                       .volumes = {{.name = "preloaded-volume"}},
                       .queues = {{.name = "preloaded-queue", .partitions = {{"", {1, 2}}}}}}};
    return o;
  }
  int version_ = 1;
};

TEST_F(PreloadPersistenceTest, APreloadDoesNotRepeatOnAKeptState) {
  auto q = c().queues().from_name("preloaded-queue");
  EXPECT_EQ(q.get(), Value(1));
  auto vol = c().volumes().from_name("preloaded-volume");
  auto sb = create({.volumes = {{"/mnt/v", vol}}});
  ASSERT_EQ(sh(sb, "echo mine > /mnt/v/f").second, 0);
  sb.terminate();
  version_ = 2;
  restart();
  // The Queue and the Volume are the kept ones (no second copy of the items, the file
  // written survives); the Secret takes the values given now.
  auto q2 = c().queues().from_name("preloaded-queue");
  EXPECT_EQ(q2.queue_id(), q.queue_id());
  EXPECT_THAT(q2.get_many(10), ::testing::ElementsAre(Value(2)));
  auto reader = create({.secrets = {c().secrets().from_name("preloaded")},
                        .volumes = {{"/mnt/v", c().volumes().from_name("preloaded-volume")}}});
  EXPECT_EQ(sh(reader, "cat /mnt/v/f; echo $VERSION").first, "mine\n2\n");
  reader.terminate();
}

TEST_F(PersistenceTest, OneEmulatorPerStateDirectory) {
  EXPECT_THAT(
      [&] { emulator::Emulator second(emulator_options()); },
      ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("another modal-emulator uses it")));
}

TEST_F(PersistenceTest, AFileThatIsNotAJournalIsRefused) {
  client_.reset();
  emulator_.reset();
  std::ofstream(state_.path() / "journal", std::ios::trunc) << "not a journal";
  EXPECT_THAT([&] { emulator::Emulator again(emulator_options()); },
              ::testing::ThrowsMessage<std::invalid_argument>(
                  HasSubstr("is not a modal-emulator state journal")));
  emulator_ = std::make_unique<emulator::Emulator>();  // for TearDown
}

/// modal-emulator as a child process on a state directory.
class EmulatorChild {
 public:
  EmulatorChild(std::string const& state_dir, std::string const& port_file) {
    std::filesystem::remove(port_file);
    std::vector<std::string> args = {MODAL_EMULATOR_BINARY, "--port", "0", "--port-file", port_file,
                                     "--state-dir",         state_dir};
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ) != 0) {
      ADD_FAILURE() << "cannot start " << args[0];
      return;
    }
    for (int i = 0; i < 3000 && port_ == 0; ++i) {
      std::ifstream in(port_file);
      if (!(in >> port_)) {
        port_ = 0;
        std::this_thread::sleep_for(10ms);
      }
    }
    if (port_ == 0) ADD_FAILURE() << "modal-emulator did not start";
  }
  ~EmulatorChild() { kill(SIGTERM); }
  void kill(int sig) {
    if (pid_ <= 0) return;
    ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  ClientOptions client_options() const {
    ClientOptions o;
    o.server_url = "http://127.0.0.1:" + std::to_string(port_);
    o.token_id = emulator::EmulatorOptions{}.token_id;
    o.token_secret = emulator::EmulatorOptions{}.token_secret;
    o.retry.max_retries = 0;  // a dead emulator fails calls at once
    o.rpc_timeout = 10s;
    return o;
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

TEST(PersistenceCrashTest, SigkillDuringPutsLosesNoAcknowledgedItem) {
  testing_util::ScopedEnvironment env;
  env.unset_with_prefix("MODAL_");
  env.set("MODAL_CONFIG_PATH", "/nonexistent/modal-cpp-test.toml");
  testing_util::TempDir dir("modal-crash-test");
  std::string const state = (dir.path() / "state").string();
  std::string const port_file = (dir.path() / "port").string();
  constexpr int kProducers = 8;
  std::mutex mu;
  std::vector<std::string> acknowledged;
  {
    EmulatorChild emu(state, port_file);
    Client client(emu.client_options());
    client.queues().from_name("load", {.create_if_missing = true});
    std::atomic<bool> stop{false};
    std::vector<std::thread> producers;
    producers.reserve(kProducers);
    for (int t = 0; t < kProducers; ++t) {
      producers.emplace_back([&, t] {
        Client own(emu.client_options());
        auto q = own.queues().from_name("load");
        for (int n = 0; !stop; ++n) {
          std::string const item = std::to_string(t) + "-" + std::to_string(n);
          try {
            q.put(item);
          } catch (Error const&) {
            return;  // the emulator is gone: this put was not acknowledged
          }
          std::lock_guard lock(mu);
          acknowledged.push_back(item);
        }
      });
    }
    // Kill it in the middle of the load, once a good number of puts were acknowledged.
    for (int i = 0; i < 3000; ++i) {
      {
        std::lock_guard lock(mu);
        if (acknowledged.size() >= 3000) break;
      }
      std::this_thread::sleep_for(10ms);
    }
    emu.kill(SIGKILL);
    stop = true;
    for (auto& p : producers) p.join();
  }
  ASSERT_GE(acknowledged.size(), 3000u);

  EmulatorChild again(state, port_file);
  Client client(again.client_options());
  auto q = client.queues().from_name("load");
  std::multiset<std::string> found;
  for (;;) {
    std::vector<Value> batch;
    try {
      batch = q.get_many(1000, {.timeout = 0ms});
    } catch (QueueEmptyError const&) {
      break;
    }
    for (auto const& v : batch) found.insert(v.as_string());
  }
  for (auto const& item : acknowledged) {
    EXPECT_EQ(found.count(item), 1u) << item << " was acknowledged";
  }
  // At most the one put each producer had in flight came through unacknowledged.
  EXPECT_LE(found.size(), acknowledged.size() + kProducers);
}

}  // namespace
}  // namespace modal::testing
