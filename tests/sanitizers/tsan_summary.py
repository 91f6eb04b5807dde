#!/usr/bin/env python3
# Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
"""Summarizes ThreadSanitizer logs (scripts/test.sh --sanitize tsan writes them to
<build>/sanitizer-logs/tsan.<pid>): one line per distinct report, most frequent first.

Usage: tests/sanitizers/tsan_summary.py LOG_DIR_OR_FILE... [--frames N]

Each distinct report (its SUMMARY line) is printed with its count, a class and the first
frames of each of its stacks:
  spawner      a frame in emulator/src/runtime/spawner.cc (the raw clone(CLONE_VM|CLONE_VFORK)
               path, which TSan does not support);
  third-party  no frame of the project's sources at all (only libraries and system headers);
  ours         the accesses' own frames are in the project's sources: look at these.
A report with frames in an uninstrumented library (libgrpc, libgpr, libabsl, libprotobuf) is
marked "+lib": its synchronization may be invisible to TSan.
"""
import collections
import os
import re
import sys

OUR_PREFIXES = ("src/", "emulator/", "tests/", "include/", "examples/")
THIRD_PARTY_MODULES = re.compile(r"lib(grpc|gpr|absl|protobuf|upb|address_sorting|re2|cares)")
# "    #N FUNCTION FILE:LINE[:COL] (MODULE+0xOFFSET)"; FILE is "<null>" when unknown.
FRAME = re.compile(r"^\s+#(\d+) (.*) (\S+) \(([^()]*)\)$")


def parse(text):
    """Yields (kind, summary, stacks) per report; stacks: [(title, [(func, file, module)])]."""
    for block in text.split("==================\n"):
        if "WARNING: ThreadSanitizer:" not in block:
            continue
        kind = re.search(r"WARNING: ThreadSanitizer: ([^(]+?) \(", block)
        summary = re.search(r"^SUMMARY: ThreadSanitizer: (.*)$", block, re.M)
        stacks = []
        title = None
        for line in block.splitlines():
            m = FRAME.match(line)
            if m:
                if title is None:
                    title = "?"
                    stacks.append((title, []))
                stacks[-1][1].append((m.group(2), m.group(3), m.group(4)))
            elif line.strip() and not line.startswith(" " * 4):
                title = line.strip()
                stacks.append((title, []))
        yield (kind.group(1) if kind else "?", summary.group(1) if summary else "?",
               [s for s in stacks if s[1]])


def ours(file):
    return file.startswith(OUR_PREFIXES)


def classify(stacks):
    frames = [f for _, fs in stacks for f in fs]
    if any("runtime/spawner.cc" in f[1] for f in frames):
        cls = "spawner"
    elif not any(ours(f[1]) for f in frames):
        cls = "third-party"
    else:
        cls = "ours"
    if any(THIRD_PARTY_MODULES.search(f[2]) for f in frames):
        cls += "+lib"
    return cls


def main(argv):
    nframes = 4
    if "--frames" in argv:
        i = argv.index("--frames")
        nframes = int(argv[i + 1])
        del argv[i:i + 2]
    files = []
    for arg in argv:
        if os.path.isdir(arg):
            files += [os.path.join(arg, f) for f in sorted(os.listdir(arg)) if f.startswith("tsan")]
        else:
            files.append(arg)
    counts = collections.Counter()
    example = {}
    classes = collections.Counter()
    for path in files:
        with open(path, errors="replace") as f:
            for kind, summary, stacks in parse(f.read()):
                key = (kind, re.sub(r"0x[0-9a-f]+", "ADDR", summary))
                counts[key] += 1
                if key not in example:
                    example[key] = (classify(stacks), stacks, path)
                classes[example[key][0]] += 1
    print(f"{sum(counts.values())} reports, {len(counts)} distinct, in {len(files)} logs")
    for cls, n in classes.most_common():
        print(f"  {cls}: {n}")
    for key, n in counts.most_common():
        cls, stacks, path = example[key]
        print(f"\n[{n}x] {cls}: {key[0]}: {key[1]}   (e.g. {path})")
        for title, frames in stacks:
            print(f"  {title}")
            for func, file, module in frames[:nframes]:
                print(f"      {func[:110]}  {file}  ({os.path.basename(module)})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
