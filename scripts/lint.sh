#!/usr/bin/env bash
# Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#
# Linters; exits non-zero on any finding.
# 1. clang-format --dry-run -Werror on every C++ file of the tree (tracked, or new and not
#    ignored): the tree's .clang-format.
# 2. clang-tidy (the tree's .clang-tidy, every warning an error) on the C++ files changed
#    since the base (below), with the build's compile_commands.json. A changed .cc is checked
#    as itself; a changed header through one translation unit that includes it (its own .cc
#    when there is one). Diagnostics are shown only for the changed files themselves.
#    Base: $MODAL_LINT_BASE if set; else the merge base of HEAD and origin/main (or, without
#    origin/main, the local main), unless that is HEAD itself (CI on main: the last commit
#    is the change); else HEAD~1; with none of these (a one-commit shallow clone) clang-tidy
#    is skipped with a warning, or run on every file with MODAL_LINT_ALL=1. Uncommitted
#    changes count as changed.
#
# Usage: scripts/lint.sh [--format-only | --tidy-only]
#
# Environment:
#   MODAL_BUILD_DIR    configured build tree with compile_commands.json and generated code
#                      (default: <repo>/build; scripts/test.sh makes one)
#   MODAL_LINT_BASE    git revision to diff against (see above)
#   MODAL_LINT_ALL     1: without a base revision, clang-tidy checks every file
#   MODAL_JOBS         parallel clang-tidy processes (default: nproc)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly repo_root
build_dir="${MODAL_BUILD_DIR:-${repo_root}/build}"
jobs="${MODAL_JOBS:-$(nproc 2>/dev/null || echo 2)}"
clang_format="${MODAL_CLANG_FORMAT:-clang-format}"
clang_tidy="${MODAL_CLANG_TIDY:-clang-tidy}"

do_format=1
do_tidy=1
case "${1:-}" in
  "") ;;
  --format-only) do_tidy=0 ;;
  --tidy-only) do_format=0 ;;
  -h|--help) awk 'NR > 3 && !/^#/ { exit } NR > 3 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
  *) echo "lint.sh: unknown argument: $1" >&2; exit 2 ;;
esac

cd "${repo_root}"
readonly cxx_files_regex='\.(cc|cpp|cxx|h|hh|hpp)$'
status=0

