#!/usr/bin/env bash
# Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#
# Runs a command against a fresh, private modal-emulator.
#
# Usage:
#   scripts/with-emulator.sh [options] -- CMD [ARGS...]
#
# Options:
#   --emulator PATH          the modal-emulator binary (default: $MODAL_EMULATOR, else
#                            build/.../modal-emulator in this checkout, else modal-emulator on PATH)
#   --emulator-arg ARG       one extra argument for the emulator (repeatable)
#   --args-file FILE         extra emulator arguments, one option per line: each non-blank line
#                            not starting with '#' is split at its first run of whitespace
#                            into at most two arguments, so "--secret name:KEY=a value" passes
#                            "--secret" and "name:KEY=a value"; {args_dir} in a line stands for
#                            the absolute directory of FILE. A missing FILE is an error.
#   --optional-args-file FILE  like --args-file, but a missing FILE is ignored
#   --startup-timeout SECS   how long to wait for the emulator to listen (default 30)
#   --grace SECS             after CMD ends, how long SIGTERM may take before SIGKILL (default 5)
#   --emulator-log FILE      keep the emulator's output in FILE (default: a temp file, printed
#                            to stderr only when the emulator fails to start or CMD fails)
#   -h, --help               this text
#
# The emulator listens on an ephemeral loopback port. CMD runs with
#   MODAL_SERVER_URL=http://127.0.0.1:PORT, MODAL_TOKEN_ID / MODAL_TOKEN_SECRET = the emulator's
#   credentials, MODAL_CONFIG_PATH = a file that does not exist (so ~/.modal.toml never
#   interferes), MODAL_PROFILE and MODAL_ENVIRONMENT unset, and MODAL_EMULATOR_ADDRESS=127.0.0.1:PORT.
# The emulator is stopped on every exit path. Exit status: CMD's; 2 for usage errors;
# 125 when the emulator could not be started.

# shellcheck disable=SC2317  # cleanup functions are called from traps
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly script_dir
repo_root="$(cd "${script_dir}/.." && pwd)"
readonly repo_root

