"""The CPU-heavy part of a poll, run in the parse pool (processes, or a thread for one-shot
commands): body bytes -> parsed articles -> matches -> identity keys and story features.

Each pool worker builds the topics once (:func:`init_worker`); a job then only ships bytes in
and small frozen values out, and never blocks the event loop.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from monitor.dedupe import entry_key, id_key, url_key
from monitor.language import guess_language
from monitor.match import build_topic, match_article
from monitor.parse import ParsedFeed, SkipFn, parse_feed, parse_feed_fast
from monitor.store import NewItem
from monitor.stories import story_features

_topics: tuple[Any, ...] = ()
FUTURE_SLACK = timedelta(days=1)   # clock skew and time zones mislabelled by publishers


@dataclass(frozen=True, slots=True)
class ProcessedFeed:
    title: str
    items: tuple[NewItem, ...]
    skipped: int = 0
    ttl_minutes: float | None = None


def init_worker(raw_topics: Sequence[Mapping[str, Any]]) -> None:
    """Pool initializer: compile the topics once per worker."""
    global _topics
    _topics = tuple(build_topic(dict(t), path=f"topics[{i}]") for i, t in enumerate(raw_topics))


def use_topics(topics: Sequence[Any]) -> None:
    """Thread initializer in the main process: use the topics the config already compiled (a
    second compile would cost ~10 MiB, more than ``re``'s pattern cache holds)."""
    global _topics
    _topics = tuple(topics)


def process_feed(body: bytes, url: str, content_type: str, name: str, max_bytes: int, now: datetime,
                 max_age_days: float, known: frozenset[str] = frozenset()) -> ProcessedFeed:
    """Parse, match and key one feed body. Raises ``ParseError`` for bodies that are not feeds.
    Entries whose key is in ``known`` (already stored for this feed) are left out unread."""
    parsed = parse_feed(body, url, content_type=content_type, name=name, max_bytes=max_bytes,
                        skip=_known(known))
    items = build_items(parsed, _topics, now, timedelta(days=max_age_days), known)
    return ProcessedFeed(title=parsed.title, items=tuple(items), skipped=parsed.skipped,
                         ttl_minutes=parsed.ttl_minutes)


def process_feed_fast(body: bytes, url: str, content_type: str, name: str, now: datetime,
                      max_age_days: float, known: frozenset[str] = frozenset()) -> ProcessedFeed | None:
    """:func:`process_feed` for bodies the parse fast path reads (small, well-formed UTF-8 RSS 2.0
    or Atom 1.0), or None: then :func:`process_feed` must run in the sandboxed pool. Bounded
    work, so the main process may run it (in a thread, off the event loop)."""
    parsed = parse_feed_fast(body, url, content_type=content_type, name=name, skip=_known(known))
    if parsed is None:
        return None
    items = build_items(parsed, _topics, now, timedelta(days=max_age_days), known)
    return ProcessedFeed(title=parsed.title, items=tuple(items), skipped=parsed.skipped,
                         ttl_minutes=parsed.ttl_minutes)


def _known(known: frozenset[str]) -> SkipFn | None:
    """The parser's test for entries already stored: their key from guid or link alone."""
    if not known:
        return None
    return lambda entry_id, link: id_key(entry_id, link) in known


def build_items(parsed: ParsedFeed, topics: Sequence[Any], now: datetime, max_age: timedelta,
                known: frozenset[str] = frozenset()) -> list[NewItem]:
    """Pure: parsed articles -> items to store, with their matches and story features. Articles
    older than ``max_age`` (by published date) are stored but not deliverable. Entries already
    stored for the feed (``known`` entry keys) are left out before matching: the store would
    ignore them, and a changed feed usually re-serves mostly what it served before."""
    items = []
    seen: set[str] = set()
    for article in parsed.articles:
        key = entry_key(article)
        if key in known or key in seen:  # known, or the same entry twice in one body: the first wins
            continue
        seen.add(key)
        if article.lang is None and (lang := guess_language(f"{article.title} {article.summary}")):
            article = replace(article, lang=lang)   # untagged feed: the text's language, when it is clear
        if article.published and article.published > now + FUTURE_SLACK:
            # a date in the future is not trusted (it would pin the item on top of every digest
            # and stretch its story's window): the first-seen time is stored instead
            article = replace(article, published=now)
        matches = []
        dated = article if article.published else replace(article, published=now)  # first seen, for stories
        for topic in topics:
            m = match_article(article, topic)
            if m.matched:
                matches.append((m, story_features(dated, m).to_dict()))
        deliverable = article.published is None or article.published >= now - max_age
        items.append(NewItem(article=article, entry_key=key, url_key=url_key(article), matches=matches,
                             deliverable=deliverable))
    return items
