#!/usr/bin/env bash
# Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#
# Installs what is needed to build and test modal-cpp: the Debian 12 packages below, and
# Node.js + npm with the pinned npm packages of tests/js (Modal's official JavaScript SDK,
# used by the js.official_sdk test). Idempotent and fast when everything is present (one
# dpkg-query, two `command -v`, one timestamp check). Installs with apt-get as root, or
# through sudo when not root. Nothing is ever downloaded by the build itself.
#
# Usage: scripts/bootstrap.sh [--check]
#   --check   only report what is missing (exit 1 if anything is), never install.
# Environment: MODAL_BOOTSTRAP_SKIP_JS=1 skips Node.js and tests/js (js.official_sdk will fail).
set -euo pipefail

packages=(
  # toolchain
  cmake g++ ninja-build pkg-config
  # gRPC + protobuf (+ abseil, which gRPC's CMake package needs)
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  # OpenSSL (already a dependency of gRPC): SHA-256 in the exec integrity tests
  libssl-dev
  # SDK dependencies
  libtomlplusplus-dev libspdlog-dev nlohmann-json3-dev libcurl4-openssl-dev libcpp-httplib-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # commands the tests and examples run inside sandboxes (python3 servers, git for the
  # agent example) and the docs snippet checks
  python3 git
  # cbor2: the CBOR of Modal's Python side, which the CBOR codec tests check against
  python3-cbor2
  # unshare (sandbox isolation in the emulator runtime)
  util-linux
  # zlib: checksums of the emulator's state journal (emulator/src/store/journal.h)
  zlib1g-dev
  # libarchive: unpacking local container images in the emulator (runtime/image_unpack.h)
  libarchive-dev
  # /bin/busybox, statically linked: the tiny image the image-unpacking tests build
  busybox-static
  # the API reference (`cmake --build build --target docs`)
  doxygen
  # fuzzers (clang with libFuzzer and its sanitizer runtimes: scripts/fuzz.sh) and linters
  # (scripts/lint.sh); GCC's sanitizer runtimes come with g++
  clang libclang-rt-14-dev clang-format clang-tidy
)

check_only=0
case "${1:-}" in
  --check) check_only=1 ;;
  "") ;;
  -h|--help) awk 'NR > 3 && !/^#/ { exit } NR > 3 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
  *) echo "bootstrap.sh: unknown argument: $1" >&2; exit 2 ;;
esac

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "bootstrap.sh: dpkg-query not found; this script supports Debian 12 (bookworm) only." >&2
  echo "bootstrap.sh: install these packages (or equivalents) by hand: ${packages[*]}" >&2
  exit 1
fi

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly repo_root
readonly js_dir="${repo_root}/tests/js"
want_js=0
[[ -f "${js_dir}/package-lock.json" && "${MODAL_BOOTSTRAP_SKIP_JS:-0}" != 1 ]] && want_js=1

missing=()
# One dpkg-query for all packages: prints "name<TAB>status" for the known ones.
status_lines="$(dpkg-query -W -f='${Package}\t${db:Status-Status}\n' "${packages[@]}" 2>/dev/null || true)"
for pkg in "${packages[@]}"; do
  if ! grep -qxF "${pkg}	installed" <<<"${status_lines}"; then
    missing+=("${pkg}")
  fi
done
# Node.js may come from Debian (nodejs + npm) or elsewhere (e.g. NodeSource's nodejs,
# which includes npm): check the commands, not the packages.
if [[ ${want_js} -eq 1 ]]; then
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
fi

# tests/js/node_modules is current when npm's own record of it is newer than the lock file.
js_current() {
  [[ -f "${js_dir}/node_modules/.package-lock.json" &&
     ! "${js_dir}/package-lock.json" -nt "${js_dir}/node_modules/.package-lock.json" ]]
}

install_js() {
  [[ ${want_js} -eq 1 ]] || return 0
  js_current && return 0
  echo "bootstrap.sh: installing the npm packages of tests/js" >&2
  local log
  log="$(mktemp "${TMPDIR:-/tmp}/modal-bootstrap-npm.XXXXXX")"
  # `npm ci` installs exactly the lock file. Some npm versions reject a lock file that
  # lacks entries for other platforms' optional packages; `npm install --no-save` then
  # installs the same locked versions without rewriting package.json or the lock file.
  if (cd "${js_dir}" && npm ci --no-audit --no-fund --loglevel=error) >"${log}" 2>&1 ||
     (cd "${js_dir}" && npm install --no-save --no-audit --no-fund --loglevel=error) >>"${log}" 2>&1
  then
    rm -f "${log}"
  else
    # Not fatal: the C++ build and tests do not need it; js.official_sdk will fail.
    tail -n 20 "${log}" >&2
    echo "bootstrap.sh: WARNING: installing tests/js failed (log: ${log});" \
      "the js.official_sdk test will fail" >&2
  fi
}

if [[ ${#missing[@]} -eq 0 ]]; then
  if [[ ${check_only} -eq 1 ]]; then
    if [[ ${want_js} -eq 1 ]] && ! js_current; then
      echo "bootstrap.sh: tests/js/node_modules is missing or older than package-lock.json" >&2
      exit 1
    fi
    exit 0
  fi
  install_js
  exit 0
fi

echo "bootstrap.sh: missing packages: ${missing[*]}" >&2
if [[ ${check_only} -eq 1 ]]; then
  exit 1
fi

if [[ "$(id -u)" -eq 0 ]]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "bootstrap.sh: not root and sudo is not available; install them as root:" >&2
  echo "  apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
  "${missing[@]}"
echo "bootstrap.sh: installed ${missing[*]}" >&2
install_js
