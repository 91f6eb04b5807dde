#!/usr/bin/env python3
# Copyright 2026 The modal-cpp Authors. SPDX-License-Identifier: Apache-2.0
"""Doxygen input filter for the markdown pages (README.md, docs/*.md): GitHub markdown.

The guides link to sections as GitHub renders them (`[x](#how-it-works)`,
`[x](client.md#logging)`). Doxygen 1.9.4 gives headings no such ids, so those links
would not resolve. This filter labels every heading below the title with
`{#<page>-<github-slug>}` and rewrites the links to match. Page names come from the
file's path in the repository, so labels are unique across pages. Links to other files
of the repository (`[examples/x/main.cc](../examples/x/main.cc)`) would be broken in the
generated HTML, so they become their text. Bold code (**`x`**), which doxygen 1.9.4
prints with its asterisks, becomes <b>`x`</b>.

Usage (Doxygen's FILTER_PATTERNS): doxygen_md_filter.py FILE  -> filtered FILE on stdout.
"""
import os
import re
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEADING = re.compile(r"^(#{2,6})[ \t]+(.*?)[ \t#]*$")
FENCE = re.compile(r"^[ \t]*(```|~~~)")
# [text](target.md#anchor) or [text](#anchor); not images, not absolute URLs.
ANCHOR_LINK = re.compile(r"(?<!!)(\[[^\]]*\])\(([^()\s:#]*\.md)?#([^()\s]+)\)")
# [text](relative/path) to a file that is not a page: no scheme, no anchor, not .md.
REPO_LINK = re.compile(r"(?<!!)\[([^\]]*)\]\((?![A-Za-z][A-Za-z0-9+.-]*:|#)([^()\s#]*)\)")
BOLD_CODE = re.compile(r"\*\*(`[^`]+`)\*\*")


def page_prefix(path):
    """docs/exec.md -> docs_exec; README.md -> README."""
    rel = os.path.relpath(os.path.abspath(path), REPO_ROOT)
    return re.sub(r"[^A-Za-z0-9]", "_", os.path.splitext(rel)[0])


def github_slug(title):
    """The id GitHub gives a heading: plain text, lower case, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", title)  # [text](url) -> text
    text = re.sub(r"[`*]", "", text).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def main():
    path = sys.argv[1]
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    here = os.path.dirname(os.path.abspath(path))
    prefix = page_prefix(path)

    def rewrite_link(match):
        text, target, anchor = match.groups()
        page = page_prefix(os.path.join(here, target)) if target else prefix
        return f"{text}(#{page}-{anchor})"

    seen = {}
    in_fence = False
    out = []
    for line in lines:
        if FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence:
            heading = HEADING.match(line)
            if heading and "{#" not in line:
                slug = github_slug(heading.group(2))
                count = seen.get(slug, 0)
                seen[slug] = count + 1
                if count:
                    slug = f"{slug}-{count}"
                line = f"{heading.group(1)} {heading.group(2)} {{#{prefix}-{slug}}}"
            line = ANCHOR_LINK.sub(rewrite_link, line)
            line = REPO_LINK.sub(
                lambda m: m.group(0) if m.group(2).endswith(".md") else m.group(1), line)
            line = BOLD_CODE.sub(r"<b>\1</b>", line)
        out.append(line)
    sys.stdout.write("\n".join(out))


if __name__ == "__main__":
    main()
