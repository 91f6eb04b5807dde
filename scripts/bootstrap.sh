#!/usr/bin/env bash
# Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#
# Installs the Debian 12 packages needed to build and test modal-cpp. Idempotent: when
# everything is installed it only runs one dpkg-query and exits. Installs with apt-get as
# root, or through sudo when not root. Nothing is ever downloaded by the build itself.
#
# Usage: scripts/bootstrap.sh [--check]
#   --check   only report missing packages (exit 1 if any), never install.
set -euo pipefail

packages=(
  # toolchain
  cmake g++ ninja-build pkg-config
  # gRPC + protobuf (+ abseil, which gRPC's CMake package needs)
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  # SDK dependencies
  libtomlplusplus-dev libspdlog-dev nlohmann-json3-dev libcurl4-openssl-dev libcpp-httplib-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # unshare (sandbox isolation in the emulator runtime)
  util-linux
)

check_only=0
case "${1:-}" in
  --check) check_only=1 ;;
  "") ;;
  -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
  *) echo "bootstrap.sh: unknown argument: $1" >&2; exit 2 ;;
esac

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "bootstrap.sh: dpkg-query not found; this script supports Debian 12 (bookworm) only." >&2
  echo "bootstrap.sh: install these packages (or equivalents) by hand: ${packages[*]}" >&2
  exit 1
fi

missing=()
# One dpkg-query for all packages: prints "name<TAB>status" for the known ones.
status_lines="$(dpkg-query -W -f='${Package}\t${db:Status-Status}\n' "${packages[@]}" 2>/dev/null || true)"
for pkg in "${packages[@]}"; do
  if ! grep -qxF "${pkg}	installed" <<<"${status_lines}"; then
    missing+=("${pkg}")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
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
