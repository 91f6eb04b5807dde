#!/usr/bin/env bash
# Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#
# Builds examples/NAME and runs it against a fresh modal-emulator (scripts/with-emulator.sh),
# with examples/NAME/emulator.args, if present, as extra emulator arguments.
#
# Usage: scripts/run-example.sh NAME [ARGS...]     (without NAME: list the examples)
#
# Environment:
#   MODAL_BUILD_DIR   build tree (default: <repo>/build; configured when missing)
#   MODAL_JOBS        parallel build jobs (default: nproc)
# Exit status: the example's; 2 for an unknown example.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly repo_root
build_dir="${MODAL_BUILD_DIR:-${repo_root}/build}"
jobs="${MODAL_JOBS:-$(nproc 2>/dev/null || echo 2)}"

list_examples() {
  local dir
  for dir in "${repo_root}"/examples/*/; do
    [[ -f "${dir}main.cc" ]] && basename "${dir}"
  done | LC_ALL=C sort
}

name="${1:-}"
if [[ "${name}" == -h || "${name}" == --help ]]; then
  awk 'NR > 3 && !/^#/ { exit } NR > 3 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"
  exit 0
fi
if [[ -z "${name}" || ! "${name}" =~ ^[A-Za-z0-9_-]+$ || ! -f "${repo_root}/examples/${name}/main.cc" ]]; then
  [[ -n "${name}" ]] && echo "run-example.sh: unknown example '${name}'" >&2
  examples="$(list_examples)"
  if [[ -n "${examples}" ]]; then
    echo "Available examples:" >&2
    while IFS= read -r example; do echo "  ${example}"; done <<<"${examples}" >&2
  else
    echo "There are no examples yet (examples/NAME/main.cc)." >&2
  fi
  echo "Usage: scripts/run-example.sh NAME [ARGS...]" >&2
  exit 2
fi
shift

"${repo_root}/scripts/bootstrap.sh"

if [[ ! -f "${build_dir}/CMakeCache.txt" ]]; then
  generator=()
  command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
  echo "==> configure ${build_dir}" >&2
  cmake -S "${repo_root}" -B "${build_dir}" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    >&2
fi

paths_file="${build_dir}/run-example.paths"
# Reconfigure when the example is not known to the build tree yet (e.g. just added).
if [[ ! -f "${paths_file}" ]] || ! grep -q "^example-${name}	" "${paths_file}"; then
  cmake -S "${repo_root}" -B "${build_dir}" -DMODAL_BUILD_EXAMPLES=ON -DMODAL_BUILD_EMULATOR=ON >&2
fi
if ! grep -q "^example-${name}	" "${paths_file}" 2>/dev/null; then
  echo "run-example.sh: examples/${name}/main.cc exists but is not registered; add" \
    "modal_add_example(${name}) to examples/CMakeLists.txt" >&2
  exit 2
fi

echo "==> build modal-emulator example-${name}" >&2
cmake --build "${build_dir}" --parallel "${jobs}" --target modal-emulator "example-${name}" >&2

emulator="$(awk -F'\t' '$1 == "modal-emulator" { print $2 }' "${paths_file}")"
binary="$(awk -F'\t' -v t="example-${name}" '$1 == t { print $2 }' "${paths_file}")"
if [[ -z "${emulator}" ]]; then
  echo "run-example.sh: the build tree has no modal-emulator target" >&2
  exit 1
fi

echo "==> run example-${name} against a fresh modal-emulator" >&2
exec "${repo_root}/scripts/with-emulator.sh" --emulator "${emulator}" \
  --optional-args-file "${repo_root}/examples/${name}/emulator.args" -- "${binary}" "$@"