if [[ ${do_format} -eq 1 ]]; then
  mapfile -t files < <(git ls-files --cached --others --exclude-standard |
    grep -E "${cxx_files_regex}" | while read -r f; do [[ -f "${f}" ]] && echo "${f}"; done)
  echo "==> clang-format: ${#files[@]} files"
  # One clang-format for all files; each violation is reported as "FILE:LINE:COL: error: ...".
  report="$("${clang_format}" --dry-run -Werror "${files[@]}" 2>&1 || true)"
  mapfile -t unformatted < <(grep -oE '^[^ :]+:[0-9]+:[0-9]+: error: ' <<<"${report}" |
    cut -d: -f1 | sort -u)
  if [[ ${#unformatted[@]} -gt 0 ]]; then
    head -n 60 <<<"${report}"
    echo "lint.sh: ${#unformatted[@]} file(s) not formatted (fix: clang-format -i FILE):" >&2
    printf '  %s\n' "${unformatted[@]}" >&2
    status=1
  fi
fi

if [[ ${do_tidy} -eq 1 ]]; then
  db="${build_dir}/compile_commands.json"
  if [[ ! -f "${db}" ]]; then
    echo "lint.sh: ${db} not found: configure and build ${build_dir} first (scripts/test.sh)" >&2
    exit 1
  fi
  base="${MODAL_LINT_BASE:-}"
  if [[ -n "${base}" ]]; then
    git rev-parse -q --verify "${base}^{commit}" >/dev/null ||
      { echo "lint.sh: MODAL_LINT_BASE=${base} is not a commit" >&2; exit 2; }
  else
    head="$(git rev-parse HEAD)"
    # The first of origin/main and main that exists and shares history with HEAD (a fresh
    # or shallow clone may have neither, or no merge base), unless the merge base is HEAD
    # itself (HEAD is on main: the last commit is the change).
    for ref in origin/main main; do
      git rev-parse -q --verify "${ref}^{commit}" >/dev/null || continue
      mb="$(git merge-base HEAD "${ref}" 2>/dev/null || true)"
      [[ -n "${mb}" ]] || continue
      [[ "${mb}" != "${head}" ]] && base="${mb}"
      break
    done
    if [[ -z "${base}" ]] && git rev-parse -q --verify 'HEAD~1^{commit}' >/dev/null; then
      base="$(git rev-parse HEAD~1)"
    fi
  fi
  if [[ -n "${base}" ]]; then
    mapfile -t changed < <({ git diff --name-only --diff-filter=ACMR "${base}" --;
      git ls-files --others --exclude-standard; } | grep -E "${cxx_files_regex}" | sort -u |
      while read -r f; do [[ -f "${f}" ]] && echo "${f}"; done)
    echo "==> clang-tidy: ${#changed[@]} C++ file(s) changed since" \
      "$(git rev-parse --short "${base}")"
  elif [[ "${MODAL_LINT_ALL:-0}" == 1 ]]; then
    mapfile -t changed < <(git ls-files | grep -E "${cxx_files_regex}")
    echo "==> clang-tidy: no base revision; MODAL_LINT_ALL=1: all ${#changed[@]} C++ files"
  else
    # A clone without history cannot tell what changed; checking every file would take
    # about 20 minutes on 2 cores and judge files no change touched.
    changed=()
    echo "lint.sh: warning: no base revision (a one-commit shallow clone?), so no changed" \
      "files: clang-tidy skipped (set MODAL_LINT_BASE, or MODAL_LINT_ALL=1 for every file)" >&2
  fi

  # The translation units of the compile database (absolute paths).
  mapfile -t units < <(python3 -c '
import json, os, sys
for entry in json.load(open(sys.argv[1])):
    print(os.path.normpath(os.path.join(entry["directory"], entry["file"])))' "${db}" | sort -u)
  declare -A in_db=()
  for u in "${units[@]}"; do in_db["${u}"]=1; done

  declare -A to_check=()
  skipped=()
  for f in "${changed[@]}"; do
    abs="${repo_root}/${f}"
    if [[ "${f}" =~ \.(cc|cpp|cxx)$ ]]; then
      if [[ -n "${in_db[${abs}]:-}" ]]; then to_check["${abs}"]=1; else skipped+=("${f}"); fi
      continue
    fi
    # A header: its own .cc if that is a unit, else the first unit that includes it by name.
    unit=""
    for ext in cc cpp cxx; do
      [[ -n "${in_db[${abs%.*}.${ext}]:-}" ]] && { unit="${abs%.*}.${ext}"; break; }
    done
    if [[ -z "${unit}" ]]; then
      name="$(basename "${f}")"
      unit="$(grep -lE "^#include [\"<]([^\">]*/)?${name//./\\.}[\">]" "${units[@]}" 2>/dev/null |
        head -n 1 || true)"
    fi
    if [[ -n "${unit}" ]]; then to_check["${unit}"]=1; else skipped+=("${f}"); fi
  done
  if [[ ${#skipped[@]} -gt 0 ]]; then
    echo "lint.sh: not in ${db} (not checked by clang-tidy): ${skipped[*]}"
  fi
  if [[ ${#to_check[@]} -gt 0 && ${#changed[@]} -gt 0 ]]; then
    # Only the changed files' own diagnostics (clang-tidy matches names by suffix).
    line_filter="$(printf '%s\n' "${changed[@]}" |
      python3 -c 'import json, sys; print(json.dumps([{"name": l.strip()} for l in sys.stdin]))')"
    echo "==> clang-tidy: ${#to_check[@]} translation unit(s), ${jobs} at a time"
    # (sed drops clang-tidy's "N warnings generated." counts of the filtered diagnostics.)
    if ! printf '%s\0' "${!to_check[@]}" | sort -z |
        xargs -0 -n 1 -P "${jobs}" "${clang_tidy}" -p "${build_dir}" --quiet \
          --warnings-as-errors='*' --line-filter="${line_filter}" 2>&1 |
        sed -E '/^[0-9]+ warnings? generated\.$/d'; then
      echo "lint.sh: clang-tidy found problems (above)" >&2
      status=1
    fi
  fi
fi

[[ ${status} -eq 0 ]] && echo "==> lint: clean"
exit "${status}"
