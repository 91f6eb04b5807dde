// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// The preload file (server/config_file.h, load_config_file()): every section, every class
// of error with its FILE:LINE:COL, and the precedence of command-line flags over the file.
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "modal/emulator.h"
#include "server/cli.h"
#include "server/config_file.h"
#include "testing_util/temp_file.h"

namespace modal::emulator {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

/// The message of a file that must be rejected.
std::string error_of(std::string const& text, std::string const& path = "dir/f.toml") {
  auto parsed = parse_config(text, path);
  EXPECT_FALSE(parsed.ok()) << text;
  return parsed.ok() ? "" : std::string(parsed.status().message());
}

PreloadedEnvironment const* find_env(EmulatorOptions const& o, std::string const& name) {
  for (auto const& env : o.environments) {
    if (env.name == name) return &env;
  }
  return nullptr;
}

class ConfigFileTest : public ::testing::Test {
 protected:
  testing_util::TempDir dir_;
};

TEST_F(ConfigFileTest, AnEmptyFileChangesNothing) {
  auto parsed = parse_config("# nothing\n", "f.toml");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->environments.empty());
  EXPECT_TRUE(parsed->secrets.empty());
  EXPECT_EQ(parsed->host, EmulatorOptions{}.host);
}

TEST_F(ConfigFileTest, EverySectionIsRead) {
  std::filesystem::create_directories(dir_ / "seed/sub");
  std::filesystem::create_directories(dir_ / "bucket");
  dir_.write_file("image.tar", "not really an image");
  std::string const path = (dir_ / "fixtures.toml").string();
  auto parsed = parse_config(R"(
[images]
"python:3.12" = "image.tar"

[buckets]
my-bucket = "bucket"

[environments.main]
apps = ["web", "worker"]
proxies = ["egress"]

[environments.main.secrets.db]
USER = "admin"
PASSWORD = "p=a,s"

[environments.main.volumes.data]
seed = "seed"

[environments.main.volumes.empty]

[environments.main.queues.jobs]
items = ["a", 1, -2.5, true, [1, "x"], { k = "v", n = [2] }]
partitions = { urgent = ["u1", "u2"] }

[environments.staging]
apps = ["web"]
proxies = ["staging-proxy"]

[environments.staging.secrets.db]
USER = "stage"

[environments.empty-env]
)",
                             path);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  std::string const d = dir_.path().lexically_normal().string();
  EXPECT_EQ(parsed->images.at("python:3.12"), d + "/image.tar");
  EXPECT_EQ(parsed->buckets.at("my-bucket"), d + "/bucket");
  // Environment main's Secrets and Proxies are those of EmulatorOptions::secrets/proxies.
  EXPECT_EQ(parsed->secrets.at("db").at("USER"), "admin");
  EXPECT_EQ(parsed->secrets.at("db").at("PASSWORD"), "p=a,s");
  EXPECT_THAT(parsed->proxies, ElementsAre("egress"));

  ASSERT_EQ(parsed->environments.size(), 3u);
  auto const* main = find_env(*parsed, "main");
  ASSERT_NE(main, nullptr);
  EXPECT_THAT(main->apps, ElementsAre("web", "worker"));
  ASSERT_EQ(main->volumes.size(), 2u);
  EXPECT_EQ(main->volumes[0].name, "data");
  EXPECT_EQ(main->volumes[0].seed_dir, d + "/seed");
  EXPECT_EQ(main->volumes[1].name, "empty");
  EXPECT_EQ(main->volumes[1].seed_dir, "");
  ASSERT_EQ(main->queues.size(), 1u);
  auto const& jobs = main->queues[0];
  EXPECT_EQ(jobs.name, "jobs");
  ASSERT_EQ(jobs.partitions.size(), 2u);
  auto const& items = jobs.partitions.at("");
  ASSERT_EQ(items.size(), 6u);
  EXPECT_EQ(items[0], Value("a"));
  EXPECT_EQ(items[1], Value(1));
  EXPECT_EQ(items[2], Value(-2.5));
  EXPECT_EQ(items[3], Value(true));
  EXPECT_EQ(items[4], Value::list({1, "x"}));
  EXPECT_EQ(items[5], Value({{"k", "v"}, {"n", Value::list({2})}}));
  EXPECT_THAT(jobs.partitions.at("urgent"), ElementsAre(Value("u1"), Value("u2")));

  auto const* staging = find_env(*parsed, "staging");
  ASSERT_NE(staging, nullptr);
  EXPECT_THAT(staging->apps, ElementsAre("web"));
  EXPECT_THAT(staging->proxies, ElementsAre("staging-proxy"));
  EXPECT_EQ(staging->secrets.at("db").at("USER"), "stage");
  auto const* empty = find_env(*parsed, "empty-env");
  ASSERT_NE(empty, nullptr);
  EXPECT_TRUE(empty->apps.empty());
}

