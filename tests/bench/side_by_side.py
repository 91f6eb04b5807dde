#!/usr/bin/env python3
# Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
"""Side-by-side benchmark: the C++ SDK and Modal's official JS SDK against one emulator.

Starts one modal-emulator on an ephemeral loopback port, then runs the same workloads
through tests/bench/side_by_side_cpp (C++) and tests/bench/side_by_side.mjs (the pinned
npm package `modal` of tests/js), alternating C++ and JS runs (and which goes first), and
prints the medians and the C++/JS ratios. Each run is a fresh client process, so its
CPU time and minor page faults are the client's alone; the emulator's CPU (including the
commands it ran) is read from /proc/PID/stat around each run.

Workloads: throughput (one exec of `head -c BYTES /dev/zero` read to the end),
concurrent (READERS such execs read at once, BYTES each), roundtrip (ROUNDTRIPS warm
`exec true` → wait), create_exec (CREATES times: create a Sandbox, exec `echo`, read it,
terminate; V2 Sandboxes unless MODAL_SANDBOX_V2=0, which both SDKs read; --js-sdk
modal-0-11 runs npm modal 0.11.1, whose default is V2 too), and the Sandbox filesystem: fs_write / fs_read (write_bytes /
read_bytes of BYTES) and fs_small (ROUNDTRIPS writes and reads of 1 KiB); Queues:
queue_roundtrip (ROUNDTRIPS put + get of a small dict), queue_put_many (one put_many of
QUEUE_ITEMS small dicts) and queue_8x8 (8 producers and 8 consumers move QUEUE_ITEMS
dicts in batches of 100); Functions (the emulator's fixtures of libmodal-test-support):
fn_roundtrip and fn_input_plane (ROUNDTRIPS warm remote() calls of the identity Function,
through the control plane and the input plane), fn_spawn_get (SPAWNS spawns, then a get of
each), fn_blob_in (FN_BYTES of input through a blob) and fn_blob_out (FN_BYTES in and the
same back, blobs both ways). The default --workloads are the exec ones.

Usage:
  side_by_side.py --emulator build/emulator/modal-emulator \\
      --cpp build/tests/bench/side_by_side_cpp [--bytes 268435456] [--runs 5]
      [--readers 8] [--roundtrips 200] [--node node] [--cpp-read read|chunk] [--json FILE]
See docs/performance.md.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
GIB = float(1 << 30)


def proc_cpu(pid):
    """utime + stime + cutime + cstime of `pid` in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = sum(int(x) for x in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


class Emulator:
    def __init__(self, binary, extra_args=()):
        self.dir = tempfile.mkdtemp(prefix="modal-side-by-side-")
        port_file = os.path.join(self.dir, "port")
        self.token_id = "ak-side-by-side"
        self.token_secret = f"as-side-by-side-{os.getpid()}"
        self.log = open(os.path.join(self.dir, "emulator.log"), "w")
        self.proc = subprocess.Popen(
            [binary, "--port", "0", "--port-file", port_file, "--token-id", self.token_id,
             "--token-secret", self.token_secret, *extra_args],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        self.port = None
        while time.monotonic() < deadline and self.port is None:
            try:
                with open(port_file) as f:
                    self.port = int(f.read().strip())
            except (OSError, ValueError):
                if self.proc.poll() is not None:
                    break
                time.sleep(0.02)
        if self.port is None:
            self.stop()
            sys.exit("side_by_side.py: modal-emulator did not start")

    def env(self):
        env = dict(os.environ)
        for k in ("MODAL_PROFILE", "MODAL_ENVIRONMENT", "GLIBC_TUNABLES"):
            env.pop(k, None)
        env.update(MODAL_SERVER_URL=f"http://127.0.0.1:{self.port}",
                   MODAL_TOKEN_ID=self.token_id, MODAL_TOKEN_SECRET=self.token_secret,
                   MODAL_CONFIG_PATH=os.path.join(self.dir, "no-such.toml"))
        return env

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def run_one(args, emu, sdk, workload):
    n = {"throughput": 1, "concurrent": args.readers, "roundtrip": args.roundtrips,
         "create_exec": args.creates,
         "fs_write": 1, "fs_read": 1, "fs_small": args.roundtrips,
         "queue_roundtrip": args.roundtrips, "queue_put_many": args.queue_items,
         "queue_8x8": args.queue_items, "fn_roundtrip": args.roundtrips,
         "fn_input_plane": args.roundtrips, "fn_spawn_get": args.spawns, "fn_blob_in": 1,
         "fn_blob_out": 1}[workload]
    if workload.startswith("fn_blob"):
        bytes_ = args.fn_bytes
    elif workload in ("roundtrip", "create_exec", "fs_small") or workload.startswith("queue_") \
            or workload.startswith("fn_"):
        bytes_ = 0
    else:
        bytes_ = args.bytes
    if sdk == "cpp":
        cmd = [args.cpp, workload, str(bytes_), str(n), args.cpp_read]
    else:
        cmd = [args.node, os.path.join(HERE, "side_by_side.mjs"), workload, str(bytes_), str(n)]
    cpu0 = proc_cpu(emu.proc.pid)
    env = emu.env()
    env["MODAL_JS_SDK"] = args.js_sdk
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=args.timeout)
    emu_cpu = proc_cpu(emu.proc.pid) - cpu0
    if out.returncode != 0:
        sys.exit(f"side_by_side.py: {' '.join(cmd)} failed ({out.returncode}):\n{out.stderr}")
    line = [x for x in out.stdout.splitlines() if x.startswith("{")][-1]
    r = json.loads(line)
    r["emulator_cpu_seconds"] = emu_cpu
    r["load"] = loadavg()
    return r


def figures(r):
    """The figures of one run: name → value."""
    if r["workload"] == "create_exec":
        return {"ms_per_create_and_exec": 1e3 * r["seconds"] / r["ops"],
                "client_cpu_ms_per_create_and_exec": 1e3 * r["cpu_seconds"] / r["ops"]}
    if r["workload"] == "roundtrip":
        return {"ms_per_exec": 1e3 * r["seconds"] / r["ops"],
                "client_cpu_ms_per_exec": 1e3 * r["cpu_seconds"] / r["ops"]}
    if r["workload"] == "queue_roundtrip":
        return {"ms_per_put_and_get": 1e3 * r["seconds"] / r["ops"],
                "client_cpu_ms_per_put_and_get": 1e3 * r["cpu_seconds"] / r["ops"]}
    if r["workload"] in ("queue_put_many", "queue_8x8"):
        return {"values_per_s": r["ops"] / r["seconds"],
                "client_cpu_us_per_value": 1e6 * r["cpu_seconds"] / r["ops"]}
    if r["workload"] in ("fn_roundtrip", "fn_input_plane"):
        return {"ms_per_call": 1e3 * r["seconds"] / r["ops"],
                "client_cpu_ms_per_call": 1e3 * r["cpu_seconds"] / r["ops"]}
    if r["workload"] == "fn_spawn_get":
        return {"calls_per_s": r["ops"] / r["seconds"],
                "client_cpu_ms_per_call": 1e3 * r["cpu_seconds"] / r["ops"]}
    if r["workload"] == "fs_small":
        return {"ms_per_write_and_read": 1e3 * r["seconds"] / r["ops"],
                "client_cpu_ms_per_write_and_read": 1e3 * r["cpu_seconds"] / r["ops"]}
    gib = r["bytes"] / GIB
    return {"GiB_per_s": gib / r["seconds"],
            "client_cpu_s_per_GiB": r["cpu_seconds"] / gib,
            "client_minflt_per_GiB": r["minflt"] / gib,
            "emulator_cpu_s_per_GiB": r["emulator_cpu_seconds"] / gib}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--emulator", required=True)
    p.add_argument("--cpp", required=True, help="the side_by_side_cpp binary")
    p.add_argument("--node", default="node")
    p.add_argument("--bytes", type=int, default=256 << 20)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--readers", type=int, default=8)
    p.add_argument("--roundtrips", type=int, default=200)
    p.add_argument("--creates", type=int, default=20,
                   help="Sandboxes of the create_exec workload")
    p.add_argument("--js-sdk", default="modal",
                   help="npm package of tests/js for the JS runs: modal (0.10.1) or modal-0-11")
    p.add_argument("--queue-items", type=int, default=10000,
                   help="values of queue_put_many and queue_8x8")
    p.add_argument("--spawns", type=int, default=1000, help="calls of fn_spawn_get")
    p.add_argument("--fn-bytes", type=int, default=10 << 20,
                   help="bytes of fn_blob_in and fn_blob_out")
    p.add_argument("--workloads", default="throughput,roundtrip,concurrent")
    p.add_argument("--cpp-read", default="read", choices=["read", "chunk"])
    p.add_argument("--timeout", type=float, default=600)
    p.add_argument("--json", help="also write every run to this file")
    args = p.parse_args()

    # queue_put_many puts QUEUE_ITEMS values into one partition: room for them (Modal's
    # limit, the emulator's default, is 5,000).
    emu = Emulator(args.emulator, ["--queue-max-partition-items",
                                   str(max(5000, 2 * args.queue_items))])
    runs = []
    try:
        print(f"# load average at start: {loadavg()}", flush=True)
        for workload in args.workloads.split(","):
            for i in range(args.runs):
                order = ("cpp", "js") if i % 2 == 0 else ("js", "cpp")
                for sdk in order:
                    r = run_one(args, emu, sdk, workload)
                    runs.append(r)
                    print(f"# {workload} {sdk} run {i + 1}: "
                          + ", ".join(f"{k}={v:.3f}" for k, v in figures(r).items())
                          + f" (load {r['load']})", flush=True)
        print(f"# load average at end: {loadavg()}")
    finally:
        emu.stop()

    if args.json:
        with open(args.json, "w") as f:
            json.dump(runs, f, indent=1)
    print()
    print(f"| workload | figure | C++ (median of {args.runs}) | JS (median of {args.runs}) "
          "| C++ / JS |")
    print("|---|---|---|---|---|")
    for workload in args.workloads.split(","):
        med = {}
        for sdk in ("cpp", "js"):
            fs = [figures(r) for r in runs if r["sdk"] == sdk and r["workload"] == workload]
            med[sdk] = {k: statistics.median(f[k] for f in fs) for k in fs[0]}
        for k in med["cpp"]:
            c, j = med["cpp"][k], med["js"][k]
            ratio = f"{c / j:.2f}" if j else "-"
            print(f"| {workload} | {k} | {c:.3f} | {j:.3f} | {ratio} |")


if __name__ == "__main__":
    main()