# Prints the comment block at the top of this file, from its third line.
usage() { awk 'NR > 3 && !/^#/ { exit } NR > 3 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"; }
die_usage() { echo "with-emulator.sh: $*" >&2; echo "run with --help for usage" >&2; exit 2; }

# Appends the arguments in file $1 to emulator_args (format: see --args-file above).
read_args_file() {
  local line args_dir
  args_dir="$(cd "$(dirname "$1")" && pwd)"
  while IFS= read -r line || [[ -n "${line}" ]]; do
    line="${line//\{args_dir\}/${args_dir}}"
    line="${line#"${line%%[![:space:]]*}"}"  # trim leading whitespace
    line="${line%"${line##*[![:space:]]}"}"  # trim trailing whitespace
    [[ -z "${line}" || "${line}" == \#* ]] && continue
    if [[ "${line}" =~ ^([^[:space:]]+)[[:space:]]+(.*)$ ]]; then
      emulator_args+=("${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}")
    else
      emulator_args+=("${line}")
    fi
  done <"$1"
}

emulator="${MODAL_EMULATOR:-}"
emulator_args=()
startup_timeout=30
grace=5
emulator_log=""

while [[ $# -gt 0 ]]; do
  case "$1" in
    --emulator) [[ $# -ge 2 ]] || die_usage "--emulator needs a value"; emulator="$2"; shift 2 ;;
    --emulator=*) emulator="${1#*=}"; shift ;;
    --emulator-arg) [[ $# -ge 2 ]] || die_usage "--emulator-arg needs a value"
      emulator_args+=("$2"); shift 2 ;;
    --emulator-arg=*) emulator_args+=("${1#*=}"); shift ;;
    --args-file|--optional-args-file)
      [[ $# -ge 2 ]] || die_usage "$1 needs a value"
      if [[ -f "$2" ]]; then read_args_file "$2"
      elif [[ "$1" == --args-file ]]; then die_usage "args file not found: $2"; fi
      shift 2 ;;
    --startup-timeout) [[ $# -ge 2 ]] || die_usage "--startup-timeout needs a value"
      startup_timeout="$2"; shift 2 ;;
    --grace) [[ $# -ge 2 ]] || die_usage "--grace needs a value"; grace="$2"; shift 2 ;;
    --emulator-log) [[ $# -ge 2 ]] || die_usage "--emulator-log needs a value"
      emulator_log="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    --) shift; break ;;
    *) die_usage "unknown option: $1 (put the command after --)" ;;
  esac
done
[[ $# -gt 0 ]] || die_usage "no command given (usage: with-emulator.sh [options] -- CMD [ARGS...])"
[[ "${startup_timeout}" =~ ^[0-9]+$ ]] || die_usage "--startup-timeout must be whole seconds"
[[ "${grace}" =~ ^[0-9]+$ ]] || die_usage "--grace must be whole seconds"

if [[ -z "${emulator}" ]]; then
  # Newest modal-emulator under build*/ of this checkout, else PATH.
  emulator="$(find "${repo_root}" -maxdepth 4 -path "${repo_root}/build*" -type f \
    -name modal-emulator -perm -u+x -printf '%T@ %p\n' 2>/dev/null | sort -rn | head -n1 |
    cut -d' ' -f2- || true)"
  [[ -n "${emulator}" ]] || emulator="$(command -v modal-emulator || true)"
  [[ -n "${emulator}" ]] || die_usage "modal-emulator not found; build it or pass --emulator PATH"
fi
[[ -x "${emulator}" ]] || die_usage "not an executable: ${emulator}"

tmp_dir="$(mktemp -d "${TMPDIR:-/tmp}/modal-with-emulator.XXXXXX")"
[[ -n "${emulator_log}" ]] || emulator_log="${tmp_dir}/emulator.log"
port_file="${tmp_dir}/port"
emulator_pid=""
cmd_pid=""

show_emulator_log() {
  if [[ -s "${emulator_log}" ]]; then
    echo "---- modal-emulator output (${emulator_log}) ----" >&2
    tail -n 200 "${emulator_log}" >&2 || true
    echo "---- end of modal-emulator output ----" >&2
  fi
}

# Stops the emulator. Anything unexpected (it died during the run, it needed SIGKILL, it
# exited with an error on SIGTERM) is reported on stderr with the "with-emulator.sh: "
# prefix, which the example tests treat as a failure; the exit status stays CMD's.
stop_emulator() {
  [[ -n "${emulator_pid}" ]] || return 0
  local pid="${emulator_pid}" status=0
  emulator_pid=""
  if kill -0 "${pid}" 2>/dev/null; then
    kill -TERM "${pid}" 2>/dev/null || true
    local deadline=$((SECONDS + grace))
    while kill -0 "${pid}" 2>/dev/null && [[ ${SECONDS} -lt ${deadline} ]]; do
      sleep 0.05
    done
    if kill -0 "${pid}" 2>/dev/null; then
      echo "with-emulator.sh: modal-emulator (pid ${pid}) ignored SIGTERM for ${grace}s; killing it" >&2
      kill -KILL "${pid}" 2>/dev/null || true
      wait "${pid}" 2>/dev/null || true
    else
      wait "${pid}" 2>/dev/null || status=$?
      if [[ ${status} -ne 0 ]]; then
        echo "with-emulator.sh: modal-emulator exited with status ${status} on SIGTERM" >&2
        show_emulator_log
      fi
    fi
  else
    wait "${pid}" 2>/dev/null || status=$?
    echo "with-emulator.sh: modal-emulator exited by itself (status ${status}) while the command ran" >&2
    show_emulator_log
  fi
  # The emulator runs in its own session (setsid): kill whatever it left in its group.
  kill -KILL -- "-${pid}" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  trap - EXIT
  if [[ -n "${cmd_pid}" ]] && kill -0 "${cmd_pid}" 2>/dev/null; then
    kill -TERM "${cmd_pid}" 2>/dev/null || true
    wait "${cmd_pid}" 2>/dev/null || true
  fi
  stop_emulator
  rm -rf "${tmp_dir}"
  exit "${rc}"
}
on_signal() {
  local sig="$1" code="$2"
  echo "with-emulator.sh: received SIG${sig}; stopping" >&2
  exit "${code}"  # runs cleanup via the EXIT trap
}
trap cleanup EXIT
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM
trap 'on_signal HUP 129' HUP

token_id="ak-with-emulator"
token_secret="as-with-emulator-$$-${RANDOM}${RANDOM}"

launcher=()
command -v setsid >/dev/null 2>&1 && launcher=(setsid)
"${launcher[@]}" "${emulator}" --port 0 --port-file "${port_file}" \
  --token-id "${token_id}" --token-secret "${token_secret}" "${emulator_args[@]}" \
  </dev/null >"${emulator_log}" 2>&1 &
emulator_pid=$!

port=""
deadline=$((SECONDS + startup_timeout))
while :; do
  if [[ -s "${port_file}" ]]; then
    content="$(<"${port_file}")"
    content="${content//[[:space:]]/}"
    content="${content##*:}"  # accept "PORT" or "HOST:PORT"
    if [[ "${content}" =~ ^[0-9]+$ ]] && ((content > 0 && content < 65536)); then
      port="${content}"
      break
    fi
  fi
  if ! kill -0 "${emulator_pid}" 2>/dev/null; then
    set +e; wait "${emulator_pid}"; erc=$?; set -e
    emulator_pid=""
    echo "with-emulator.sh: modal-emulator exited with status ${erc} before listening" >&2
    echo "with-emulator.sh: command was: ${emulator} --port 0 --port-file ${port_file}" \
      "--token-id ${token_id} --token-secret *** ${emulator_args[*]}" >&2
    show_emulator_log
    exit 125
  fi
  if [[ ${SECONDS} -ge ${deadline} ]]; then
    echo "with-emulator.sh: modal-emulator did not write ${port_file} within ${startup_timeout}s" >&2
    show_emulator_log
    exit 125
  fi
  sleep 0.05
done

export MODAL_SERVER_URL="http://127.0.0.1:${port}"
export MODAL_TOKEN_ID="${token_id}"
export MODAL_TOKEN_SECRET="${token_secret}"
export MODAL_CONFIG_PATH="${tmp_dir}/config/no-such-modal.toml"  # never created
export MODAL_EMULATOR_ADDRESS="127.0.0.1:${port}"
unset MODAL_PROFILE MODAL_ENVIRONMENT

# In the background so that our signal traps run while CMD is running; the explicit
# stdin redirect keeps bash from giving a background job /dev/null as stdin.
set +e
"$@" <&0 &
cmd_pid=$!
wait "${cmd_pid}"
rc=$?
cmd_pid=""
set -e
if [[ ${rc} -ne 0 ]]; then
  echo "with-emulator.sh: command exited with status ${rc}" >&2
  show_emulator_log
fi
exit "${rc}"
