#!/usr/bin/env bash
# Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
#
# A stand-in for modal-emulator used by with_emulator_test.sh: it speaks no gRPC, it only
# follows the command-line contract (--port 0 --port-file FILE --token-id ID --token-secret S).
# FAKE_EMULATOR_RECORD=DIR  write argv (one per line) to DIR/args and the pid to DIR/pid
# FAKE_EMULATOR_MODE=normal  write the port file, run until SIGTERM (exit 0 + DIR/stopped)
#                    die       exit 3 at once, before listening
#                    silent    never write the port file
#                    stubborn  ignore SIGTERM (needs SIGKILL)
#                    partial   write an incomplete port file first, the real one 0.3 s later
#                    crash     exit 9 on its own 0.2 s after listening
#                    failstop  exit 4 on SIGTERM
set -euo pipefail
mode="${FAKE_EMULATOR_MODE:-normal}"
record="${FAKE_EMULATOR_RECORD:-}"
if [[ -n "${record}" ]]; then
  printf '%s\n' "$@" >"${record}/args"
  echo $$ >"${record}/pid"
fi
port_file=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --port-file) port_file="$2"; shift 2 ;;
    *) shift ;;
  esac
done
port=45678
case "${mode}" in
  die) echo "fake emulator: failing on purpose" >&2; exit 3 ;;
  silent) ;;
  partial) printf 'x' >"${port_file}"; sleep 0.3; echo "${port}" >"${port_file}" ;;
  *) echo "127.0.0.1:${port}" >"${port_file}" ;;
esac
echo "modal-emulator listening on 127.0.0.1:${port}"
if [[ "${mode}" == crash ]]; then
  sleep 0.2
  echo "fake emulator: crashing on purpose" >&2
  exit 9
elif [[ "${mode}" == failstop ]]; then
  trap 'exit 4' TERM
elif [[ "${mode}" == stubborn ]]; then
  trap '' TERM
else
  trap '[[ -n "${record}" ]] && touch "${record}/stopped"; exit 0' TERM
fi
while :; do sleep 0.05; done
