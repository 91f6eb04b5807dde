// Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
// A coding agent in a Sandbox: installs Claude Code, clones a repository and asks the
// agent (under a PTY, which it requires) to summarize it, with the Anthropic API key
// from a Secret.
//
//   scripts/run-example.sh sandbox-agent [--setup CMD] [--repo URL] [-- AGENT ARGS...]
//
// Needs the Secret `libmodal-anthropic-secret` with ANTHROPIC_API_KEY; without it the
// example says so and exits. --setup (a shell command), --repo and the agent argv replace
// the defaults, e.g. to run a stand-in agent against modal-emulator (see its test).
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "modal/modal.h"

namespace {

struct Options {
  std::string setup = "npm install -g @anthropic-ai/claude-code";
  std::string repo = "https://github.com/modal-labs/libmodal";
  std::vector<std::string> agent = {
      "claude", "-p", "Summarize what this repository is about. Don't modify any code or files."};
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string const arg = argv[i];
    if (arg == "--setup" && i + 1 < argc) {
      o.setup = argv[++i];
    } else if (arg == "--repo" && i + 1 < argc) {
      o.repo = argv[++i];
    } else if (arg == "--") {
      o.agent.assign(argv + i + 1, argv + argc);
      break;
    } else {
      throw modal::InvalidError(
          "usage: example-sandbox-agent [--setup CMD] [--repo URL] [-- AGENT...]");
    }
  }
  if (o.agent.empty()) throw modal::InvalidError("the agent command must not be empty");
  return o;
}

/// Runs `argv` to completion; throws with its stderr if it fails.
void run(modal::Sandbox const& sb, std::vector<std::string> argv, std::string const& what) {
  modal::ContainerProcess p = sb.exec(std::move(argv));
  std::string err = p.stderr_stream().read_all();
  if (int code = p.wait(); code != 0) {
    throw modal::ExecutionError(what + " failed with exit code " + std::to_string(code) + ": " +
                                err);
  }
}

}  // namespace

int main(int argc, char** argv) try {
  Options const options = parse(argc, argv);
  modal::Client client;

  //! [agent-secret]
  modal::Secret secret = [&] {
    try {
      return client.secrets().from_name("libmodal-anthropic-secret",
                                        {.required_keys = {"ANTHROPIC_API_KEY"}});
    } catch (modal::NotFoundError const&) {
      std::cout << "No Anthropic key configured: create the Secret libmodal-anthropic-secret "
                   "with ANTHROPIC_API_KEY to run this example.\n";
      std::exit(EXIT_SUCCESS);
    }
  }();
  //! [agent-secret]

  modal::App app = client.apps().from_name("modal-cpp-example", {.create_if_missing = true});
  modal::Image image = client.images().from_registry("node:22");  // node, npm, git, curl
  modal::Sandbox sb = client.sandboxes().create(app, image);
  std::cout << "Started Sandbox: " << sb.sandbox_id() << "\n";

  run(sb, {"sh", "-c", options.setup}, "Setup");
  // Clone next to the Sandbox's working directory.
  std::string base = sb.exec({"pwd"}).stdout_stream().read_line().value_or("/");
  std::string const repo_dir = (base == "/" ? "" : base) + "/repo";
  run(sb, {"git", "clone", "--quiet", options.repo, repo_dir}, "git clone");
  std::cout << "Cloned '" << options.repo << "' into " << repo_dir << ".\n";

  //! [agent-exec]
  std::cout << "\nRunning the agent: " << options.agent.front() << "\n";
  // A PTY is important: Claude Code requires a terminal.
  modal::ContainerProcess agent =
      sb.exec(options.agent, {.workdir = repo_dir, .secrets = {secret}, .pty = true});
  int const code = agent.wait();
  std::cout << "\nAgent output:\n\n" << agent.stdout_stream().read_all() << "\n";
  std::cout << "Agent exit code: " << code << "\n";
  //! [agent-exec]

  sb.terminate();
  return code == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
} catch (modal::Error const& e) {
  std::cerr << "error: " << e.what() << "\n";
  return EXIT_FAILURE;
}
