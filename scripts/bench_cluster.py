#!/usr/bin/env python3
"""Benchmark story clustering: ``cluster_items`` on N synthetic articles (default 10,000).

Usage: python scripts/bench_cluster.py [--n 10000] [--seed 7]

Builds a realistic mix in memory (no network, no files): a few hundred money events over three
years, each reported by 1-60 outlets in several languages, with syndicated copies, URL variants,
undated items and unrelated one-off articles. Features are computed first (timed separately:
in production they are computed once per article and stored); the figure the issue asks for is
the clustering time. The last line is JSON for machines.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from monitor.stories import cluster_items, story_features  # noqa: E402
from monitor.types import Article  # noqa: E402

OUTLETS = ["Reuters", "Bloomberg", "CNBC", "Le Monde", "Handelsblatt", "El País", "Nikkei", "36Kr",
           "TechCrunch", "Yahoo Finance", "MSN", "Les Echos", "Corriere", "Folha", "NOS"]
PARTIES = ["Microsoft", "Nvidia", "SoftBank", "Thrive Capital", "Apple", "Oracle", "Amazon", ""]
TEMPLATES = {
    "en": ["OpenAI {verb} ${amt} billion {noun} led by {party}", "{party} backs OpenAI in ${amt}B {noun}",
           "ChatGPT maker {verb} ${amt} billion, {party} joins"],
    "fr": ["OpenAI lève {amt} milliards de dollars auprès de {party}", "{party} investit {amt} milliards dans OpenAI"],
    "de": ["OpenAI sammelt {amt} Milliarden Dollar bei {party} ein", "{party} investiert {amt} Mrd. Dollar in OpenAI"],
    "ja": ["オープンAI、{party}から{amt}0億ドル調達"],
    "es": ["OpenAI recauda {amt}.000 millones de dólares con {party}"],
}
KINDS = [("raises", "funding round"), ("secures", "credit line"), ("completes", "share sale"),
         ("is in talks to raise", "round"), ("hits", "annualized revenue")]


def synth(n: int, rng: random.Random) -> list[Article]:
    start = datetime(2023, 1, 1, tzinfo=UTC)
    out: list[Article] = []
    event = 0
    while len(out) < n:
        event += 1
        if rng.random() < 0.4:  # the figures everyone reports again and again
            amt = rng.choice([1, 2, 4, 5, 6.6, 8.3, 10, 13, 40, 100, 157, 300, 500])
        else:
            amt = float(f"{10 ** rng.uniform(0, 3):.2g}")
        verb, noun = rng.choice(KINDS)
        party = rng.choice(PARTIES) or "investors"
        when = start + timedelta(hours=rng.randrange(3 * 365 * 24))
        copies = 1 if rng.random() < 0.3 else rng.randint(2, 60)
        for c in range(copies):
            lang = rng.choice(list(TEMPLATES))
            title = rng.choice(TEMPLATES[lang]).format(verb=verb, amt=amt, noun=noun, party=party)
            if rng.random() < 0.2:
                title = f"SAN FRANCISCO (Reuters) - {title}."
            outlet = rng.choice(OUTLETS)
            slug = f"e{event}-{c % 7}"
            link = f"https://www.{outlet.lower().replace(' ', '')}.example/{slug}"
            if rng.random() < 0.2:
                link += "?utm_source=rss&utm_medium=feed"
            published = None if rng.random() < 0.4 else when + timedelta(minutes=rng.randrange(48 * 60))
            out.append(Article(title=title, summary=f"The {noun} values the company at ${amt * 20:.0f} billion.",
                               link=link, published=published, source=outlet, lang=lang))
            if len(out) >= n:
                break
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    articles = synth(args.n, random.Random(args.seed))
    t0 = time.perf_counter()
    feats = [story_features(a, None) for a in articles]
    t1 = time.perf_counter()
    keys = cluster_items(feats)
    t2 = time.perf_counter()
    stories = len(set(keys))
    print(f"articles            {len(feats)}")
    print(f"stories             {stories}")
    print(f"features (once)     {t1 - t0:.3f} s")
    print(f"cluster_items       {t2 - t1:.3f} s")
    print(json.dumps({"articles": len(feats), "stories": stories, "features_s": round(t1 - t0, 3),
                      "cluster_s": round(t2 - t1, 3)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
