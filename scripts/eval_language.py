#!/usr/bin/env python3
"""How often ``guess_language`` is right, unsure or wrong on text whose language is known.

    python scripts/eval_language.py [--shared ../shared] [-v]

Two sets: the labelled articles of ``eval/`` (dev, dev_messy, both sides of dedup_dev, each article
once; title and summary), and every article of ``feeds/realworld/`` whose entry or feed states a language (parsed
as the poller parses it; texts under 40 characters left out). Prints right / unknown / wrong per
set, the wrong ones with ``-v``, and the time per guess.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.errors import MonitorError  # noqa: E402
from monitor.language import guess_language  # noqa: E402
from monitor.normalize import clean_text  # noqa: E402
from monitor.parse import parse_feed  # noqa: E402


def labelled(shared: Path) -> list[tuple[str, str]]:
    rows = []
    for name in ("dev.jsonl", "dev_messy.jsonl", "dedup_dev.jsonl"):
        for line in (shared / "eval" / name).read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            for it in (item["a"], item["b"]) if "a" in item else (item,):
                if it.get("lang"):
                    rows.append((it["lang"], f"{clean_text(it['title'])} {clean_text(it.get('summary') or '')}"))
    return list(dict.fromkeys(rows))   # an article in several dedup pairs counts once


def realworld(shared: Path) -> list[tuple[str, str]]:
    rows = []
    for path in sorted((shared / "feeds" / "realworld").rglob("*")):
        if not path.is_file() or path.suffix in (".md", ".tsv"):
            continue
        try:
            parsed = parse_feed(path.read_bytes(), f"http://127.0.0.1/{path.name}")
        except MonitorError:
            continue
        for a in parsed.articles:
            text = f"{a.title} {a.summary}"
            if a.lang and len(text) >= 40:
                rows.append((a.lang, text))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    ap.add_argument("-v", action="store_true", help="print the wrong guesses")
    args = ap.parse_args()
    spent, guesses = 0.0, 0
    for name, rows in (("eval (labelled)", labelled(args.shared)), ("realworld (tagged)", realworld(args.shared))):
        counts: Counter[str] = Counter()
        for lang, text in rows:
            t0 = time.perf_counter()
            guess = guess_language(text)
            spent, guesses = spent + time.perf_counter() - t0, guesses + 1
            counts["right" if guess == lang else "unknown" if guess is None else "wrong"] += 1
            if args.v and guess not in (lang, None):
                print(f"  wrong: {lang} -> {guess}: {text[:100]}")
        print(f"{name:20} {len(rows):5} articles: right {counts['right']}, unknown {counts['unknown']}, "
              f"wrong {counts['wrong']}")
    print(f"{spent / guesses * 1e6:.1f} µs per guess")


if __name__ == "__main__":
    main()
