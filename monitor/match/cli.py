"""``match --jsonl``: JSON lines in, one decision per line out (the DESIGN.md contract)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import IO, Any

from monitor.match.engine import match_article
from monitor.match.topic import Topic, preset
from monitor.types import Article, Match

__all__ = ["cli_match_jsonl", "best_match", "article_from_item"]


def article_from_item(item: dict[str, Any]) -> Article:
    """An Article from one input line (``id``, ``title``, ``summary``, ``link``, ``source``, ``lang``)."""
    def s(key: str) -> str:
        v = item.get(key)
        return v if isinstance(v, str) else ""
    return Article(title=s("title"), summary=s("summary"), link=s("link") or None, source=s("source"),
                   lang=s("lang") or None, entry_id=str(item["id"]) if item.get("id") is not None else None)


def best_match(article: Article, topics: Iterable[Topic]) -> Match:
    """The decision for the first topic that matches, else the highest-scoring one."""
    best: Match | None = None
    for t in topics:
        m = match_article(article, t)
        if best is None or (m.matched, m.score) > (best.matched, best.score):
            best = m
    if best is None:
        raise ValueError("no topics")
    return best


def cli_match_jsonl(in_stream: IO[str], out_stream: IO[str], topics: list[Topic] | None = None) -> int:
    """Read items as JSON lines, write ``{"id", "match", "score", "topic", "reasons", "event"}`` per item.

    Returns 0, or 2 when some input lines were not JSON objects (each is reported on stderr
    and answered with ``"match": false`` and an ``error``).
    """
    topics = topics or [preset("openai-funding-revenue")]
    status = 0
    for n, line in enumerate(in_stream, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict):
                raise ValueError("not a JSON object")
        except ValueError as e:
            print(f"line {n}: {e}", file=sys.stderr)
            out_stream.write(json.dumps({"id": None, "match": False, "error": f"line {n}: not a JSON object"}) + "\n")
            status = 2
            continue
        m = best_match(article_from_item(item), topics)
        out_stream.write(json.dumps({"id": item.get("id"), **m.to_dict()}, ensure_ascii=False) + "\n")
    return status
