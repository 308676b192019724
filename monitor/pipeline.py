"""Polling orchestration: ``poll_once`` (due feeds -> fetch -> parse -> match -> dedupe ->
stories -> store). Talks to the outside only through the parts in :class:`Deps`; ``now`` is read
once per run from the clock. Delivery is in :mod:`monitor.delivery`.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from monitor.clock import Clock
from monitor.config import Settings
from monitor.due import backoff_delay, next_poll_after
from monitor.errors import DeliveryError, FetchError, MonitorError, ParseError
from monitor.fetch import Fetcher
from monitor.normalize import redact_url
from monitor.sinks import Sink
from monitor.store import FeedState, FetchMeta
from monitor.stories import StoryFeatures, assign_story
from monitor.types import FeedOutcome, RunReport
from monitor.worker import ProcessedFeed

log = logging.getLogger(__name__)

# (body, final url, content type, feed name, now) -> parsed, matched and keyed items (off the loop)
ProcessFn = Callable[[bytes, str, str, str, datetime], Awaitable[ProcessedFeed]]
STORY_WINDOW = timedelta(days=7)
MAX_FEED_BACKOFF = timedelta(hours=6)


@dataclass
class Metrics:
    """In-process counters, exported by the health server."""

    counters: dict[str, float] = field(default_factory=dict)
    last_poll_at: datetime | None = None
    last_successful_poll_at: datetime | None = None

    def inc(self, name: str, value: float = 1, **labels: str) -> None:
        key = name + ("{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}" if labels else "")
        self.counters[key] = self.counters.get(key, 0) + value


@dataclass
class Deps:
    settings: Settings
    store: Any                                   # monitor.store contract (SqlStore)
    fetcher: Fetcher
    clock: Clock
    process: ProcessFn
    sinks: Mapping[str, Sink | DeliveryError]    # a DeliveryError says why the sink is unavailable
    rng: random.Random = field(default_factory=random.Random)
    metrics: Metrics = field(default_factory=Metrics)
    db: Callable[..., Awaitable[Any]] | None = None   # runs a store call off the event loop

    _unchanged: list[tuple[int, datetime]] = field(default_factory=list)

    async def note_unchanged(self, feed_id: int, next_at: datetime, now: datetime) -> None:
        """Batch the state writes of unchanged feeds (most of a round): one transaction per 200."""
        self._unchanged.append((feed_id, next_at))
        if len(self._unchanged) >= 200:
            await self.flush_unchanged(now)

    async def flush_unchanged(self, now: datetime | None = None) -> None:
        batch, self._unchanged = self._unchanged, []
        if batch:
            await self.call_store(self.store.record_not_modified_many, batch, now or self.clock.now())

    async def call_store(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if self.db is not None:
            return await self.db(fn, *args, **kwargs)
        return await asyncio.to_thread(fn, *args, **kwargs)


# ---- polling ------------------------------------------------------------------------------------


async def poll_once(deps: Deps, *, all_feeds: bool = False) -> RunReport:
    """One pass over the due feeds (every enabled feed with ``all_feeds``). Never raises for a
    feed's failure: each outcome is in the report."""
    now = deps.clock.now()
    pol = deps.settings.polling
    lease = timedelta(seconds=pol.timeout_seconds * 2 + 60)
    feeds: list[FeedState] = await deps.call_store(deps.store.claim_due_feeds, now, lease=lease,
                                                   all_feeds=all_feeds)
    overall = asyncio.Semaphore(pol.concurrency)
    per_host: dict[str, asyncio.Semaphore] = {}

    async def one(feed: FeedState) -> FeedOutcome:
        host = (urlsplit(feed.url).hostname or "").lower()
        sem = per_host.setdefault(host, asyncio.Semaphore(pol.per_host_concurrency))
        async with overall, sem:
            return await _poll_feed(deps, feed, now)

    outcomes = await asyncio.gather(*(one(f) for f in feeds))
    await deps.flush_unchanged()
    report = RunReport(started=now, finished=deps.clock.now(), feeds=tuple(outcomes))
    deps.metrics.last_poll_at = now
    if feeds and len(report.failed) < len(feeds):
        deps.metrics.last_successful_poll_at = now
    deps.metrics.inc("monitor_polls_total")
    return report


