"""The composition root: the only place that builds concrete parts (HTTP clients, the store,
the parse pool, sinks). Tests hand in their own through the same keywords."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import random
import time
from collections.abc import Mapping
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from monitor.clock import Clock, SystemClock
from monitor.config import Settings
from monitor.delivery import preview_digest, send_digest, send_urgent
from monitor.errors import DeliveryError, ParseError
from monitor.fetch import Fetcher, FetchPolicy, make_transport, user_agent
from monitor.normalize import redact_url
from monitor.parse import FAST_MAX_BYTES
from monitor.pipeline import Deps, Metrics, poll_once
from monitor.sandbox import PARSE_MEMORY_BUDGET, init_parse_worker
from monitor.sinks import Sink, build_sink, http_client
from monitor.store import open_store
from monitor.types import Digest, RunReport, SinkOutcome
from monitor.worker import ProcessedFeed, init_worker, process_feed, process_feed_fast, use_topics

log = logging.getLogger(__name__)
POOL_IDLE_SECONDS = 300.0   # worker processes idle this long are stopped after a poll


@dataclass
class Monitor:
    """A wired monitor. Use as ``async with``; ``close()`` releases clients, pools and the store."""

    settings: Settings
    deps: Deps
    _closers: list[Any] = field(default_factory=list)
    _warned: set[str] = field(default_factory=set)
    _synced: bool = False
    _after_poll: Any = None

    async def poll(self, *, all_feeds: bool = False) -> RunReport:
        self.warn_unavailable_sinks()
        if not self._synced:  # config feeds -> database, once per loaded config
            await self.deps.call_store(self.deps.store.sync_config_feeds, self.settings.feeds, self.deps.clock.now())
            self._synced = True
        report = await poll_once(self.deps, all_feeds=all_feeds)
        if self._after_poll is not None:
            await self._after_poll()
        if any(d.urgent for d in self.settings.digests):  # urgent stories go out right after the poll
            await send_urgent(self.deps)
        return report

    async def send_digest(self, name: str, *, manual: bool = False, retries_only: bool = False) -> list[SinkOutcome]:
        return await send_digest(self.deps, name, manual=manual, retries_only=retries_only)

    async def preview(self, name: str) -> Digest:
        return await preview_digest(self.deps, name)

    def warn_unavailable_sinks(self) -> None:
        """Say once per sink (and once overall) when digests have nowhere to go."""
        used = {s for d in self.settings.digests for s in d.sinks}
        dead = {n: s for n, s in self.deps.sinks.items() if isinstance(s, DeliveryError) and n in used}
        for name, err in dead.items():
            if name not in self._warned:
                self._warned.add(name)
                log.warning("sink unavailable, its deliveries stay pending: %s", err)
        if used and len(dead) == len(used) and "*" not in self._warned:
            self._warned.add("*")
            log.warning("digests have nowhere to go: no sink is usable (set the environment variables "
                        "named above); articles are still polled, matched and stored")
        if not self.settings.digests and "*" not in self._warned:
            self._warned.add("*")
            log.warning("no digests configured: articles are polled, matched and stored, nothing is sent")

    async def close(self) -> None:
        for closer in reversed(self._closers):
            try:
                result = closer()
                if asyncio.iscoroutine(result):
                    await result
            except Exception:  # noqa: BLE001 - close everything we can
                log.debug("error while closing", exc_info=True)
        self._closers.clear()

    async def __aenter__(self) -> Monitor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def _pool(workers: int, raw_topics: tuple[dict[str, Any], ...]) -> Executor:
    """The parse pool: ``workers`` forkserver processes (a thread when 0), each compiling the
    topics once. Processes cap their address space (:mod:`monitor.sandbox`)."""
    if workers <= 0:
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="parse", initializer=init_worker,
                                  initargs=(raw_topics,))
    ctx = multiprocessing.get_context("forkserver")
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=init_parse_worker,
                               initargs=(raw_topics, PARSE_MEMORY_BUDGET))


class _ParsePool:
    """The parse pool with a deadline per job and recovery from a dead worker: a job that
    outlives ``timeout`` seconds is ``ParseError("timeout")`` and its worker processes are
    killed (a thread cannot be killed; its result is ignored); a worker that died
    (``BrokenProcessPool``, e.g. killed by the memory limit) is replaced. Either way only that
    feed fails, and the next job gets a fresh pool.

    The processes start on the first job, not before: when every body takes the parse fast
    path (:func:`monitor.worker.process_feed_fast`), none is ever started (about 40 MiB each,
    plus the forkserver and the resource tracker)."""

    def __init__(self, workers: int, raw_topics: tuple[dict[str, Any], ...], timeout: float) -> None:
        self.workers = workers
        self.raw_topics = raw_topics
        self.timeout = timeout
        self.executor: Executor | None = None
        self.inflight = 0
        self.last_used = 0.0

    async def run(self, url: str, fn: Any, *args: Any, timeout: float | None = None) -> Any:
        """``fn(*args)`` in a worker, within ``timeout`` seconds (default: the pool's)."""
        loop = asyncio.get_running_loop()
        if self.executor is None:
            self.executor = _pool(self.workers, self.raw_topics)
        executor = self.executor
        limit = self.timeout if timeout is None else min(timeout, self.timeout)
        self.inflight += 1
        try:
            return await asyncio.wait_for(loop.run_in_executor(executor, fn, *args), max(limit, 0.0))
        except TimeoutError:
            self._replace(executor, kill=True)
            raise ParseError(redact_url(url), "timeout",
                             f"the feed's deadline ({self.timeout:g}s) ran out while parsing") from None
        except BrokenProcessPool:
            self._replace(executor, kill=False)
            raise ParseError(redact_url(url), "parse_error", "the parse worker died (memory limit?)") from None
        except MemoryError:
            raise ParseError(redact_url(url), "parse_error", "out of memory while parsing") from None
        finally:
            self.inflight -= 1
            self.last_used = time.monotonic()

    async def release_if_idle(self, idle_seconds: float = POOL_IDLE_SECONDS) -> None:
        """Stop the worker processes when no job ran for ``idle_seconds`` (checked after each
        poll); the next job starts them again. Most feeds take the fast path in the main process,
        so a daemon usually holds no worker process at all."""
        executor = self.executor
        if executor is None or self.inflight or not isinstance(executor, ProcessPoolExecutor) or \
                time.monotonic() - self.last_used < idle_seconds:
            return
        self.executor = None
        await asyncio.get_running_loop().run_in_executor(None, lambda: executor.shutdown(wait=True))

    def _replace(self, executor: Executor, *, kill: bool) -> None:
        if executor is not self.executor or not isinstance(executor, ProcessPoolExecutor):
            return
        if kill:
            for proc in list((getattr(executor, "_processes", None) or {}).values()):
                proc.kill()
        executor.shutdown(wait=False, cancel_futures=True)
        self.executor = _pool(self.workers, self.raw_topics)

    def shutdown(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)


# glibc mallopt parameters (malloc.h)
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8


def tune_allocator() -> bool:
    """Keep a long-running process's heap from holding memory it no longer uses (glibc only; a
    variable the user set in the environment wins). Allocations of 64 KiB and more (feed bodies,
    parse buffers) get their own mappings and go back to the system when freed, instead of
    leaving holes in the heap, and threads share two malloc arenas instead of one each (glibc's
    default: 8 per core). About 1 MiB less at the peak of the 1000-feed benchmark, and no slow
    growth from fragmentation over months. True when applied."""
    import ctypes
    import ctypes.util

    if os.environ.get("MALLOC_MMAP_THRESHOLD_") or os.environ.get("MALLOC_ARENA_MAX"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):   # not glibc (musl, macOS): nothing to tune
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, 64 * 1024)) and bool(mallopt(_M_ARENA_MAX, 2))


