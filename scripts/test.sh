#!/usr/bin/env bash
# Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#
# Builds everything and the API reference (the `docs` target: a Doxygen warning fails it),
# then runs the whole test suite; exits non-zero on any failure.
# Works from any directory and on a fresh clone.
#
# Usage: scripts/test.sh [CTEST_ARGS...]     e.g. scripts/test.sh -R '^unit\.' -L example
#
# Environment:
#   MODAL_BUILD_DIR       build tree (default: <repo>/build)
#   MODAL_BUILD_TYPE      CMAKE_BUILD_TYPE of a new build tree (default: RelWithDebInfo)
#   MODAL_WERROR          ON/OFF, warnings are errors (default: ON)
#   MODAL_JOBS            parallel build jobs and tests (default: nproc)
#   MODAL_TEST_TIMEOUT    seconds, for tests that set no TIMEOUT themselves (default: 300)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly repo_root
build_dir="${MODAL_BUILD_DIR:-${repo_root}/build}"
jobs="${MODAL_JOBS:-$(nproc 2>/dev/null || echo 2)}"
timeout="${MODAL_TEST_TIMEOUT:-300}"

"${repo_root}/scripts/bootstrap.sh"

configure_args=(-S "${repo_root}" -B "${build_dir}"
  "-DMODAL_WERROR=${MODAL_WERROR:-ON}"
  -DMODAL_BUILD_TESTS=ON -DMODAL_BUILD_EXAMPLES=ON -DMODAL_BUILD_EMULATOR=ON
  -DMODAL_BUILD_DOCS=ON)
if [[ ! -f "${build_dir}/CMakeCache.txt" ]]; then
  # A new tree: Ninja when available. An existing tree keeps its generator and build type.
  command -v ninja >/dev/null 2>&1 && configure_args+=(-G Ninja)
  configure_args+=("-DCMAKE_BUILD_TYPE=${MODAL_BUILD_TYPE:-RelWithDebInfo}")
fi

echo "==> configure ${build_dir}"
cmake "${configure_args[@]}"
echo "==> build (${jobs} jobs)"
cmake --build "${build_dir}" --parallel "${jobs}"
echo "==> API reference (${build_dir}/docs/html)"
cmake --build "${build_dir}" --target docs
echo "==> test (${jobs} in parallel, default timeout ${timeout}s)"
ctest --test-dir "${build_dir}" --output-on-failure --parallel "${jobs}" \
  --timeout "${timeout}" --no-tests=error "$@"
