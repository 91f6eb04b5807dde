#!/usr/bin/env python3
# Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
"""check_doc_snippets.py REPO_ROOT DOC.md...

Every ```cpp (or ```toml) block followed by "(From [`PATH`](...), region `NAME`.)" must
equal the lines between the two "//! [NAME]" (or, in TOML files, "#! [NAME]") markers of
PATH (dedented). Exit status 1 otherwise.
"""
import pathlib
import re
import sys


def region(root, path, name):
    lines = (root / path).read_text().split("\n")
    marks = [i for i, line in enumerate(lines) if line.strip() in (f"//! [{name}]", f"#! [{name}]")]
    if len(marks) != 2:
        return None
    body = lines[marks[0] + 1:marks[1]]
    indent = min(len(line) - len(line.lstrip()) for line in body if line.strip())
    return "\n".join(line[indent:] for line in body)


def main():
    root = pathlib.Path(sys.argv[1])
    failures = 0
    checked = 0
    pattern = re.compile(
        r"```(?:cpp|toml)\n((?:(?!```).)*?)\n```\n\n\(From \[`([^`]+)`\]\([^)]*\), region `([^`]+)`\.\)",
        re.S)
    for doc in sys.argv[2:]:
        text = pathlib.Path(doc).read_text()
        for m in pattern.finditer(text):
            checked += 1
            code, path, name = m.group(1), m.group(2), m.group(3)
            expected = region(root, path, name)
            if expected is None:
                print(f"{doc}: region '{name}' not found in {path}")
                failures += 1
            elif expected != code:
                print(f"{doc}: the snippet of {path} region '{name}' is out of date")
                failures += 1
    print(f"{checked} snippets checked, {failures} out of date")
    return 1 if failures or not checked else 0


if __name__ == "__main__":
    sys.exit(main())
