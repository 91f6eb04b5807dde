#!/usr/bin/env bash
# Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#
# Builds everything and the API reference (the `docs` target: a Doxygen warning fails it),
# then runs the whole test suite; exits non-zero on any failure.
# Works from any directory and on a fresh clone.
#
# Usage: scripts/test.sh [--sanitize asan|tsan] [CTEST_ARGS...]
#   e.g. scripts/test.sh -R '^unit\.' -L example
#   --sanitize asan   build with -DMODAL_SANITIZE=address,undefined in <repo>/build-asan and run
#                     the suite under ASan + LeakSanitizer + UBSan;
#   --sanitize tsan   build with -DMODAL_SANITIZE=thread in <repo>/build-tsan, run under TSan
#                     (suppressions: tests/sanitizers/tsan.supp, third-party frames only).
#   A sanitized run skips the API reference and the packaging tests (an installed package is
#   built into unsanitized consumers), gives tests more time (see MODAL_TEST_TIMEOUT), and
#   sends every sanitizer report, also those of child processes, to <build>/sanitizer-logs/;
#   the run fails if any report is there (the first lines of each are printed; after a TSan
#   run, also a summary by tests/sanitizers/tsan_summary.py).
#   Options in ASAN_OPTIONS, UBSAN_OPTIONS or TSAN_OPTIONS are appended to ours (so they win).
#
# Environment:
#   MODAL_BUILD_DIR       build tree (default: <repo>/build, <repo>/build-asan, <repo>/build-tsan)
#   MODAL_BUILD_TYPE      CMAKE_BUILD_TYPE of a new build tree (default: RelWithDebInfo; in a
#                         sanitized tree with -O1 -g1 instead of -O2 -g)
#   MODAL_WERROR          ON/OFF, warnings are errors (default: ON)
#   MODAL_JOBS            parallel build jobs and tests (default: nproc)
#   MODAL_BUILD_TARGETS   build only these targets (space-separated; default: everything),
#                         e.g. MODAL_BUILD_TARGETS=modal_unit_test scripts/test.sh -R '^unit\.'
#   MODAL_TEST_TIMEOUT    seconds, for tests that set no TIMEOUT themselves (default: 300;
#                         900 with --sanitize asan, 1800 with --sanitize tsan)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly repo_root

sanitize=""
case "${1:-}" in
  --sanitize)
    [[ $# -ge 2 ]] || { echo "test.sh: --sanitize takes asan or tsan" >&2; exit 2; }
    sanitize="$2"; shift 2 ;;
  --sanitize=*) sanitize="${1#--sanitize=}"; shift ;;
esac
case "${sanitize}" in
  "") sanitizers=""; tree=build; timeout_factor=1 ;;
  asan) sanitizers="address,undefined"; tree=build-asan; timeout_factor=3 ;;
  tsan) sanitizers="thread"; tree=build-tsan; timeout_factor=6 ;;
  *) echo "test.sh: --sanitize takes asan or tsan, not '${sanitize}'" >&2; exit 2 ;;
esac

build_dir="${MODAL_BUILD_DIR:-${repo_root}/${tree}}"
jobs="${MODAL_JOBS:-$(nproc 2>/dev/null || echo 2)}"
timeout="${MODAL_TEST_TIMEOUT:-$((300 * timeout_factor))}"

"${repo_root}/scripts/bootstrap.sh"

configure_args=(-S "${repo_root}" -B "${build_dir}"
  "-DMODAL_WERROR=${MODAL_WERROR:-ON}"
  -DMODAL_BUILD_TESTS=ON -DMODAL_BUILD_EXAMPLES=ON -DMODAL_BUILD_EMULATOR=ON)
if [[ -z "${sanitizers}" ]]; then
  configure_args+=(-DMODAL_SANITIZE= -DMODAL_BUILD_DOCS=ON)
else
  # The API reference does not depend on the sanitizers: the plain run builds it.
  configure_args+=("-DMODAL_SANITIZE=${sanitizers}" -DMODAL_BUILD_DOCS=OFF)
fi
if [[ ! -f "${build_dir}/CMakeCache.txt" ]]; then
  # A new tree: Ninja when available. An existing tree keeps its generator and build type.
  command -v ninja >/dev/null 2>&1 && configure_args+=(-G Ninja)
  configure_args+=("-DCMAKE_BUILD_TYPE=${MODAL_BUILD_TYPE:-RelWithDebInfo}")
  if [[ -n "${sanitizers}" && -z "${MODAL_BUILD_TYPE:-}" ]]; then
    # -O1 and line tables only: what the sanitizers' manuals suggest, and about half the
    # compile time of -O2 -g with -fsanitize=address,undefined (a cold CI stage).
    configure_args+=("-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG")
  fi
