#!/usr/bin/env python3
"""make check-size: one idea per file, one step per function.

Fails on a .c file under runner/ or modules/ over 1,000 lines, unless its
first lines say it is a table or generated, and on a function over 120
lines (from the line of its name to its closing brace). Functions are
found by the layout the style guide asks for: the name at column 0, the
opening brace alone at column 0, the closing brace alone at column 0.

Usage: check-size.py [ROOT]
"""
import os
import re
import sys

MAX_FILE = 1000
MAX_FUNC = 120
NAME = re.compile(r"^[A-Za-z_][\w \*]*?\b(\w+)\s*\(")


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    errors = []
    for top in ("runner", "modules"):
        for dirpath, _, names in os.walk(os.path.join(root, top)):
            for n in sorted(names):
                if n.endswith(".c"):
                    errors += check(os.path.join(dirpath, n), root)
    for e in errors:
        print(f"check-size: {e}", file=sys.stderr)
    if errors:
        print(f"check-size: {len(errors)} error(s)", file=sys.stderr)
        return 1
    print("check-size: ok")
    return 0


def check(path, root):
    rel = os.path.relpath(path, root)
    lines = open(path, encoding="utf-8", errors="replace").read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    errors = []
    head = "\n".join(lines[:5]).lower()
    if len(lines) > MAX_FILE and "table" not in head and "generated" not in head:
        errors.append(f"{rel}: {len(lines)} lines (limit {MAX_FILE}: split "
                      "by idea)")
    name, start = None, None
    for i, line in enumerate(lines):
        m = NAME.match(line)
        if m and not line.startswith(("static const", "const ", "typedef")) \
                and not line.rstrip().endswith(";"):
            name, start = m.group(1), i
        elif line == "{" and start is None:
            name, start = "?", i
        elif line == "}" and start is not None:
            n = i - start + 1
            if n > MAX_FUNC and name:
                errors.append(f"{rel}:{start + 1}: {name}() is {n} lines "
                              f"(limit {MAX_FUNC}: name its steps)")
            name, start = None, None
        elif line.startswith(("struct ", "static struct", "enum ", "union ")) \
                and line.rstrip().endswith("{"):
            start = None
    return errors


if __name__ == "__main__":
    sys.exit(main())
