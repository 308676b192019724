"""Polling orchestration: ``poll_once`` (due feeds -> fetch -> parse -> match -> dedupe ->
stories -> store). Talks to the outside only through the parts in :class:`Deps`; ``now`` is read
once per run from the clock. Delivery is in :mod:`monitor.delivery`.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import random
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

from monitor.clock import Clock
from monitor.config import Settings
from monitor.due import backoff_delay, cache_hint_seconds, poll_window, update_rhythm
from monitor.errors import DeliveryError, FetchError, MonitorError, ParseError
from monitor.fetch import Fetcher
from monitor.normalize import redact_url
from monitor.sinks import Sink
from monitor.store import FeedState, FetchMeta
from monitor.stories.decide import MAX_GAP_HOURS
from monitor.stories.index import StoryIndex
from monitor.types import FeedOutcome, RunReport
from monitor.worker import FUTURE_SLACK, ProcessedFeed

log = logging.getLogger(__name__)


class ProcessFn(Protocol):
    """(body, final url, content type, feed name, now, known entry keys) -> parsed, matched and
    keyed items, off the loop, within ``timeout`` seconds (None: the parser's own limit)."""

    def __call__(self, body: bytes, url: str, content_type: str, name: str, now: datetime,
                 known: frozenset[str] = ..., timeout: float | None = None) -> Awaitable[ProcessedFeed]: ...


# the widest gap in published time at which two articles may still be one story (the decision's
# MAX_GAP_HOURS plus a day of slack for date-only values), plus the day a published date may run
# ahead of the time it was stored: the store compares a newcomer, however late it arrives, with
# every story it could join (SqlStore.record_items)
STORY_WINDOW = timedelta(hours=MAX_GAP_HOURS + 24) + FUTURE_SLACK
UNCHANGED_FLUSH = timedelta(seconds=1)   # the longest an unchanged feed's new schedule waits to be written
MAX_FEED_BACKOFF = timedelta(hours=6)
# a feed's poll that fails for the FEED_ERROR_AFTER-th time in a row logs at ERROR instead of WARNING,
# once per failing episode: about a day of failures at the default 15-minute interval (back-off
# doubles from the interval, capped at MAX_FEED_BACKOFF); the operator has to look at the feed
FEED_ERROR_AFTER = 8
# a feed that has answered nothing but 304 Not Modified for this long gets one staleness notice
# (per process: the count starts at the first 304 this process saw after a 200, or at its start)
STALE_304_AFTER = timedelta(days=30)


@dataclass
class Metrics:
    """In-process counters, exported by the health server."""

    counters: dict[str, float] = field(default_factory=dict)
    last_poll_at: datetime | None = None
    last_successful_poll_at: datetime | None = None

    def inc(self, name: str, value: float = 1, **labels: str) -> None:
        key = series(name, **labels)
        self.counters[key] = self.counters.get(key, 0) + value

    def declare(self, settings: Settings) -> None:
        """Export at 0 every counter series known at start: the label-less counters, and deliveries
        and delivery alerts by each digest sink. A series that first appears at 1 hides its first
        event from ``rate()``/``increase()`` (nothing to compare with), e.g. the first failed
        delivery after a restart. Per-feed errors are left to appear when they happen: their
        labels (feed × reason) are not known in advance."""
        for name in COUNTERS:
            self.counters.setdefault(name, 0)
        for sink in sorted({s for d in settings.digests for s in d.sinks}):
            for outcome in ("sent", "failed"):
                self.counters.setdefault(series("monitor_deliveries_total", sink=sink, outcome=outcome), 0)
            for kind in ("permanent", "overdue"):
                self.counters.setdefault(series("monitor_delivery_alerts_total", sink=sink, kind=kind), 0)


# the counters without labels (Metrics.declare exports them at 0 from the start)
COUNTERS = ("monitor_polls_total", "monitor_feed_polls_total", "monitor_feed_not_modified_total",
            "monitor_network_outages_total", "monitor_articles_new_total", "monitor_matches_total",
            "monitor_stories_new_total", "monitor_dead_man_alerts_total")


def series(name: str, **labels: str) -> str:
    """One Prometheus series: ``name{label="value",…}``, labels sorted, values escaped as the text
    format asks (``\\``, ``"``, line feed), so a feed's name or URL cannot break the exposition."""
    if not labels:
        return name
    return name + "{" + ",".join(f'{k}="{_escape_label(v)}"' for k, v in sorted(labels.items())) + "}"


def _escape_label(value: str) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


@dataclass
class NetworkState:
    """Whether our own network looks down, judged across rounds in this process.

    Only network-class failures (connect, DNS, TLS, timeouts: :data:`NETWORK_REASONS`) count as
    evidence; an HTTP answer of any status proves the network works. The network is judged down
    when network failures of two different feeds follow each other with no fetch reaching a server
    in between (in one round or across rounds: during an outage feeds often come due one at a
    time), and it stays down until a fetch reaches a server again. While it is down, failures are
    not counted against the feeds."""

    down_since: datetime | None = None
    # feed id -> network failures counted against it since a fetch last reached a server
    suspects: dict[int, int] = field(default_factory=dict)

    def observe(self, *, reached: bool, failed: Sequence[int], now: datetime) -> tuple[str, dict[int, int]]:
        """Take one round's evidence; returns the change (``"down"``, ``"up"`` or ``""``) and, when
        the network was just judged down, the failures counted earlier in this outage (to forgive)."""
        if reached:
            was_down, self.down_since, self.suspects = self.down_since is not None, None, {}
            return ("up" if was_down else ""), {}
        if not failed or self.down_since is not None:
            return "", {}
        if len(set(failed) | set(self.suspects)) >= 2:
            forgive, self.down_since, self.suspects = self.suspects, now, {}
            return "down", forgive
        for feed_id in failed:
            self.suspects[feed_id] = self.suspects.get(feed_id, 0) + 1
        return "", {}


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
    _unchanged_since: datetime | None = None
    ttl_hints: dict[int, float] = field(default_factory=dict)   # feed id -> last RSS <ttl> seen (minutes)
    network: NetworkState = field(default_factory=NetworkState)
    # feed id -> when its unbroken run of 304 answers began (None once its staleness notice was given)
    only_304_since: dict[int, datetime | None] = field(default_factory=dict)

    async def note_unchanged(self, feed_id: int, next_at: datetime, now: datetime) -> None:
        """Batch the state writes of unchanged feeds (most of a round): one transaction per 200, or
        per second, so that no feed stays due and unleased-looking in the database for long after
        its poll (another worker could take it again once its lease runs out)."""
        if not self._unchanged:
            self._unchanged_since = self.clock.now()
        self._unchanged.append((feed_id, next_at))
        if len(self._unchanged) >= 200 or (
                self._unchanged_since is not None and self.clock.now() - self._unchanged_since >= UNCHANGED_FLUSH):
            await self.flush_unchanged(now)

    async def flush_unchanged(self, now: datetime | None = None) -> None:
        batch, self._unchanged, self._unchanged_since = self._unchanged, [], None
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
    database split a round between them; a lease runs from the moment its batch is claimed. At
    most ``per_host_concurrency`` fetches run per host: a worker that finishes a feed goes on with
    the next queued feed of the same host (it keeps the host's slot, nobody waits in between), and
    otherwise starts the oldest queued feed whose host has a free slot; a worker never holds a feed
    while it waits. A feed whose lease no longer covers a fetch and its recording when its turn
    comes (a slow host with many feeds) has its lease renewed first, or is left alone if another
    process took it meanwhile. Failures are written at the end of the round; while our own network
    looks down (:class:`NetworkState`, judged across rounds), none is punished with back-off and
    one warning marks the outage's start and one its end.
    """
    now = deps.clock.now()
    pol = deps.settings.polling
    lease = timedelta(seconds=pol.lease_seconds or pol.timeout_seconds * 2 + 30)
    # what a lease must still cover when a fetch starts: the fetch's deadline and a quarter of the
    # lease for parsing and recording
    must_cover = timedelta(seconds=pol.timeout_seconds) + lease / 4
    batch_size = max(16, pol.concurrency * 4)   # a claim is one transaction: few per round, small enough to share
    queue = HostQueue(pol.per_host_concurrency)
    outcomes: list[FeedOutcome] = []
    failures: list[_Failure] = []
    lost: list[int] = []   # feeds another process took over while they waited here
    leases: dict[int, datetime] = {}   # feed id -> when this process's lease on it ends
    polled: set[int] = set()   # feeds polled successfully (written, or in the unchanged batch)
    loop = asyncio.get_running_loop()

    exhausted = False
    claiming: asyncio.Future[list[FeedState]] | None = None
    claim_error: BaseException | None = None
    after_id: int | None = None   # with all_feeds: where the next batch starts (feeds in id order)
    changed: asyncio.Future[None] | None = None   # set when a claim lands or a host's slot frees

    def signal() -> None:
        if changed is not None and not changed.done():
            changed.set_result(None)

    def landed(fut: asyncio.Future[list[FeedState]], lease_until: datetime) -> None:
        nonlocal claiming, exhausted, after_id, claim_error
        claiming = None
        if fut.cancelled():
            return
        if (error := fut.exception()) is not None:
            claim_error = error
        else:
            batch = fut.result()
            exhausted = not batch
            if batch and all_feeds:
                after_id = max(f.id for f in batch)
            # a later claim of a long round can meet feeds of this round again once their first lease
            # has run out: still queued here, or failed earlier (failures are written at the end).
            # Either way the newer lease is ours and the feed is not queued twice.
            fresh = [f for f in batch if f.id not in leases]
            for f in batch:
                leases[f.id] = lease_until
            queue.add(fresh)
        signal()

    def refill() -> None:
        # the next batch is claimed while half of this one is still queued, so fetches never wait
        # for a claim transaction in the middle of a round; at most 1.5 batches wait at a time
        nonlocal claiming
        if not exhausted and claiming is None and claim_error is None and queue.waiting <= batch_size // 2:
            at = deps.clock.now()
            claiming = asyncio.ensure_future(deps.call_store(
                deps.store.claim_due_feeds, at, lease=lease, all_feeds=all_feeds,
                polled_before=now if all_feeds else None, limit=batch_size, after_id=after_id))
            claiming.add_done_callback(functools.partial(landed, lease_until=at + lease))

    async def next_feed() -> FeedState | None:
        nonlocal changed
        while True:
            if claim_error is not None:
                raise claim_error
            feed = queue.start_any()
            refill()
            if feed is not None:
                return feed
            if exhausted and claiming is None:
                return None   # what is still queued belongs to busy hosts, whose workers go on with it
            if changed is None or changed.done():
                changed = loop.create_future()
            await changed

    async def still_ours(feed: FeedState) -> bool:
        at, held = deps.clock.now(), leases[feed.id]
        if held - at >= must_cover:
            return True
        if await deps.call_store(deps.store.renew_lease, feed.id, held, at + lease):
            leases[feed.id] = at + lease
            return True
        lost.append(feed.id)
        return False

    async def worker() -> None:
        feed = await next_feed()
        while feed is not None:
            if await still_ours(feed):
                outcome = await _poll_feed(deps, feed, now, failures)
                outcomes.append(outcome)
                if outcome.error is None:
                    polled.add(feed.id)
            feed = queue.next_same_host(feed)
            if feed is None:      # the host's slot is free again: an idle worker may take it
                signal()
                feed = await next_feed()
            else:
                refill()

    try:
        await asyncio.gather(*(worker() for _ in range(pol.concurrency)))
    except asyncio.CancelledError:   # shutdown mid-round: what was done is written, the rest is let go
        await _abandon(deps, {i: until for i, until in leases.items() if i not in polled}, now)
        raise
    finally:
        if claiming is not None and not claiming.done():   # a claim still in flight: its leases expire
            claiming.cancel()
    if lost:
        log.info("%d feeds waited here past their lease and another worker took them over: %s",
                 len(lost), ", ".join(map(str, lost[:20])))
    await deps.flush_unchanged(now)
    await _record_failures(deps, failures, now, total=len(outcomes))
    report = RunReport(started=now, finished=deps.clock.now(), feeds=tuple(outcomes))
    deps.metrics.last_poll_at = now
    if outcomes and len(report.failed) < len(outcomes):
        deps.metrics.last_successful_poll_at = now
    deps.metrics.inc("monitor_polls_total")
    deps.metrics.inc("monitor_feed_polls_total", len(outcomes))
    return report


async def _abandon(deps: Deps, leases: dict[int, datetime], now: datetime) -> None:
    """A round cancelled at shutdown: write the schedules of the unchanged feeds already polled,
    then release the leases of the feeds not polled (queued, in flight, or failed: failures are
    written at the end of a round), with a compare-and-set on the lease as claimed, so a feed taken
    over by another process is left alone. A restart, or another worker, polls them at once
    instead of after their lease."""
    try:
        await deps.flush_unchanged(now)
        released = await deps.call_store(deps.store.release_leases, leases)
    except MonitorError as e:
        log.error("could not release the leases of an abandoned round: %s", e)
        return
    if released:
        log.info("round abandoned at shutdown: %d feeds released for the next poll", released)


class HostQueue:
    """Leased feeds waiting for a fetch, queued per host, with at most ``per_host`` fetches of one
    host in flight. Pure bookkeeping, no awaiting: :func:`poll_once`'s workers drive it.

    ``start_any`` starts the oldest waiting host that has a free slot (hosts in the order their
    first waiting feed arrived); ``next_same_host`` hands the slot of a finished fetch to the next
    feed of its host, or frees it. Within a host, feeds start in the order they were claimed, so
    none starves.
    """

    def __init__(self, per_host: int) -> None:
        self.per_host = per_host
        self.waiting = 0
        self._queues: dict[str, deque[FeedState]] = {}
        self._active: dict[str, int] = {}

    def add(self, feeds: Iterable[FeedState]) -> None:
        for feed in feeds:
            host = _host(feed.url)
            q = self._queues.get(host)
            if q is None:
                q = self._queues[host] = deque()
            q.append(feed)
            self.waiting += 1

    def active(self, host: str) -> int:
        return self._active.get(host, 0)

    def start_any(self) -> FeedState | None:
        for host, q in self._queues.items():   # skips at most concurrency / per_host busy hosts
            n = self._active.get(host, 0)
            if n < self.per_host:
                self._active[host] = n + 1
                return self._pop(host, q)
        return None

    def next_same_host(self, done: FeedState) -> FeedState | None:
        host = _host(done.url)
        q = self._queues.get(host)
        if q:
            return self._pop(host, q)
        n = self._active[host] - 1
        if n:
            self._active[host] = n
        else:
            del self._active[host]
        return None

    def _pop(self, host: str, q: deque[FeedState]) -> FeedState:
        feed = q.popleft()
        if not q:
            del self._queues[host]
        self.waiting -= 1
        return feed


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _interval(deps: Deps, feed: FeedState) -> timedelta:
    return timedelta(minutes=feed.interval_minutes or deps.settings.polling.interval_minutes)


async def _poll_feed(deps: Deps, feed: FeedState, now: datetime, failures: list[_Failure]) -> FeedOutcome:
    pol = deps.settings.polling
    interval = _interval(deps, feed)

    def schedule(new_articles: int, cache: float | None = None,
                 ttl: float | None = None) -> tuple[datetime, float | None]:
        rhythm = update_rhythm(feed.avg_new_gap_seconds, feed.last_new_at, now) if new_articles else \
            feed.avg_new_gap_seconds
        earliest, latest = poll_window(interval, low=timedelta(minutes=pol.min_interval_minutes),
                                       high=timedelta(minutes=pol.max_interval_minutes), adaptive=pol.adaptive,
                                       avg_new_gap=rhythm, cache_seconds=cache, ttl_minutes=ttl)
        return now + timedelta(seconds=deps.rng.uniform(earliest.total_seconds(), latest.total_seconds())), rhythm

    loop = asyncio.get_running_loop()
    started = loop.time()   # one deadline (timeout_seconds) for the fetch and the parse together
    try:
        result = await deps.fetcher.fetch(feed.url, etag=feed.etag, last_modified=feed.last_modified)
        cache = cache_hint_seconds(result.headers, now=now)
        if result.not_modified:
            await deps.note_unchanged(feed.id, schedule(0, cache, deps.ttl_hints.get(feed.id))[0], now)
            deps.metrics.inc("monitor_feed_not_modified_total")
            _note_304(deps, feed, now)
            return FeedOutcome(url=feed.url, not_modified=True)
        deps.only_304_since.pop(feed.id, None)
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
        processed = await deps.process(result.body, result.url, result.content_type, feed.name, now, known,
                                       timeout=pol.timeout_seconds - (loop.time() - started))
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
                     res.new_articles, res.new_matches, res.new_stories,
                     extra={"feed_id": feed.id, "feed": redact_url(feed.url), "new": res.new_articles,
                            "matches": res.new_matches, "stories": res.new_stories})
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


def _note_304(deps: Deps, feed: FeedState, now: datetime) -> None:
    """One notice for a feed that has answered only 304 Not Modified for :data:`STALE_304_AFTER`
    (a server that never sends new content looks healthy otherwise)."""
    since = deps.only_304_since.setdefault(feed.id, now)
    if since is not None and now - since >= STALE_304_AFTER:
        deps.only_304_since[feed.id] = None
        log.warning("feed stale id=%s feed=%s: only 304 Not Modified for %d days; is it still published?",
                    feed.id, redact_url(feed.url), (now - since).days,
                    extra={"event": "feed_stale", "feed_id": feed.id, "feed": redact_url(feed.url),
                           "days": (now - since).days})


async def _record_failures(deps: Deps, failures: list[_Failure], now: datetime, *, total: int) -> None:
    # any answer from a server (a success, an HTTP error, a body that failed to parse) proves the network works
    reached = len(failures) < total or any(f.reason not in NETWORK_REASONS for f in failures)
    down_since = deps.network.down_since
    change, forgive = deps.network.observe(reached=reached, failed=[f.feed.id for f in failures], now=now)
    if change == "up" and down_since is not None:
        log.warning("network reachable again after %d minutes: feed failures count again",
                    (now - down_since).total_seconds() // 60,
                    extra={"event": "network_up", "down_seconds": int((now - down_since).total_seconds())})
    elif change == "down":
        log.warning("%d feeds failed with network errors and no fetch reached a server (is our network "
                    "down?): failures are not counted against the feeds until a fetch succeeds again; "
                    "retrying at their normal interval", len(failures) + sum(forgive.values()),
                    extra={"event": "network_down", "feeds": len(failures) + sum(forgive.values())})
        deps.metrics.inc("monitor_network_outages_total")
        if forgive:   # the outage's first failures, counted before it was recognised
            try:
                await deps.call_store(deps.store.forgive_failures, forgive)
            except MonitorError:
                log.exception("could not forgive %d feed failures", len(forgive))
    if not failures:
        return
    outage = deps.network.down_since is not None
    if outage and change != "down":
        log.debug("%d feeds failed during the network outage", len(failures))
    rows = []
    for f in failures:
        interval = _interval(deps, f.feed)
        failures_n = f.feed.consecutive_failures + (0 if outage else 1)
        delay = interval if outage else max(
            interval, backoff_delay(failures_n, interval, max(interval, MAX_FEED_BACKOFF), deps.rng))
        if f.retry_after:
            delay = max(delay, timedelta(seconds=min(f.retry_after, MAX_FEED_BACKOFF.total_seconds())))
        status = getattr(f.error, "status", None)
        if not outage:   # one line per failed poll; the FEED_ERROR_AFTER-th in a row is an ERROR
            level = logging.ERROR if failures_n == FEED_ERROR_AFTER else logging.WARNING
            log.log(level, "feed failed id=%s feed=%s reason=%s%s failures=%d retry_in=%ds%s", f.feed.id,
                    redact_url(f.feed.url), f.reason, f" status={status}" if status else "", failures_n,
                    delay.total_seconds(), ": failing for a while, check the feed" if level == logging.ERROR else "",
                    extra={"feed_id": f.feed.id, "feed": redact_url(f.feed.url), "reason": f.reason,
                           "status": status, "failures": failures_n,
                           "retry_in_seconds": int(delay.total_seconds())})
        deps.metrics.inc("monitor_feed_errors_total", feed=redact_url(f.feed.url), reason=f.reason)
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