def make_monitor(settings: Settings, *, clock: Clock | None = None,
                 transport: httpx.AsyncBaseTransport | None = None, store: Any = None,
                 sinks: Mapping[str, Sink | DeliveryError] | None = None,
                 parse_workers: int | None = None, migrate: bool = True,
                 rng: random.Random | None = None) -> Monitor:
    """Build every part of a monitor from ``settings``.

    ``transport`` is used for feeds and sinks alike (tests pass a real-server or mock
    transport); ``parse_workers=0`` parses in a thread instead of a process pool.
    """
    tune_allocator()   # before the store, fetch and parse threads start
    closers: list[Any] = []
    pol = settings.polling
    policy = FetchPolicy(timeout_seconds=pol.timeout_seconds, max_bytes=int(pol.max_body_mb * 1024 * 1024),
                         max_redirects=pol.max_redirects, user_agent=user_agent(pol.user_agent_contact),
                         connect_timeout=min(10.0, pol.timeout_seconds),
                         read_timeout=min(15.0, pol.timeout_seconds))
    feed_transport = transport or make_transport(concurrency=pol.concurrency)
    closers.append(feed_transport.aclose)
    if store is None:
        store = open_store(settings.database_url)
        closers.append(store.close)
    if migrate:
        store.migrate()
    if sinks is None:
        sink_client = http_client(transport, user_agent=policy.user_agent)
        closers.append(sink_client.aclose)
        built: dict[str, Sink | DeliveryError] = {}
        for name, cfg in settings.sinks.items():
            try:
                client = sink_client
                ca_file = getattr(cfg, "ca_file", "") if cfg.type != "email" else ""   # e-mail: its own TLS
                if ca_file:   # an HTTP sink with a private CA: a client of its own
                    client = http_client(transport, user_agent=policy.user_agent, ca_file=ca_file, name=name)
                    closers.append(client.aclose)
                built[name] = build_sink(name, cfg, client)
            except DeliveryError as e:
                built[name] = e
        sinks = built
    # the main process parses too (fast path), so the pool needs one core less than the machine has
    workers = parse_workers if parse_workers is not None else max(1, min(2, (os.cpu_count() or 1) - 1))
    pool = _ParsePool(workers, settings.raw_topics, timeout=pol.timeout_seconds)
    closers.append(pool.shutdown)
    max_bytes = policy.max_bytes
    max_age_days = pol.max_age_days

    # the parse fast path runs in the main process, on one thread off the event loop; whatever
    # it declines (other formats and encodings, big or odd bodies) goes to the sandboxed pool
    fast_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="parse-fast", initializer=use_topics,
                                   initargs=(settings.topics,))
    closers.append(lambda: fast_pool.shutdown(wait=True))

    async def process(body: bytes, url: str, content_type: str, name: str, now: datetime,
                      known: frozenset[str] = frozenset(), timeout: float | None = None) -> ProcessedFeed:
        """Parse, match and key a body within ``timeout`` seconds (what is left of the feed's deadline)."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        if len(body) <= FAST_MAX_BYTES:
            # bounded work (small body, few tags), so a thread is safe: one that runs late finishes unseen
            try:
                fast = await asyncio.wait_for(loop.run_in_executor(
                    fast_pool, process_feed_fast, body, url, content_type, name, now, max_age_days, known),
                    timeout=None if timeout is None else max(timeout, 0.0))
            except TimeoutError:
                raise ParseError(redact_url(url), "timeout", "the feed's deadline ran out while parsing") from None
            if fast is not None:
                return fast
        left = None if timeout is None else timeout - (loop.time() - started)
        result: ProcessedFeed = await pool.run(url, process_feed, body, url, content_type, name, max_bytes, now,
                                               max_age_days, known, timeout=left)
        return result

    db_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store")
    closers.append(lambda: db_pool.shutdown(wait=True))

    async def db(fn: Any, *args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(db_pool, lambda: fn(*args, **kwargs))

    deps = Deps(settings=settings, store=store, fetcher=Fetcher(feed_transport, policy), clock=clock or SystemClock(),
                process=process, sinks=sinks, rng=rng or random.Random(), metrics=Metrics(), db=db)
    return Monitor(settings=settings, deps=deps, _closers=closers, _after_poll=pool.release_if_idle)

