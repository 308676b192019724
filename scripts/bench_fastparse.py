#!/usr/bin/env python3
"""Check and time the parse fast path (``monitor.parse``, ElementTree) against feedparser.

Usage: .venv/bin/python scripts/bench_fastparse.py [--farm-feeds 300]

For every body — ``tests/data``, ``../shared/feeds`` (the adversarial corpus and feedparser's
own test suite) and ``--farm-feeds`` feeds served by ``../shared/bench/feedfarm.py`` — it
runs ``parse_feed`` with and without the fast path, both times again with about half of the
entries left out by a ``skip`` predicate (as a changed feed's stored entries are), and reports any
difference in the result (articles, title, language, skipped count, or the ParseError reason). Then it times
both paths on the farm bodies. Exit status 1 on any difference. Standard library + the venv.
"""

from __future__ import annotations

import argparse
import glob
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor import parse as P  # noqa: E402
from monitor.errors import ParseError  # noqa: E402


def _run(body: bytes, url: str, ct: str, skip: P.SkipFn | None = None) -> object:
    try:
        return P.parse_feed(body, url, content_type=ct, skip=skip)
    except ParseError as e:
        return ("ParseError", e.reason)


def _slow(body: bytes, url: str, ct: str, skip: P.SkipFn | None = None) -> object:
    orig = P._fast_parse
    P._fast_parse = lambda *a, **k: None
    try:
        return _run(body, url, ct, skip)
    finally:
        P._fast_parse = orig


def _every_other(entry_id: str | None, link: str | None) -> bool:
    """A stand-in for "already stored": leaves out about half of the entries, by their name."""
    return hash((entry_id, link)) % 2 == 0


def farm_bodies(n: int) -> list[tuple[str, bytes, str]]:
    farm = subprocess.Popen([sys.executable, str(ROOT.parent / "shared" / "bench" / "feedfarm.py"), "--feeds", str(n),
                             "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        farm.stdout.readline()
        urls = [farm.stdout.readline().strip() for _ in range(n)]
        out = []
        for u in urls:
            with urllib.request.urlopen(u, timeout=30) as r:
                out.append((u, r.read(), r.headers.get("content-type", "")))
        return out
    finally:
        farm.terminate()
        farm.wait(10)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--farm-feeds", type=int, default=300)
    a = ap.parse_args()
    files = sorted(glob.glob(str(ROOT / "tests" / "data" / "**" / "*"), recursive=True)
                   + glob.glob(str(ROOT.parent / "shared" / "feeds" / "**" / "*"), recursive=True))
    bodies = [(f, Path(f).read_bytes(), "") for f in files if os.path.isfile(f) and os.path.getsize(f) < 20_000_000]
    farm = farm_bodies(a.farm_feeds) if a.farm_feeds else []
    used = diffs = 0
    for name, body, ct in bodies + farm:
        url = name if name.startswith("http") else "https://example.org/feed.xml"
        used += P.parse_feed_fast(body, url, content_type=ct) is not None
        if _run(body, url, ct) != _slow(body, url, ct):
            diffs += 1
            print("DIFFERENT:", name)
        if _run(body, url, ct, _every_other) != _slow(body, url, ct, _every_other):
            diffs += 1
            print("DIFFERENT with entries left out:", name)
    farm_fast = sum(P.parse_feed_fast(b, u, content_type=c) is not None for u, b, c in farm)
    print(f"{len(bodies) + len(farm)} bodies ({len(farm)} from the farm): fast path taken for {used} "
          f"({farm_fast} of the farm's), results different from feedparser's: {diffs}")
    if farm:
        entries = sum(len(P.parse_feed(b, u, content_type=c).articles) for u, b, c in farm)
        for label, fn in (("fast path", _run), ("feedparser", _slow)):
            t0 = time.process_time()
            for u, b, c in farm:
                fn(b, u, c)
            cpu = time.process_time() - t0
            print(f"{label:10s}: {entries / cpu:9,.0f} entries/s ({cpu / len(farm) * 1000:.2f} ms CPU per feed, "
                  "parse + clean_text, no matching)")
    return 1 if diffs else 0


if __name__ == "__main__":
    raise SystemExit(main())