TEST_F(ConfigFileTest, RelativePathsStartAtTheFilesDirectory) {
  std::filesystem::create_directories(dir_ / "conf/seed");
  std::filesystem::create_directories(dir_ / "other");
  std::string const path = (dir_ / "conf/f.toml").string();
  auto parsed = parse_config(R"(
[buckets]
up = "../other"
abs = ")" + (dir_ / "other").string() +
                                 R"("
[environments.main.volumes.v]
seed = "./seed/"
)",
                             path);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  std::string const d = dir_.path().lexically_normal().string();
  EXPECT_EQ(parsed->buckets.at("up"), d + "/other");
  EXPECT_EQ(parsed->buckets.at("abs"), d + "/other");
  EXPECT_EQ(parsed->environments.at(0).volumes.at(0).seed_dir, d + "/conf/seed/");
}

TEST_F(ConfigFileTest, TheFileIsAddedToItsBase) {
  EmulatorOptions base;
  base.port = 1234;
  base.secrets["db"] = {{"USER", "base"}, {"KEPT", "k"}};
  base.proxies = {"p"};
  auto parsed = parse_config(R"(
[environments.main]
proxies = ["p", "q"]
[environments.main.secrets.db]
USER = "file"
)",
                             "f.toml", base);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->port, 1234);
  EXPECT_EQ(parsed->secrets.at("db").at("USER"), "file");
  EXPECT_EQ(parsed->secrets.at("db").at("KEPT"), "k");
  EXPECT_THAT(parsed->proxies, ElementsAre("p", "q"));
}

TEST_F(ConfigFileTest, SyntaxErrorsAreLocated) {
  EXPECT_EQ(error_of("[environments.main]\napps = [\"a\"\n"),
            "dir/f.toml:2:13: Error while parsing array: encountered end-of-file");
  EXPECT_EQ(error_of("a = 1\na = 2\n"),
            "dir/f.toml:2:5: Error while parsing key-value pair: cannot redefine existing integer "
            "'a'");
  // A table given twice is TOML's duplicate-key error: duplicate objects are caught there.
  EXPECT_THAT(error_of("[environments.main.volumes.v]\n[environments.main.volumes.v]\n"),
              StartsWith("dir/f.toml:2:"));
}

TEST_F(ConfigFileTest, UnknownKeysAreRejected) {
  EXPECT_EQ(error_of("\n  imagez = {}\n"),
            "dir/f.toml:2:3: unknown key 'imagez' (expected one of: images, buckets, "
            "environments)");
  EXPECT_EQ(error_of("[environments.main]\nappz = []\n"),
            "dir/f.toml:2:1: unknown key 'appz' in environment 'main' (expected one of: apps, "
            "proxies, secrets, volumes, queues, functions)");
  EXPECT_EQ(error_of("[environments.main.volumes.v]\nsed = \"x\"\n"),
            "dir/f.toml:2:1: unknown key 'sed' in Volume 'v' (expected one of: seed)");
  EXPECT_EQ(error_of("[environments.main.queues.q]\nitem = []\n"),
            "dir/f.toml:2:1: unknown key 'item' in Queue 'q' (expected one of: items, "
            "partitions)");
}

TEST_F(ConfigFileTest, WrongTypesAreRejected) {
  EXPECT_EQ(error_of("images = 3\n"), "dir/f.toml:1:10: images: expected a table, got an integer");
  EXPECT_EQ(error_of("[environments]\nmain = \"x\"\n"),
            "dir/f.toml:2:8: environments.main: expected a table, got a string");
  EXPECT_EQ(error_of("[environments.main]\napps = \"web\"\n"),
            "dir/f.toml:2:8: environments.main.apps: expected an array, got a string");
  EXPECT_EQ(error_of("[environments.main]\napps = [\"a\", 2]\n"),
            "dir/f.toml:2:14: environments.main.apps: expected a string, got an integer");
  EXPECT_EQ(error_of("[environments.main.secrets.s]\nPORT = 5432\n"),
            "dir/f.toml:2:8: Secret 's' key PORT: expected a string, got an integer");
  EXPECT_EQ(error_of("[images]\nx = true\n"),
            "dir/f.toml:2:5: image 'x': expected a string, got a boolean");
  EXPECT_EQ(error_of("[environments.main.queues.q]\nitems = [1, 1979-05-27]\n"),
            "dir/f.toml:2:13: Queue 'q' items: a date cannot be a Queue item (strings, "
            "integers, floats, booleans, arrays and tables can)");
  EXPECT_EQ(error_of("[environments.main.queues.q]\npartitions = { p = [{ t = 07:32:00 }] }\n"),
            "dir/f.toml:2:27: Queue 'q' partition 'p': a time cannot be a Queue item (strings, "
            "integers, floats, booleans, arrays and tables can)");
}