fi

echo "==> configure ${build_dir}"
cmake "${configure_args[@]}"
build_args=(--build "${build_dir}" --parallel "${jobs}")
if [[ -n "${MODAL_BUILD_TARGETS:-}" ]]; then
  read -r -a build_targets <<<"${MODAL_BUILD_TARGETS}"
  build_args+=(--target "${build_targets[@]}")
fi
echo "==> build (${jobs} jobs${MODAL_BUILD_TARGETS:+: ${MODAL_BUILD_TARGETS}})"
cmake "${build_args[@]}"
if [[ -z "${sanitizers}" ]]; then
  if [[ -z "${MODAL_BUILD_TARGETS:-}" ]]; then
    echo "==> API reference (${build_dir}/docs/html)"
    cmake --build "${build_dir}" --target docs
  fi
  echo "==> test (${jobs} in parallel, default timeout ${timeout}s)"
  ctest --test-dir "${build_dir}" --output-on-failure --parallel "${jobs}" \
    --timeout "${timeout}" --no-tests=error "$@"
  exit 0
fi

# A sanitized run. Every sanitized process (tests, the emulator they start, programs run in
# Sandboxes) writes its reports to <log_dir>/<tool>.<pid>, so a report of a child process
# whose exit status nobody checks still fails the run.
log_dir="${build_dir}/sanitizer-logs"
rm -rf "${log_dir}"
mkdir -p "${log_dir}"
# Flags common to all sanitizers; the rest are each tool's own (an unknown flag would print a
# warning into the logs).
common="log_path=${log_dir}/TOOL:strip_path_prefix=${repo_root}/"
if [[ "${sanitize}" == asan ]]; then
  export ASAN_OPTIONS="${common/TOOL/asan}:halt_on_error=1:detect_leaks=1:\
check_initialization_order=1:strict_init_order=1${ASAN_OPTIONS:+:${ASAN_OPTIONS}}"
  export UBSAN_OPTIONS="${common/TOOL/ubsan}:halt_on_error=1:print_stacktrace=1\
${UBSAN_OPTIONS:+:${UBSAN_OPTIONS}}"
else
  # halt_on_error=0: every race of a test is reported; a process that reported one still
  # exits with status 66, which fails its test.
  # ignore_noninstrumented_modules=1: memory accesses made inside the uninstrumented
  # libraries from Debian (gRPC, Abseil, protobuf: their memcpy, malloc and free go through
  # TSan's interceptors) are not race candidates; their locking (absl::Mutex, atomics) is
  # invisible to TSan, so every buffer gRPC hands between its threads was reported as a race
  # (5,842 reports in the first full run). Accesses of instrumented code (the project's, and
  # gRPC's inline header code compiled into it) are all still checked.
  export TSAN_OPTIONS="${common/TOOL/tsan}:halt_on_error=0:second_deadlock_stack=1:\
ignore_noninstrumented_modules=1:\
suppressions=${repo_root}/tests/sanitizers/tsan.supp${TSAN_OPTIONS:+:${TSAN_OPTIONS}}"
fi
echo "==> test under ${sanitizers} (${jobs} in parallel, default timeout ${timeout}s;" \
  "reports in ${log_dir})"
status=0
# -E first, so that a -E among the arguments replaces it.
ctest --test-dir "${build_dir}" --output-on-failure --parallel "${jobs}" \
  --timeout "${timeout}" --no-tests=error -E '^packaging\.' "$@" || status=$?

reports=()
for file in "${log_dir}"/*; do
  [[ -s "${file}" ]] && reports+=("${file}")
done
if [[ ${#reports[@]} -gt 0 ]]; then
  # A TSan run can write thousands of reports: the first 20 files, 200 lines each.
  for file in "${reports[@]:0:20}"; do
    echo "==> sanitizer report ${file} ($(wc -l <"${file}") lines)"
    head -n 200 "${file}"
  done
  if [[ "${sanitize}" == tsan ]]; then
    echo "==> summary of the TSan reports (tests/sanitizers/tsan_summary.py ${log_dir})"
    python3 "${repo_root}/tests/sanitizers/tsan_summary.py" "${log_dir}" | head -n 400 || true
  fi
  echo "test.sh: ${#reports[@]} sanitizer report(s) in ${log_dir}" >&2
  exit 1
fi
if [[ ${status} -ne 0 ]]; then
  echo "test.sh: ctest failed (status ${status}); no sanitizer report in ${log_dir}" >&2
fi
exit "${status}"
