// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// The sandbox-agent example end to end against the emulator, with a stand-in agent (no
// network, no Anthropic key): setup, git clone of a local repository, a PTY exec with the
// Secret in its environment and the repository as its working directory.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "fixture.h"

namespace modal::testing {
namespace {

using ::testing::HasSubstr;

std::string quote(std::string const& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

/// Runs a shell command line; returns its exit status and combined output.
std::pair<int, std::string> run(std::string const& cmd) {
  std::string out;
  FILE* f = ::popen((cmd + " 2>&1").c_str(), "r");
  if (f == nullptr) return {-1, out};
  char buf[4096];
  while (auto n = std::fread(buf, 1, sizeof buf, f)) out.append(buf, n);
  int const status = ::pclose(f);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

class ExecExamplesTest : public EmulatorTest {
 protected:
  emulator::EmulatorOptions emulator_options() override {
    emulator::EmulatorOptions o;
    o.secrets["libmodal-anthropic-secret"] = {{"ANTHROPIC_API_KEY", "sk-ant-standin-0123456789"}};
    return o;
  }
  void SetUp() override {
    EmulatorTest::SetUp();
    env_.set("MODAL_SERVER_URL", emu().server_url());
    env_.set("MODAL_TOKEN_ID", emu().options().token_id);
    env_.set("MODAL_TOKEN_SECRET", emu().options().token_secret);
  }
};

TEST_F(ExecExamplesTest, SandboxAgentRunsWithAStandInAgent) {
  // The stand-in repository is made inside the Sandbox by the setup command: a Sandbox
  // sees its own private /tmp, so nothing of the host's build tree is assumed visible. It
  // lives in the Sandbox's working directory (relative paths), which is private to the
  // Sandbox also when the emulator runs without namespaces.
  std::string const setup =
      "git init -q origin && echo 'stand-in repository' > origin/README && "
      "git -C origin -c user.email=test@example.com -c user.name=test add README && "
      "git -C origin -c user.email=test@example.com -c user.name=test commit -q -m initial";

  std::string const agent =
      "test -t 1 && echo \"stand-in agent in $(basename \"$(pwd)\"): $(cat README), "
      "key of ${#ANTHROPIC_API_KEY} characters\"";
  auto [code, out] = run(std::string(MODAL_EXAMPLE_SANDBOX_AGENT) + " --setup " + quote(setup) +
                         " --repo origin -- sh -c " + quote(agent));
  EXPECT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("Started Sandbox: sb-"));
  EXPECT_THAT(out, HasSubstr("/repo."));
  EXPECT_THAT(out, HasSubstr("stand-in agent in repo: stand-in repository, key of 25 characters"));
  EXPECT_THAT(out, HasSubstr("Agent exit code: 0"));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("sk-ant-standin")));
}

TEST_F(ExecExamplesTest, SandboxAgentFailsWhenTheAgentFails) {
  auto [code, out] =
      run(std::string(MODAL_EXAMPLE_SANDBOX_AGENT) + " --setup 'echo broken >&2; exit 3' -- true");
  EXPECT_NE(code, 0);
  EXPECT_THAT(out, HasSubstr("Setup failed with exit code 3: broken"));
}

}  // namespace
}  // namespace modal::testing