TEST_F(ConfigFileTest, BadNamesAreRejected) {
  EXPECT_EQ(error_of("[environments.\"bad name\"]\n"),
            "dir/f.toml:1:15: invalid environment name 'bad name': names are 1 to 64 letters, "
            "digits, '-', '_' and '.'");
  EXPECT_THAT(error_of("[environments.main.secrets.\"a/b\"]\n"),
              StartsWith("dir/f.toml:1:28: invalid Secret name 'a/b'"));
  EXPECT_THAT(error_of("[environments.main.volumes." + std::string(65, 'v') + "]\n"),
              StartsWith("dir/f.toml:1:28: invalid Volume name"));
  EXPECT_THAT(error_of("[environments.main.queues.\"\"]\n"),
              StartsWith("dir/f.toml:1:27: invalid Queue name ''"));
  EXPECT_THAT(error_of("[environments.main]\nproxies = [\"ok\", \"no way\"]\n"),
              StartsWith("dir/f.toml:2:18: invalid Proxy name 'no way'"));
  EXPECT_THAT(error_of("[environments.main.secrets.s]\n1KEY = \"v\"\n"),
              StartsWith("dir/f.toml:2:1: Secret 's': invalid key '1KEY'"));
  EXPECT_THAT(error_of("[environments.main.queues.q]\npartitions = { \"\" = [1] }\n"),
              StartsWith("dir/f.toml:2:16: Queue 'q': partition keys are 1 to 64 bytes, got 0"));
  EXPECT_THAT(error_of("[buckets]\n\"\" = \".\"\n"),
              StartsWith("dir/f.toml:2:1: empty bucket name"));
}

TEST_F(ConfigFileTest, MissingDirectoriesAreRejected) {
  std::string const path = (dir_ / "f.toml").string();
  std::string const d = dir_.path().lexically_normal().string();
  dir_.write_file("file", "x");
  EXPECT_EQ(error_of("[environments.main.volumes.v]\nseed = \"nope\"\n", path),
            path + ":2:8: Volume 'v' seed: '" + d + "/nope' is not a directory");
  EXPECT_EQ(error_of("[environments.main.volumes.v]\nseed = \"file\"\n", path),
            path + ":2:8: Volume 'v' seed: '" + d + "/file' is not a directory");
  EXPECT_EQ(error_of("[buckets]\nb = \"nope\"\n", path),
            path + ":2:5: bucket 'b': '" + d + "/nope' is not a directory");
  EXPECT_EQ(error_of("[images]\n\"alpine\" = \"nope.tar\"\n", path),
            path + ":2:12: image 'alpine': '" + d + "/nope.tar' does not exist");
  EXPECT_EQ(error_of("[buckets]\nb = \"\"\n", path), path + ":2:5: bucket 'b': must not be empty");
}

TEST_F(ConfigFileTest, DuplicateObjectsAreRejected) {
  EXPECT_EQ(error_of("[environments.main]\napps = [\"a\", \"b\", \"a\"]\n"),
            "dir/f.toml:2:19: App 'a' is given twice");
  EXPECT_EQ(error_of("[environments.main]\nproxies = [\"p\", \"p\"]\n"),
            "dir/f.toml:2:17: Proxy 'p' is given twice");
  EmulatorOptions base;
  base.environments.push_back(
      {.name = "main", .volumes = {{.name = "v"}}, .queues = {{.name = "q"}}, .apps = {"a"}});
  auto again = [&](std::string const& text) {
    auto parsed = parse_config(text, "f.toml", base);
    return parsed.ok() ? std::string() : std::string(parsed.status().message());
  };
  EXPECT_EQ(again("[environments.main.volumes.v]\n"), "f.toml:1:28: Volume 'v' is already defined");
  EXPECT_EQ(again("[environments.main.queues.q]\n"), "f.toml:1:27: Queue 'q' is already defined");
  EXPECT_EQ(again("[environments.main]\napps = [\"a\"]\n"),
            "f.toml:2:8: App 'a' is already defined");
}

TEST_F(ConfigFileTest, LoadConfigFileReadsAFileAndThrowsOneLine) {
  std::filesystem::create_directories(dir_ / "seed");
  auto const good =
      dir_.write_file("good.toml", "[environments.main.volumes.v]\nseed = \"seed\"\n");
  auto options = load_config_file(good.string());
  ASSERT_EQ(options.environments.size(), 1u);
  EXPECT_EQ(options.environments[0].volumes.at(0).seed_dir,
            (dir_ / "seed").lexically_normal().string());

  auto const bad = dir_.write_file("bad.toml", "\n\n[environments.main]\nqueue = {}\n");
  try {
    load_config_file(bad.string());
    FAIL() << "no exception";
  } catch (std::invalid_argument const& e) {
    EXPECT_THAT(e.what(), StartsWith(bad.string() + ":4:1: unknown key 'queue'"));
  }
  EXPECT_THROW(load_config_file((dir_ / "missing.toml").string()), std::invalid_argument);
  try {
    load_config_file((dir_ / "missing.toml").string());
  } catch (std::invalid_argument const& e) {
    EXPECT_THAT(e.what(), HasSubstr("missing.toml: cannot read"));
  }
  EXPECT_THROW(load_config_file(dir_.path().string()), std::invalid_argument);
}

