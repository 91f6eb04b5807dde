#!/usr/bin/env bash
# Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#
# Tests scripts/with-emulator.sh against tests/examples/fake_emulator.sh.
# Usage: with_emulator_test.sh [CASE...]   (default: all cases)

# shellcheck disable=SC2016  # the single-quoted scripts expand in the child
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
with_emulator="${here}/../../scripts/with-emulator.sh"
fake="${here}/fake_emulator.sh"
work="$(mktemp -d "${TMPDIR:-/tmp}/with-emulator-test.XXXXXX")"
trap 'rm -rf "${work}"' EXIT
failures=0

fail() { echo "FAIL [${current}]: $*" >&2; failures=$((failures + 1)); }
expect_eq() { [[ "$1" == "$2" ]] || fail "$3: expected '$2', got '$1'"; }
alive() { kill -0 "$1" 2>/dev/null; }
# Waits up to 5 s for pid $1 to disappear.
gone_soon() {
  local i
  for ((i = 0; i < 100; i++)); do alive "$1" || return 0; sleep 0.05; done
  return 1
}
new_record() { rm -rf "${work}/rec"; mkdir -p "${work}/rec"; echo "${work}/rec"; }

case_environment_and_exit_code() {
  local rec out rc
  rec="$(new_record)"
  printf '# comment\n\n--secret  name:GREETING=hello world \n--verbose\n' >"${work}/emulator.args"
  out="$(MODAL_PROFILE=p MODAL_ENVIRONMENT=e MODAL_CONFIG_PATH=/etc/passwd \
    FAKE_EMULATOR_RECORD="${rec}" "${with_emulator}" --emulator "${fake}" \
    --emulator-arg --first --args-file "${work}/emulator.args" -- \
    bash -c 'echo "url=${MODAL_SERVER_URL}"; echo "id=${MODAL_TOKEN_ID}";
             echo "secret=${MODAL_TOKEN_SECRET}"; echo "cfg=${MODAL_CONFIG_PATH}";
             echo "profile=${MODAL_PROFILE-unset}"; echo "env=${MODAL_ENVIRONMENT-unset}";
             test -e "${MODAL_CONFIG_PATH}" && echo cfg-exists; exit 7')"
  rc=$?
  expect_eq "${rc}" 7 "exit code of the command"
  grep -qx 'url=http://127.0.0.1:45678' <<<"${out}" || fail "MODAL_SERVER_URL wrong: ${out}"
  grep -qx 'profile=unset' <<<"${out}" || fail "MODAL_PROFILE not unset"
  grep -qx 'env=unset' <<<"${out}" || fail "MODAL_ENVIRONMENT not unset"
  grep -q '^cfg=/.*' <<<"${out}" || fail "MODAL_CONFIG_PATH not set"
  grep -qx 'cfg=/etc/passwd' <<<"${out}" && fail "MODAL_CONFIG_PATH not replaced"
  grep -qx 'cfg-exists' <<<"${out}" && fail "MODAL_CONFIG_PATH points at an existing file"
  local id secret
  id="$(sed -n 's/^id=//p' <<<"${out}")"
  secret="$(sed -n 's/^secret=//p' <<<"${out}")"
  [[ -n "${id}" && -n "${secret}" ]] || fail "token env vars empty"
  local args
  args="$(cat "${rec}/args")"
  local expected
  expected="$(printf '%s\n' --port 0 --port-file X --token-id "${id}" --token-secret "${secret}" \
    --first --secret 'name:GREETING=hello world' --verbose)"
  # The port file path is random: compare with it masked.
  expect_eq "$(sed '4s/.*/X/' <<<"${args}")" "${expected}" "emulator argv"
  gone_soon "$(cat "${rec}/pid")" || fail "emulator still running after the command ended"
  [[ -e "${rec}/stopped" ]] || fail "emulator was not stopped with SIGTERM"
}

case_success_is_zero() {
  local rec
  rec="$(new_record)"
  FAKE_EMULATOR_RECORD="${rec}" "${with_emulator}" --emulator "${fake}" -- true
  expect_eq "$?" 0 "exit code"
  gone_soon "$(cat "${rec}/pid")" || fail "emulator still running"
}

case_stdin_is_passed_through() {
  local out
  out="$(echo from-stdin | "${with_emulator}" --emulator "${fake}" -- cat)"
  expect_eq "${out}" "from-stdin" "stdin of the command"
}

case_emulator_dies_at_startup() {
  local err rc
  err="$(FAKE_EMULATOR_MODE=die "${with_emulator}" --emulator "${fake}" -- \
    bash -c 'echo SHOULD-NOT-RUN' 2>&1)"
  rc=$?
  expect_eq "${rc}" 125 "exit code"
  grep -q 'SHOULD-NOT-RUN' <<<"${err}" && fail "command ran although the emulator died"
  grep -q 'failing on purpose' <<<"${err}" || fail "emulator log not shown: ${err}"
}

case_emulator_never_listens() {
  local rec rc start
  rec="$(new_record)"
  start=${SECONDS}
  FAKE_EMULATOR_MODE=silent FAKE_EMULATOR_RECORD="${rec}" "${with_emulator}" \
    --emulator "${fake}" --startup-timeout 1 -- true 2>/dev/null
  rc=$?
  expect_eq "${rc}" 125 "exit code"
  ((SECONDS - start <= 4)) || fail "startup timeout not honoured"
  gone_soon "$(cat "${rec}/pid")" || fail "emulator left running after startup timeout"
}

