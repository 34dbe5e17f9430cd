#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""The style rules of the product code (`make format-check`, a suite of tests/run.sh):

  - clang-format clean with the repository's .clang-format (100 columns);
  - no function longer than MAX_LINES lines (tables are data, not functions, and are not
    counted): a function is what runs from a line that is only "{" to the next line that
    starts with "}", kernel style, signature included.

One `ok`/`not ok` line per file and rule, then `N passed, N failed`; exit 1 on a failure.
Usage: style_check.py FILE...
"""
import re
import subprocess
import sys

MAX_LINES = 100


def functions(lines):
    """(name, first line, length) of each function definition."""
    out, i = [], 0
    while i < len(lines):
        if lines[i] == "{" and i > 0:
            j = i - 1
            while j > 0 and lines[j - 1].strip() and not lines[j - 1].startswith(("}", "#", "/*", " *")) \
                    and not lines[j - 1].rstrip().endswith((";", "*/")):
                j -= 1
            names = [n for n in re.findall(r"(\w+)\s*\(", " ".join(lines[j:i])) if n != "SEC"]
            k = i
            while k < len(lines) and not lines[k].startswith("}"):
                k += 1
            out.append((names[0] if names else "?", j + 1, k - j + 1))
            i = k
        i += 1
    return out


def main(files):
    passed = failed = 0

    def report(ok, what, why=""):
        nonlocal passed, failed
        print(("ok - " if ok else "not ok - ") + what + ("" if ok else ": " + why))
        passed, failed = passed + ok, failed + (not ok)

    for f in files:
        src = open(f).read()
        fmt = subprocess.run(["clang-format", "--style=file", f], capture_output=True, text=True)
        if fmt.returncode:
            report(False, f"{f}: clang-format", fmt.stderr.strip())
        else:
            bad = [n + 1 for n, (a, b) in enumerate(zip(src.split("\n"), fmt.stdout.split("\n"))) if a != b]
            same = fmt.stdout == src
            report(same, f"{f}: clang-format clean",
                   f"differs from line {bad[0] if bad else len(src.split(chr(10)))} "
                   "(make format rewrites it)")
        long = [(n, s, l) for n, s, l in functions(src.split("\n")) if l > MAX_LINES]
        report(not long, f"{f}: functions at most {MAX_LINES} lines",
               ", ".join(f"{n} ({l} lines, line {s})" for n, s, l in long))
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