TEST_F(ConfigFileTest, CommandLineFlagsTakePrecedenceOverTheFile) {
  std::filesystem::create_directories(dir_ / "file-bucket");
  std::filesystem::create_directories(dir_ / "flag-bucket");
  auto const file = dir_.write_file("f.toml", R"(
[buckets]
b = "file-bucket"
kept = "file-bucket"
[environments.main]
proxies = ["p1"]
[environments.main.secrets.s]
A = "file"
B = "file"
)");
  std::vector<std::string> const args = {"--config", file.string(),
                                         "--secret", "s:A=flag",
                                         "--bucket", "b=" + (dir_ / "flag-bucket").string(),
                                         "--proxy",  "p2"};
  auto first = parse_command_line(args);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->config_file, file.string());
  auto cl = parse_command_line(args, load_config_file(first->config_file));
  ASSERT_TRUE(cl.ok()) << cl.status();
  EXPECT_EQ(cl->options.secrets.at("s").at("A"), "flag");
  EXPECT_EQ(cl->options.secrets.at("s").at("B"), "file");
  EXPECT_EQ(cl->options.buckets.at("b"), (dir_ / "flag-bucket").string());
  EXPECT_EQ(cl->options.buckets.at("kept"), (dir_ / "file-bucket").lexically_normal().string());
  EXPECT_THAT(cl->options.proxies, ElementsAre("p1", "p2"));
  // Twice on the command line is still an error.
  EXPECT_FALSE(parse_command_line({"--bucket", "x=/a", "--bucket", "x=/b"}).ok());
  EXPECT_FALSE(parse_command_line({"--config", "a.toml", "--config", "b.toml"}).ok());
  EXPECT_FALSE(parse_command_line({"--config="}).ok());
}

}  // namespace
}  // namespace modal::emulator

namespace modal::emulator {
namespace {

TEST(ConfigFileFunctionsTest, FunctionsAreRead) {
  auto parsed = parse_config(R"(
[environments.main.functions.image-service.resize]
command = ["python3", "stub.py"]
env = { MODE = "ci" }
secrets = ["cfg"]
volumes = { "/thumbs" = "thumbnails" }
timeout = 60
image = "python:3.12"

[environments.main.functions.image-service.broken]
command = ["false"]
)",
                             "f.toml");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->environments.size(), 1u);
  auto const& fns = parsed->environments[0].functions;
  ASSERT_EQ(fns.size(), 2u);
  auto const& resize = fns[0].name == "resize" ? fns[0] : fns[1];
  EXPECT_EQ(resize.app, "image-service");
  EXPECT_THAT(resize.command, ::testing::ElementsAre("python3", "stub.py"));
  EXPECT_EQ(resize.env.at("MODE"), "ci");
  EXPECT_THAT(resize.secrets, ::testing::ElementsAre("cfg"));
  EXPECT_EQ(resize.volumes.at("/thumbs"), "thumbnails");
  EXPECT_EQ(resize.timeout, std::chrono::seconds(60));
  EXPECT_EQ(resize.image, "python:3.12");
  auto const& broken = fns[0].name == "broken" ? fns[0] : fns[1];
  EXPECT_EQ(broken.timeout, std::chrono::seconds(300));
  EXPECT_EQ(broken.image, "");
}

TEST(ConfigFileFunctionsTest, BadFunctionsAreRefused) {
  auto no_command = parse_config("[environments.main.functions.app.f]\nenv = {}\n", "f.toml");
  ASSERT_FALSE(no_command.ok());
  EXPECT_THAT(std::string(no_command.status().message()), ::testing::HasSubstr("'command'"));
  auto unknown = parse_config(
      "[environments.main.functions.app.f]\ncommand = [\"x\"]\nimg = \"python\"\n", "f.toml");
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(std::string(unknown.status().message()), ::testing::HasSubstr("unknown key 'img'"));
  auto empty_image = parse_config(
      "[environments.main.functions.app.f]\ncommand = [\"x\"]\nimage = \"\"\n", "f.toml");
  EXPECT_FALSE(empty_image.ok());
  auto relative = parse_config(
      "[environments.main.functions.app.f]\ncommand = [\"x\"]\nvolumes = { \"rel\" = \"v\" }\n",
      "f.toml");
  EXPECT_FALSE(relative.ok());
}

}  // namespace
}  // namespace modal::emulator
