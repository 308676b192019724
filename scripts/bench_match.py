#!/usr/bin/env python3
"""Matcher speed on the labeled dev set: articles per second on one core.

    python scripts/bench_match.py [--data FILE] [--rounds N]

Builds the openai-funding-revenue topic once, then times ``match_article`` over every item
of the file, N rounds, and prints the best round's rate (the last line is the figure).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.match import match_article, preset  # noqa: E402
from monitor.types import Article  # noqa: E402

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "dev.jsonl"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(DEFAULT))
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()
    items = [json.loads(line) for line in open(args.data, encoding="utf-8") if line.strip()]
    articles = [Article(title=i.get("title") or "", summary=i.get("summary") or "") for i in items]
    t0 = time.perf_counter()
    topic = preset("openai-funding-revenue")
    build = time.perf_counter() - t0
    best = best_cpu = float("inf")
    for _ in range(args.rounds):
        t0, c0 = time.perf_counter(), time.process_time()
        for a in articles:
            match_article(a, topic)
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    print(f"items: {len(articles)}  rounds: {args.rounds}  topic build: {build * 1000:.1f} ms")
    print(f"best round: {best * 1000:.1f} ms wall, {best_cpu * 1000:.1f} ms CPU")
    print(f"{len(articles) / best:,.0f} articles/s (one core, wall clock)")


if __name__ == "__main__":
    main()
