#!/usr/bin/env python3
"""Aggregate a py-spy raw profile (``py-spy record -f raw --subprocesses``) by function.

Usage: python scripts/bench_profile.py FILE [--main-pid PID] [--top 20]

For each process group (``main`` = the polling process, ``pool`` = its parse-pool processes;
without ``--main-pid`` the first process seen is ``main``) it prints the samples, the top
functions by self time (leaf frame) and by inclusive time (anywhere on the stack, counted once
per stack), and self time by package/module. ``scripts/bench.py --profile DIR`` calls this.
Standard library only.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter

_LINE = re.compile(r":\d+\)$")
_PROC = re.compile(r'process (\d+):".*?"(?:;|$)')   # py-spy --subprocesses: one per process level


def _key(frame: str) -> str:
    """'func (pkg/mod.py:123)' -> 'func (pkg/mod.py)'."""
    return _LINE.sub(")", frame)


def _package(frame: str) -> str:
    m = re.search(r"\(([^()]*?)(?::\d+)?\)$", frame)
    path = m.group(1) if m else frame
    parts = path.split("/")
    if parts[0] == "monitor" or len(parts) == 1:
        return path                      # the project's own modules one by one
    return parts[0]


def load(path: str, main_pid: int | None) -> dict[str, list[tuple[list[str], int]]]:
    groups: dict[str, list[tuple[list[str], int]]] = {}
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if not stack or not count.isdigit():
                continue
            procs = []
            pos = 0
            while m := _PROC.match(stack, pos):
                procs.append(int(m.group(1)))
                pos = m.end()
            frames = stack[pos:].split(";")
            pid = procs[-1] if procs else 0
            if main_pid is None:
                main_pid = procs[0] if procs else 0
            group = "main" if pid == main_pid else "pool"
            groups.setdefault(group, []).append((frames, int(count)))
    return groups


def report(path: str, main_pid: int | None = None, title: str = "", top: int = 20) -> None:
    groups = load(path, main_pid)
    total = sum(c for g in groups.values() for _, c in g)
    print(f"\n=== {title or path}: {total} samples (py-spy, active threads only) ===")
    for group in ("main", "pool"):
        stacks = groups.get(group, [])
        n = sum(c for _, c in stacks)
        if not n:
            continue
        self_t: Counter[str] = Counter()
        incl: Counter[str] = Counter()
        pkg: Counter[str] = Counter()
        for frames, c in stacks:
            if not frames:
                continue
            self_t[_key(frames[-1])] += c
            pkg[_package(frames[-1])] += c
            for k in {_key(f) for f in frames}:
                incl[k] += c
        print(f"\n-- {group} process{'es' if group == 'pool' else ''}: {n} samples ({n / total:.0%})")
        print("   self time by package/module:")
        for k, c in pkg.most_common(12):
            print(f"   {c / n:6.1%}  {k}")
        print("   top functions by self time:")
        for k, c in self_t.most_common(top):
            print(f"   {c / n:6.1%}  {k}")
        print("   top functions by inclusive time:")
        for k, c in incl.most_common(top + 10):
            print(f"   {c / n:6.1%}  {k}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file")
    ap.add_argument("--main-pid", type=int, default=None)
    ap.add_argument("--top", type=int, default=20)
    a = ap.parse_args()
    report(a.file, a.main_pid, top=a.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
