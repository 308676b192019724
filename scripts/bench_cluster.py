#!/usr/bin/env python3
"""Benchmark story clustering: ``cluster_items`` on N synthetic articles (default 10,000).

Usage: python scripts/bench_cluster.py [--n 10000] [--seed 7]

Builds a realistic mix in memory (no network, no files): a few hundred money events over three
years, each reported by 1-60 outlets in several languages, with syndicated copies, URL variants,
undated items and unrelated one-off articles. Features are computed first (timed separately:
in production they are computed once per article and stored); the figure the issue asks for is
the clustering time (best of ``--repeat`` runs, as other processes share the machine; each run
starts with empty text caches). The last
line is JSON for machines.
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
from monitor.stories.text import grams  # noqa: E402
from monitor.types import Article  # noqa: E402

OUTLETS = ["Reuters", "Bloomberg", "CNBC", "Le Monde", "Handelsblatt", "El País", "Nikkei", "36Kr",
           "TechCrunch", "Yahoo Finance", "MSN", "Les Echos", "Corriere", "Folha", "NOS"]
PARTIES = ["Microsoft", "Nvidia", "SoftBank", "Thrive Capital", "Apple", "Oracle", "Amazon", ""]
# (kind, language) -> headline templates; {amt} in billions of dollars, {party} an investor.
TEMPLATES = {
    "round": {"en": ["OpenAI raises ${amt} billion in round led by {party}", "{party} leads ${amt}B OpenAI round"],
              "fr": ["OpenAI lève {amt_fr} milliards de dollars auprès de {party}"],
              "de": ["OpenAI sammelt {amt_fr} Milliarden Dollar bei {party} ein"],
              "ja": ["オープンAI、{party}などから{amt_oku}億ドル調達"]},
    "talks": {"en": ["OpenAI in talks to raise ${amt} billion from {party}"],
              "fr": ["OpenAI en discussions pour lever {amt_fr} milliards de dollars"],
              "de": ["OpenAI verhandelt über {amt_fr} Milliarden Dollar mit {party}"]},
    "credit": {"en": ["OpenAI secures ${amt} billion credit line from banks"],
               "fr": ["OpenAI obtient une ligne de crédit de {amt_fr} milliards de dollars"],
               "de": ["OpenAI erhält Kreditlinie über {amt_fr} Milliarden Dollar"]},
    "shares": {"en": ["OpenAI employees sell ${amt} billion of shares in tender offer"],
               "fr": ["Les salariés d'OpenAI cèdent {amt_fr} milliards de dollars d'actions"]},
    "revenue": {"en": ["OpenAI annualized revenue hits ${amt} billion"],
                "fr": ["Le chiffre d'affaires annualisé d'OpenAI atteint {amt_fr} milliards de dollars"],
                "de": ["OpenAI knackt {amt_fr} Milliarden Dollar Jahresumsatz"]},
}


def synth(n: int, rng: random.Random, truth: list[int] | None = None) -> list[Article]:
    start = datetime(2023, 1, 1, tzinfo=UTC)
    out: list[Article] = []
    event = 0
    while len(out) < n:
        event += 1
        if rng.random() < 0.4:  # the figures everyone reports again and again
            amt = rng.choice([1, 2, 4, 5, 6.6, 8.3, 10, 13, 40, 100, 157, 300, 500])
        else:
            amt = float(f"{10 ** rng.uniform(0, 3):.2g}")
        kind = rng.choice(list(TEMPLATES))
        party = rng.choice(PARTIES) or "investors"
        when = start + timedelta(hours=rng.randrange(3 * 365 * 24))
        copies = 1 if rng.random() < 0.3 else rng.randint(2, 60)
        names = {"amt": f"{amt:g}", "amt_fr": f"{amt:g}".replace(".", ","), "amt_oku": f"{amt * 10:g}",
                 "party": party}
        for c in range(copies):
            lang = rng.choice(list(TEMPLATES[kind]))
            title = rng.choice(TEMPLATES[kind][lang]).format(**names)
            if rng.random() < 0.2:
                title = f"SAN FRANCISCO (Reuters) - {title}."
            outlet = rng.choice(OUTLETS)
            slug = f"e{event}-{c % 7}"
            link = f"https://www.{outlet.lower().replace(' ', '')}.example/{slug}"
            if rng.random() < 0.2:
                link += "?utm_source=rss&utm_medium=feed"
            published = None if rng.random() < 0.4 else when + timedelta(minutes=rng.randrange(48 * 60))
            out.append(Article(title=title, summary=f"The company was last valued at ${amt * 20:.0f} billion.",
                               link=link, published=published, source=outlet, lang=lang))
            if truth is not None:
                truth.append(event)
            if len(out) >= n:
                break
    return out


def _pairwise(keys: list[str], truth: list[int]) -> tuple[float, float]:
    """Pairwise precision and recall of ``keys`` against the synthetic events, by counting."""
    from collections import Counter

    def pairs(c: Counter[object]) -> int:
        return sum(v * (v - 1) // 2 for v in c.values())

    both = pairs(Counter(zip(keys, truth, strict=True)))
    predicted, actual = pairs(Counter(keys)), pairs(Counter(truth))
    return (both / predicted if predicted else 1.0), (both / actual if actual else 1.0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=3, help="clustering runs; the best is reported")
    args = ap.parse_args()
    truth: list[int] = []
    articles = synth(args.n, random.Random(args.seed), truth)
    t0 = time.perf_counter()
    feats = [story_features(a, None) for a in articles]
    t1 = time.perf_counter()
    runs, cpu = [], []
    for _ in range(max(1, args.repeat)):
        grams.cache_clear()   # every run cold: nothing computed by an earlier repeat is reused
        start, start_cpu = time.perf_counter(), time.process_time()
        keys = cluster_items(feats)
        runs.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    best = min(runs)
    stories = len(set(keys))
    p, r = _pairwise(keys, truth)
    print(f"articles            {len(feats)}")
    print(f"stories             {stories}")
    print(f"features (once)     {t1 - t0:.3f} s")
    print(f"cluster_items       {best:.3f} s wall, best of {len(runs)}: {', '.join(f'{r:.3f}' for r in runs)}")
    print(f"                    {min(cpu):.3f} s CPU (process time), best of {len(cpu)}")
    print(f"pairwise vs truth   precision {p:.3f} recall {r:.3f} (synthetic; undated copies of equal")
    print("                    figures are ambiguous by construction)")
    print(json.dumps({"articles": len(feats), "stories": stories, "features_s": round(t1 - t0, 3),
                      "cluster_s": round(best, 3), "cluster_cpu_s": round(min(cpu), 3),
                      "precision": round(p, 3), "recall": round(r, 3)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