async def _poll_feed(deps: Deps, feed: FeedState, now: datetime) -> FeedOutcome:
    pol = deps.settings.polling
    interval = timedelta(minutes=feed.interval_minutes or pol.interval_minutes)
    safe = redact_url(feed.url)
    try:
        result = await deps.fetcher.fetch(feed.url, etag=feed.etag, last_modified=feed.last_modified)
        next_at = next_poll_after(now, interval, 0.1, deps.rng)
        if result.not_modified:
            await deps.note_unchanged(feed.id, next_at, now)
            deps.metrics.inc("monitor_feed_not_modified_total")
            return FeedOutcome(url=feed.url, not_modified=True)
        body_hash = hashlib.sha256(result.body).hexdigest()
        meta = FetchMeta(etag=result.etag, last_modified=result.last_modified, body_hash=body_hash)
        if body_hash == feed.body_hash and result.etag == feed.etag and \
                result.last_modified == feed.last_modified:  # same bytes and validators: nothing to parse
            await deps.note_unchanged(feed.id, next_at, now)
            return FeedOutcome(url=feed.url, not_modified=True)
        if body_hash == feed.body_hash:  # same bytes, new validators: keep them, skip parsing
            await deps.call_store(deps.store.record_items, feed.id, meta, [], now, next_at,
                                  assign=_assign, routes={}, story_window=STORY_WINDOW)
            return FeedOutcome(url=feed.url, not_modified=True)
        processed = await deps.process(result.body, result.url, result.content_type, feed.name, now)
        meta = FetchMeta(etag=result.etag, last_modified=result.last_modified, body_hash=body_hash,
                         title=processed.title)
        res = await deps.call_store(deps.store.record_items, feed.id, meta, processed.items, now, next_at,
                                    assign=_assign, routes=_routes(deps.settings), story_window=STORY_WINDOW)
        deps.metrics.inc("monitor_articles_new_total", res.new_articles)
        deps.metrics.inc("monitor_matches_total", res.new_matches)
        deps.metrics.inc("monitor_stories_new_total", res.new_stories)
        if res.new_articles:
            log.info("feed polled feed=%s new=%d matches=%d stories=%d", safe, res.new_articles,
                     res.new_matches, res.new_stories)
        return FeedOutcome(url=feed.url, new_articles=res.new_articles, new_matches=res.new_matches,
                           new_stories=res.new_stories)
    except (FetchError, ParseError) as e:
        return await _feed_failed(deps, feed, now, interval, e, e.reason, getattr(e, "retry_after", None))
    except MonitorError as e:
        return await _feed_failed(deps, feed, now, interval, e, "error", None)
    except Exception as e:  # noqa: BLE001 - one feed's bug must not stop the others (G1)
        log.exception("feed failed unexpectedly feed=%s", safe)
        return await _feed_failed(deps, feed, now, interval, e, "internal_error", None)


async def _feed_failed(deps: Deps, feed: FeedState, now: datetime, interval: timedelta, error: Exception,
                       reason: str, retry_after: float | None) -> FeedOutcome:
    failures = feed.consecutive_failures + 1
    delay = max(interval, backoff_delay(failures, interval, max(interval, MAX_FEED_BACKOFF), deps.rng))
    if retry_after:
        delay = max(delay, timedelta(seconds=min(retry_after, MAX_FEED_BACKOFF.total_seconds())))
    status = getattr(error, "status", None)
    log.warning("feed failed id=%s feed=%s reason=%s%s failures=%d retry_in=%ds", feed.id, redact_url(feed.url),
                reason, f" status={status}" if status else "", failures, delay.total_seconds())
    deps.metrics.inc("monitor_feed_errors_total", reason=reason)
    message = f"{reason}: {error}" if reason not in str(error) else str(error)
    try:
        await deps.call_store(deps.store.record_failure, feed.id, message, now, now + delay)
    except MonitorError:
        log.exception("could not record feed failure feed=%s", redact_url(feed.url))
    return FeedOutcome(url=feed.url, error=error)


def _assign(features: Mapping[str, Any], candidates: Sequence[tuple[int, Sequence[Mapping[str, Any]]]]) -> int | None:
    f = StoryFeatures.from_dict(dict(features))
    return assign_story(f, [(sid, [StoryFeatures.from_dict(dict(m)) for m in members])
                            for sid, members in candidates])


def _routes(settings: Settings) -> dict[str, list[tuple[str, str]]]:
    routes: dict[str, list[tuple[str, str]]] = {}
    for d in settings.digests:
        for topic in d.topics:
            routes.setdefault(topic, []).extend((d.name, s) for s in d.sinks)
    return routes
