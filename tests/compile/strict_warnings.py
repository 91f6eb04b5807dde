#!/usr/bin/env python3
# Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
"""Compiles what users copy from us with strict warnings and nothing suppressed.

The README's example, every examples/*/main.cc, the doc snippets' source
(tests/integration/sandbox_docs_test.cc, which docs/sandboxes.md quotes) and a program
using every public option aggregate with designated initializers are compiled with
`-std=c++20 -Wall -Wextra -Wpedantic -Werror -O2` by each compiler given, against the
public headers only (as an installed tree provides them). Exits non-zero, printing the
compiler's output, if any compilation warns or fails.

Usage: strict_warnings.py REPO_ROOT WORK_DIR COMPILER [COMPILER...]
"""
import concurrent.futures
import os
import re
import subprocess
import sys

FLAGS = ["-std=c++20", "-Wall", "-Wextra", "-Wpedantic", "-Werror", "-O2", "-c", "-o",
         os.devnull]

# Every public aggregate initialized with one designated field: each omitted field must
# have a default member initializer or GCC warns (-Wmissing-field-initializers).
AGGREGATES = r"""
#include "modal/modal.h"

int main() {
  using namespace std::chrono_literals;
  modal::ClientOptions client{.environment = "e"};
  modal::RetryOptions retry{.max_retries = 1};
  modal::CallInfo info{.attempt = 1};
  modal::App app{.name = "a"};
  modal::AppFromNameParams app_params{.create_if_missing = true};
  modal::SecretFromNameParams secret_params{.environment = "e"};
  modal::SecretFromMapParams map_params{.environment = "e"};
  modal::SecretDeleteParams delete_params{.allow_missing = true};
  modal::ImageFromRegistryParams image_params{.build_log = nullptr};
  modal::VolumeFromNameParams volume_params{.create_if_missing = true};
  modal::ProxyFromNameParams proxy_params{.environment = "e"};
  modal::Proxy proxy{.proxy_id = "pr-1"};
  modal::CloudBucketMountParams bucket_params{.read_only = true};
  modal::ProbeParams probe_params{.interval = 100ms};
  modal::SandboxCreateParams create{.timeout = 10s};
  modal::SandboxFromNameParams from_name{.environment = "e"};
  modal::SandboxListParams list{.app_id = "ap-1"};
  modal::SandboxTerminateParams terminate{.wait = true};
  modal::SandboxCreateConnectTokenParams token{.port = 8080};
  modal::SandboxConnectToken connect{.url = "u"};
  modal::Tunnel tunnel{.port = 443};
  modal::SandboxExecParams exec{.pty = true};
  (void)client, (void)retry, (void)info, (void)app, (void)app_params, (void)secret_params;
  (void)map_params, (void)delete_params, (void)image_params, (void)volume_params;
  (void)proxy_params, (void)proxy, (void)bucket_params, (void)probe_params, (void)create;
  (void)from_name, (void)list, (void)terminate, (void)token, (void)connect, (void)tunnel;
  (void)exec;
  return 0;
}
"""


def readme_example(repo):
    with open(os.path.join(repo, "README.md"), encoding="utf-8") as f:
        text = f.read()
    match = re.search(r"```cpp\n(.*?)```", text, re.S)
    if not match:
        sys.exit("strict_warnings: README.md has no ```cpp example")
    return match.group(1)


def sources(repo, work):
    out = []
    for name, text in (("readme_example.cc", readme_example(repo)),
                       ("aggregates.cc", AGGREGATES)):
        path = os.path.join(work, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        out.append(path)
    examples = os.path.join(repo, "examples")
    for entry in sorted(os.listdir(examples)):
        main = os.path.join(examples, entry, "main.cc")
        if os.path.isfile(main):
            out.append(main)
    out.append(os.path.join(repo, "tests", "integration", "sandbox_docs_test.cc"))
    return out


def compile_one(compiler, repo, source):
    includes = ["-I", os.path.join(repo, "include")]
    if "tests" in source.split(os.sep):
        # The doc snippets' test also uses the emulator's public header and the fixtures.
        includes += ["-I", os.path.join(repo, "emulator", "include"),
                     "-I", os.path.join(repo, "tests"), "-I", os.path.dirname(source)]
    cmd = [compiler, *FLAGS, *includes, source]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    return cmd, result


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    repo, work, compilers = sys.argv[1], sys.argv[2], sys.argv[3:]
    os.makedirs(work, exist_ok=True)
    jobs = [(c, s) for c in compilers for s in sources(repo, work)]
    failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for (compiler, source), (cmd, result) in zip(
                jobs, pool.map(lambda j: compile_one(j[0], repo, j[1]), jobs)):
            if result.returncode != 0 or result.stderr.strip():
                failed += 1
                print(f"FAIL {compiler} {source}\n  {' '.join(cmd)}\n{result.stderr}")
            else:
                print(f"ok   {compiler} {os.path.relpath(source, repo)}")
    print(f"{len(jobs) - failed} of {len(jobs)} compilations clean")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
