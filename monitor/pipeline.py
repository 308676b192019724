"""Polling orchestration: ``poll_once`` (due feeds -> fetch -> parse -> match -> dedupe ->
stories -> store). Talks to the outside only through the parts in :class:`Deps`; ``now`` is read
once per run from the clock. Delivery is in :mod:`monitor.delivery`.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from monitor.clock import Clock
from monitor.config import Settings
from monitor.due import backoff_delay, cache_hint_seconds, next_poll_after, poll_interval, update_rhythm
from monitor.errors import DeliveryError, FetchError, MonitorError, ParseError
from monitor.fetch import Fetcher
from monitor.normalize import redact_url
from monitor.sinks import Sink
from monitor.store import FeedState, FetchMeta
from monitor.stories.index import StoryIndex
from monitor.types import FeedOutcome, RunReport
from monitor.worker import ProcessedFeed

log = logging.getLogger(__name__)

# (body, final url, content type, feed name, now) -> parsed, matched and keyed items (off the loop)
ProcessFn = Callable[[bytes, str, str, str, datetime, frozenset[str]], Awaitable[ProcessedFeed]]
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
    ttl_hints: dict[int, float] = field(default_factory=dict)   # feed id -> last RSS <ttl> seen (minutes)

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


NETWORK_REASONS = frozenset({"network_error", "dns_error", "timeout", "tls_error"})


@dataclass
class _Failure:
    feed: FeedState
    error: Exception
    reason: str
    retry_after: float | None


async def poll_once(deps: Deps, *, all_feeds: bool = False) -> RunReport:
    """One pass over the due feeds (every enabled feed with ``all_feeds``). Never raises for a
    feed's failure: each outcome is in the report.

    Feeds are leased in small batches as workers free up, so several processes sharing one
    database split a round between them. Failures are written at the end of the round: when
    every feed failed for network reasons (our own network is down), none is punished with
    back-off and one aggregated warning is logged.
    """
    now = deps.clock.now()
    pol = deps.settings.polling
    lease = timedelta(seconds=pol.lease_seconds or pol.timeout_seconds * 2 + 30)
    batch_size = max(16, pol.concurrency * 4)   # a claim is one transaction: few per round, small enough to share
    buffer: list[FeedState] = []
    exhausted = False
    refill_lock = asyncio.Lock()
    per_host: dict[str, asyncio.Semaphore] = {}
    outcomes: list[FeedOutcome] = []
    failures: list[_Failure] = []

    prefetch: asyncio.Future[list[FeedState]] | None = None
    after_id: int | None = None   # with all_feeds: where the next batch starts (feeds in id order)

    def claim() -> asyncio.Future[list[FeedState]]:
        return asyncio.ensure_future(deps.call_store(
            deps.store.claim_due_feeds, now, lease=lease, all_feeds=all_feeds,
            polled_before=now if all_feeds else None, limit=batch_size, after_id=after_id))

    def take(batch: list[FeedState]) -> None:
        nonlocal exhausted, after_id
        exhausted = not batch
        buffer.extend(batch)
        if batch and all_feeds:
            after_id = max(f.id for f in batch)

    async def next_feed() -> FeedState | None:
        # the next batch is claimed while half of this one is still queued, so fetches never
        # wait for a claim transaction in the middle of a round
        nonlocal prefetch
        async with refill_lock:
            if prefetch is not None and (not buffer or prefetch.done()):
                batch, prefetch = await prefetch, None
                take(batch)
            elif not buffer and not exhausted:
                take(await claim())
            if buffer and not exhausted and prefetch is None and len(buffer) <= batch_size // 2:
                prefetch = claim()
            return buffer.pop(0) if buffer else None

    async def worker() -> None:
        while (feed := await next_feed()) is not None:
            host = (urlsplit(feed.url).hostname or "").lower()
            async with per_host.setdefault(host, asyncio.Semaphore(pol.per_host_concurrency)):
                outcome = await _poll_feed(deps, feed, now, failures)
            outcomes.append(outcome)

    try:
        await asyncio.gather(*(worker() for _ in range(pol.concurrency)))
    finally:
        if prefetch is not None and not prefetch.done():   # cancelled mid-round: its leases expire
            prefetch.cancel()
    await deps.flush_unchanged(now)
    await _record_failures(deps, failures, now, total=len(outcomes))
    report = RunReport(started=now, finished=deps.clock.now(), feeds=tuple(outcomes))
    deps.metrics.last_poll_at = now
    if outcomes and len(report.failed) < len(outcomes):
        deps.metrics.last_successful_poll_at = now
    deps.metrics.inc("monitor_polls_total")
    deps.metrics.inc("monitor_feed_polls_total", len(outcomes))
    return report


def _interval(deps: Deps, feed: FeedState) -> timedelta:
    return timedelta(minutes=feed.interval_minutes or deps.settings.polling.interval_minutes)


async def _poll_feed(deps: Deps, feed: FeedState, now: datetime, failures: list[_Failure]) -> FeedOutcome:
    pol = deps.settings.polling
    interval = _interval(deps, feed)

    def schedule(new_articles: int, cache: float | None = None,
                 ttl: float | None = None) -> tuple[datetime, float | None]:
        rhythm = update_rhythm(feed.avg_new_gap_seconds, feed.last_new_at, now) if new_articles else \
            feed.avg_new_gap_seconds
        every = poll_interval(interval, low=timedelta(minutes=pol.min_interval_minutes),
                              high=timedelta(minutes=pol.max_interval_minutes), adaptive=pol.adaptive,
                              avg_new_gap=rhythm, cache_seconds=cache, ttl_minutes=ttl)
        return next_poll_after(now, every, 0.1, deps.rng), rhythm

    try:
        result = await deps.fetcher.fetch(feed.url, etag=feed.etag, last_modified=feed.last_modified)
        cache = cache_hint_seconds(result.headers, now=now)
        if result.not_modified:
            await deps.note_unchanged(feed.id, schedule(0, cache, deps.ttl_hints.get(feed.id))[0], now)
            deps.metrics.inc("monitor_feed_not_modified_total")
            return FeedOutcome(url=feed.url, not_modified=True)
        body_hash = hashlib.sha256(result.body).hexdigest()
        meta = FetchMeta(etag=result.etag, last_modified=result.last_modified, body_hash=body_hash)
        if body_hash == feed.body_hash and result.etag == feed.etag and \
                result.last_modified == feed.last_modified:  # same bytes and validators: nothing to parse
            await deps.note_unchanged(feed.id, schedule(0, cache, deps.ttl_hints.get(feed.id))[0], now)
            return FeedOutcome(url=feed.url, not_modified=True)
        if body_hash == feed.body_hash:  # same bytes, new validators: keep them, skip parsing
            await deps.call_store(deps.store.record_items, feed.id, meta, [], now,
                                  lambda n: schedule(n, cache), stories=StoryIndex, routes={},
                                  story_window=STORY_WINDOW)
            return FeedOutcome(url=feed.url, not_modified=True)
        # what the feed served before is not read again: only new entries are matched and keyed
        known = frozenset() if feed.is_new else await deps.call_store(deps.store.known_entry_keys, feed.id)
        processed = await deps.process(result.body, result.url, result.content_type, feed.name, now, known)
        meta = FetchMeta(etag=result.etag, last_modified=result.last_modified, body_hash=body_hash,
                         title=processed.title)
        ttl = processed.ttl_minutes
        if ttl:
            deps.ttl_hints[feed.id] = ttl
        else:
            deps.ttl_hints.pop(feed.id, None)
        res = await deps.call_store(deps.store.record_items, feed.id, meta, processed.items, now,
                                    lambda n: schedule(n, cache, ttl), stories=StoryIndex,
                                    routes=_routes(deps.settings), story_window=STORY_WINDOW)
        deps.metrics.inc("monitor_articles_new_total", res.new_articles)
        deps.metrics.inc("monitor_matches_total", res.new_matches)
        deps.metrics.inc("monitor_stories_new_total", res.new_stories)
        if res.new_articles:
            log.info("feed polled id=%s feed=%s new=%d matches=%d stories=%d", feed.id, redact_url(feed.url),
                     res.new_articles, res.new_matches, res.new_stories)
        return FeedOutcome(url=feed.url, new_articles=res.new_articles, new_matches=res.new_matches,
                           new_stories=res.new_stories)
    except (FetchError, ParseError) as e:
        failures.append(_Failure(feed, e, e.reason, getattr(e, "retry_after", None)))
    except MonitorError as e:
        failures.append(_Failure(feed, e, "error", None))
    except Exception as e:  # noqa: BLE001 - one feed's bug must not stop the others (G1)
        log.exception("feed failed unexpectedly id=%s feed=%s", feed.id, redact_url(feed.url))
        failures.append(_Failure(feed, e, "internal_error", None))
    return FeedOutcome(url=feed.url, error=failures[-1].error)


async def _record_failures(deps: Deps, failures: list[_Failure], now: datetime, *, total: int) -> None:
    if not failures:
        return
    outage = len(failures) == total >= 2 and all(f.reason in NETWORK_REASONS for f in failures)
    if outage:
        log.warning("all %d feeds failed with network errors (is our network down?): not counted against "
                    "the feeds; retrying at their normal interval", total)
        deps.metrics.inc("monitor_network_outages_total")
    rows = []
    for f in failures:
        interval = _interval(deps, f.feed)
        failures_n = f.feed.consecutive_failures + (0 if outage else 1)
        delay = interval if outage else max(
            interval, backoff_delay(failures_n, interval, max(interval, MAX_FEED_BACKOFF), deps.rng))
        if f.retry_after:
            delay = max(delay, timedelta(seconds=min(f.retry_after, MAX_FEED_BACKOFF.total_seconds())))
        status = getattr(f.error, "status", None)
        if not outage:
            log.warning("feed failed id=%s feed=%s reason=%s%s failures=%d retry_in=%ds", f.feed.id,
                        redact_url(f.feed.url), f.reason, f" status={status}" if status else "", failures_n,
                        delay.total_seconds())
        deps.metrics.inc("monitor_feed_errors_total", reason=f.reason)
        message = str(f.error) if str(f.error).startswith(f.reason) else f"{f.reason}: {f.error}"
        rows.append((f.feed.id, message[:500], now + delay, not outage))
    try:
        await deps.call_store(deps.store.record_failures, rows, now)
    except MonitorError:
        log.exception("could not record %d feed failures", len(rows))


def _routes(settings: Settings) -> dict[str, list[tuple[str, str]]]:
    routes: dict[str, list[tuple[str, str]]] = {}
    for d in settings.digests:
        for topic in d.topics:
            routes.setdefault(topic, []).extend((d.name, s) for s in d.sinks)
    return routes
