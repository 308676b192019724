"""``monitor cluster --jsonl``: the clustering over JSON lines, for evaluation and scripting.

Input: one JSON object per line with ``id``, ``title``, ``summary``, optional ``link``,
``published`` (ISO 8601, RFC 822 or a plain date), ``source`` and ``lang``. Output: one
``{"id": ..., "story": "<key>"}`` line per item, in input order. Items are run through the
matcher (the shipped ``openai-funding-revenue`` preset) when it is importable, so that its
extracted event feeds the features; without it, clustering uses the text alone.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TextIO

from monitor.errors import ConfigError
from monitor.language import guess_language
from monitor.normalize import clean_text
from monitor.stories.cluster import cluster_items
from monitor.stories.features import StoryFeatures, story_features
from monitor.types import Article, Match

__all__ = ["cli_cluster_jsonl", "parse_published", "article_from_json"]

log = logging.getLogger(__name__)
Matcher = Callable[[Article], Match | None]


def cli_cluster_jsonl(in_stream: TextIO, out_stream: TextIO, *, matcher: Matcher | None = None) -> int:
    """Read items from ``in_stream``, write one story line per item to ``out_stream``; returns
    the exit status (0). ``matcher`` defaults to the shipped preset when importable.

    Raises:
        ConfigError: a line is not a JSON object (the message names the line number).
    """
    ids: list[Any] = []
    feats: list[StoryFeatures] = []
    match = matcher if matcher is not None else _default_matcher()
    for lineno, line in enumerate(in_stream, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as e:
            raise ConfigError(f"line {lineno}: not JSON ({e.msg})") from e
        if not isinstance(item, dict):
            raise ConfigError(f"line {lineno}: expected a JSON object")
        article = article_from_json(item)
        m = _safe_match(match, article) if match else None
        ids.append(item.get("id", lineno))
        feats.append(story_features(article, m))
    for item_id, key in zip(ids, cluster_items(feats), strict=True):
        out_stream.write(json.dumps({"id": item_id, "story": key}, ensure_ascii=False) + "\n")
    out_stream.flush()
    return 0


def article_from_json(item: dict[str, Any]) -> Article:
    def text(key: str) -> str:
        v = item.get(key)
        return clean_text(v) if isinstance(v, str) else ""

    link = item.get("link")
    title, summary = text("title"), text("summary")
    return Article(
        title=title,
        summary=summary,
        link=link if isinstance(link, str) and link.strip() else None,
        published=parse_published(item.get("published")),
        source=text("source"),
        lang=text("lang") or guess_language(f"{title} {summary}"),   # as the poller does for untagged feeds
    )


_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_published(value: object) -> datetime | None:
    """A UTC datetime from ISO 8601 (``Z`` or offset; naive means UTC), RFC 822, or a plain
    ``YYYY-MM-DD`` (midnight UTC); None for anything else."""
    if not isinstance(value, str) or not value.strip():
        return None
    s = value.strip()
    dt: datetime | None = None
    try:
        dt = datetime.fromisoformat(s.replace("Z", "+00:00") if s.endswith("Z") else s)
    except ValueError:
        try:
            dt = parsedate_to_datetime(s)
        except (TypeError, ValueError, IndexError):
            return None
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _default_matcher() -> Matcher | None:
    try:
        from monitor.match import match_article, preset
        rules = preset("openai-funding-revenue")
    except Exception as e:  # the matcher is optional here: clustering works on text alone
        log.info("cluster: matcher unavailable (%s); using text only", type(e).__name__)
        return None

    def run(article: Article) -> Match | None:
        return match_article(article, rules)

    return run


def _safe_match(match: Matcher, article: Article) -> Match | None:
    try:
        return match(article)
    except Exception:  # one odd item must not stop the batch; its features use text only
        log.exception("cluster: matcher failed on one item")
        return None