case_partial_port_file() {
  local out
  out="$(FAKE_EMULATOR_MODE=partial "${with_emulator}" --emulator "${fake}" -- \
    bash -c 'echo "${MODAL_SERVER_URL}"')"
  expect_eq "${out}" "http://127.0.0.1:45678" "url after a partially written port file"
}

case_stubborn_emulator_is_killed() {
  local rec rc
  rec="$(new_record)"
  FAKE_EMULATOR_MODE=stubborn FAKE_EMULATOR_RECORD="${rec}" "${with_emulator}" \
    --emulator "${fake}" --grace 1 -- true 2>/dev/null
  rc=$?
  expect_eq "${rc}" 0 "exit code"
  gone_soon "$(cat "${rec}/pid")" || fail "stubborn emulator survived"
}

case_sigterm_stops_everything() {
  local rec wpid rc cmd_pid
  rec="$(new_record)"
  FAKE_EMULATOR_RECORD="${rec}" "${with_emulator}" --emulator "${fake}" -- \
    bash -c "echo \$\$ >'${rec}/cmd_pid'; while :; do sleep 0.05; done" 2>/dev/null &
  wpid=$!
  local i
  for ((i = 0; i < 100; i++)); do [[ -s "${rec}/cmd_pid" ]] && break; sleep 0.05; done
  [[ -s "${rec}/cmd_pid" ]] || { fail "command did not start"; kill -KILL "${wpid}"; return; }
  cmd_pid="$(cat "${rec}/cmd_pid")"
  kill -TERM "${wpid}"
  if ! gone_soon "${wpid}"; then
    fail "with-emulator.sh did not exit within 5 s of SIGTERM"
    kill -KILL "${wpid}" "${cmd_pid}" "$(cat "${rec}/pid")" 2>/dev/null
  fi
  wait "${wpid}"
  rc=$?
  expect_eq "${rc}" 143 "exit code after SIGTERM"
  gone_soon "${cmd_pid}" || { fail "command survived"; kill -KILL "${cmd_pid}"; }
  gone_soon "$(cat "${rec}/pid")" || fail "emulator survived"
}

case_optional_args_file() {
  local rec
  rec="$(new_record)"
  printf -- '--secret s:K=v\n' >"${work}/present.args"
  FAKE_EMULATOR_RECORD="${rec}" "${with_emulator}" --emulator "${fake}" \
    --optional-args-file "${work}/absent.args" --optional-args-file "${work}/present.args" -- true
  expect_eq "$?" 0 "exit code"
  expect_eq "$(tail -n 2 "${rec}/args" | tr '\n' ' ')" "--secret s:K=v " "args from the present file"
}

case_emulator_crash_is_reported() {
  local err rc
  err="$(FAKE_EMULATOR_MODE=crash "${with_emulator}" --emulator "${fake}" -- sleep 0.6 2>&1)"
  rc=$?
  expect_eq "${rc}" 0 "exit code (the command's)"
  grep -q 'with-emulator.sh: modal-emulator exited by itself (status 9)' <<<"${err}" ||
    fail "crash not reported: ${err}"
  grep -q 'crashing on purpose' <<<"${err}" || fail "emulator log not shown: ${err}"
}

case_failed_shutdown_is_reported() {
  local err rc
  err="$(FAKE_EMULATOR_MODE=failstop "${with_emulator}" --emulator "${fake}" -- true 2>&1)"
  rc=$?
  expect_eq "${rc}" 0 "exit code (the command's)"
  grep -q 'with-emulator.sh: modal-emulator exited with status 4 on SIGTERM' <<<"${err}" ||
    fail "failed shutdown not reported: ${err}"
}

case_clean_run_is_quiet() {
  local err
  err="$("${with_emulator}" --emulator "${fake}" -- true 2>&1 >/dev/null)"
  expect_eq "${err}" "" "stderr of a clean run"
}

case_usage_errors() {
  "${with_emulator}" --emulator "${fake}" 2>/dev/null
  expect_eq "$?" 2 "no command"
  "${with_emulator}" --bogus -- true 2>/dev/null
  expect_eq "$?" 2 "unknown option"
  "${with_emulator}" --emulator "${fake}" --args-file "${work}/missing" -- true 2>/dev/null
  expect_eq "$?" 2 "missing args file"
  "${with_emulator}" --emulator "${work}/no-such-emulator" -- true 2>/dev/null
  expect_eq "$?" 2 "missing emulator"
}

all_cases=(environment_and_exit_code success_is_zero stdin_is_passed_through
  emulator_dies_at_startup emulator_never_listens partial_port_file
  stubborn_emulator_is_killed sigterm_stops_everything optional_args_file
  emulator_crash_is_reported failed_shutdown_is_reported clean_run_is_quiet usage_errors)
cases=("$@")
[[ ${#cases[@]} -gt 0 ]] || cases=("${all_cases[@]}")
for current in "${cases[@]}"; do
  before=${failures}
  "case_${current}"
  if [[ ${failures} -eq ${before} ]]; then echo "ok   ${current}"; else echo "FAIL ${current}"; fi
done
if [[ ${failures} -gt 0 ]]; then
  echo "${failures} check(s) failed" >&2
  exit 1
fi
echo "all ${#cases[@]} cases passed"
