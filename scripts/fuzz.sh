#!/usr/bin/env bash
# Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#
# Builds the libFuzzer targets of tests/fuzz (clang, -DMODAL_BUILD_FUZZERS=ON: ASan + UBSan +
# coverage instrumentation), replays each checked-in seed corpus (ctest -L fuzz), then
# fuzzes each target for a bounded time on a fresh copy of its corpus (the tree stays
# clean). Exits non-zero on any build failure, finding, crash, timeout or out-of-memory;
# each failing input is kept and its reproduction command printed.
#
# Usage: scripts/fuzz.sh [TARGET...]      (default: every fuzz_* target; e.g. fuzz_jwt)
#
# Environment:
#   MODAL_BUILD_DIR       build tree (default: <repo>/build-fuzz)
#   MODAL_FUZZ_SECONDS    fuzzing time per target, seconds (default: 30; 0: replay only)
#   MODAL_JOBS            parallel build jobs (default: nproc)
#   MODAL_CXX             the clang++ to use (default: clang++)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly repo_root
build_dir="${MODAL_BUILD_DIR:-${repo_root}/build-fuzz}"
seconds="${MODAL_FUZZ_SECONDS:-30}"
jobs="${MODAL_JOBS:-$(nproc 2>/dev/null || echo 2)}"
corpus_root="${repo_root}/tests/fuzz/corpus"

case "${1:-}" in
  -h|--help) awk 'NR > 3 && !/^#/ { exit } NR > 3 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
esac
if [[ $# -gt 0 ]]; then
  targets=("$@")
else
  targets=()
  for dir in "${corpus_root}"/*/; do
    targets+=("$(basename "${dir}")")
  done
fi

"${repo_root}/scripts/bootstrap.sh"

configure_args=(-S "${repo_root}" -B "${build_dir}"
  -DMODAL_BUILD_FUZZERS=ON
  # clang does not know all of GCC's warning flags; the GCC build polices warnings.
  -DMODAL_WERROR=OFF
  -DMODAL_BUILD_TESTS=ON -DMODAL_BUILD_EMULATOR=ON -DMODAL_BUILD_EXAMPLES=OFF
  -DMODAL_BUILD_BENCHMARKS=OFF -DMODAL_BUILD_DOCS=OFF -DMODAL_INSTALL=OFF)
if [[ ! -f "${build_dir}/CMakeCache.txt" ]]; then
  command -v ninja >/dev/null 2>&1 && configure_args+=(-G Ninja)
  configure_args+=("-DCMAKE_CXX_COMPILER=${MODAL_CXX:-clang++}" -DCMAKE_BUILD_TYPE=RelWithDebInfo
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG")
fi

echo "==> configure ${build_dir}"
cmake "${configure_args[@]}"
echo "==> build the fuzzers (${jobs} jobs)"
cmake --build "${build_dir}" --parallel "${jobs}" --target modal_fuzzers

export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:${UBSAN_OPTIONS}}"
echo "==> replay the seed corpora"
ctest --test-dir "${build_dir}" --output-on-failure -L '^fuzz$' --no-tests=error \
  -R "^fuzz\\.($(IFS='|'; echo "${targets[*]}"))\\.corpus$"

[[ "${seconds}" -gt 0 ]] || exit 0
work_root="${build_dir}/fuzz-work"
failed=()
for target in "${targets[@]}"; do
  binary="${build_dir}/tests/fuzz/${target}"
  work="${work_root}/${target}"
  rm -rf "${work}"
  mkdir -p "${work}/corpus" "${work}/artifacts"
  cp -R "${corpus_root}/${target}/." "${work}/corpus/"
  echo "==> fuzz ${target} for ${seconds}s (corpus: a copy in ${work}/corpus)"
  # -timeout: one input taking longer is a finding (a hang); -rss_limit_mb likewise for memory.
  if "${binary}" -max_total_time="${seconds}" -timeout=25 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="${work}/artifacts/" "${work}/corpus" \
      >"${work}/fuzz.log" 2>&1; then
    grep -E '^(stat::number_of_executed_units|stat::new_units_added|Done)' "${work}/fuzz.log" ||
      true
  else
    tail -n 80 "${work}/fuzz.log"
    for input in "${work}"/artifacts/*; do
      [[ -f "${input}" ]] || continue
      echo "fuzz.sh: ${target}: failing input ${input} ($(wc -c <"${input}") bytes):"
      od -A d -c "${input}" | head -n 20
      echo "fuzz.sh: reproduce with: ${binary} ${input}"
    done
    failed+=("${target}")
  fi
done
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz.sh: findings in: ${failed[*]} (logs: ${work_root}/<target>/fuzz.log)" >&2
  exit 1
fi
echo "==> no finding in ${#targets[@]} fuzz targets"
