"""The daemon: APScheduler ticks, the monitor does the work. No business logic here.

- a poll job every ``polling.tick_seconds`` (the store decides which feeds are due);
- one cron job per digest in its time zone; each scheduled time is claimed in the database
  (exactly one send per occurrence, across processes); a time missed while the daemon was
  down is sent at start-up within the digest's grace;
- a retry job that re-sends failed deliveries when their back-off expires.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from monitor.app import Monitor
from monitor.delivery import notify_operator
from monitor.due import cron_trigger, last_missed_fire
from monitor.errors import DeliveryError, MonitorError
from monitor.normalize import redact_url
from monitor.pipeline import series

log = logging.getLogger(__name__)
STOP_TIMEOUT = 8.0
NEVER = datetime(1970, 1, 1, tzinfo=UTC)   # the dead-man episode of a database with no successful poll yet
# an operator notice the alert sink failed is tried again at the next health check, then after
# waits doubling from NOTICE_RETRY_FIRST up to NOTICE_RETRY_MAX (one ERROR line per failed attempt)
NOTICE_RETRY_FIRST = timedelta(minutes=2)
NOTICE_RETRY_MAX = timedelta(minutes=30)


@dataclass
class _Notice:
    """An operator notice this worker has still to send (its alert sink failed so far)."""

    kind: str
    episode: datetime
    title: str
    text: str
    failures: int = 0
    next_at: datetime = NEVER


class Daemon:
    def __init__(self, monitor: Monitor) -> None:
        self.monitor = monitor
        self.settings = monitor.settings
        self.stop_event = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._last_gauges: dict[str, float] = {}
        self._dead = False
        self._dead_episode: datetime | None = None   # last success before the dead-man alert
        self._notice: _Notice | None = None           # a notice to send, retried while its sink fails
        self._round_started: datetime | None = None   # while a poll round runs
        self._skipped_ticks = 0
        self._started_at = monitor.deps.clock.now()
        monitor.deps.metrics.declare(self.settings)   # every known counter from the first scrape

    async def poll_job(self) -> None:
        """One round; a tick that comes while a round runs (a long round, or the start-up poll) is
        skipped here, at debug level, and counted in the round's last log line, instead of
        APScheduler's WARNING for each tick ("maximum number of running instances reached")."""
        if self._round_started is not None:
            self._skipped_ticks += 1
            log.debug("poll tick skipped: the round started at %s is still running", self._round_started.isoformat())
            return
        self._round_started, self._skipped_ticks = self.monitor.deps.clock.now(), 0
        try:
            await self._poll_round()
        finally:
            if self._skipped_ticks:
                log.info("poll round took %ds; %d ticks skipped while it ran", (
                    self.monitor.deps.clock.now() - self._round_started).total_seconds(), self._skipped_ticks)
            self._round_started = None

    async def _poll_round(self) -> None:
        try:
            report = await self.monitor.poll()
        except MonitorError as e:
            log.error("poll could not run: %s", e)
            return
        if report.feeds:
            log.info("%s", report.summary(), extra={
                "event": "poll", "feeds": len(report.feeds), "new": sum(f.new_articles for f in report.feeds),
                "matches": sum(f.new_matches for f in report.feeds),
                "stories": sum(f.new_stories for f in report.feeds),
                "not_modified": sum(1 for f in report.feeds if f.not_modified), "failed": len(report.failed),
                "seconds": round((report.finished - report.started).total_seconds(), 3)})
        await self._check_health()

    async def _check_health(self) -> None:
        """Refresh the gauges and raise the dead-man alert once when no poll has succeeded for
        ``polling.dead_man_hours`` (our network, DNS or every source is down)."""
        deps = self.monitor.deps
        now = deps.clock.now()
        try:
            stats = await deps.call_store(deps.store.stats)
            failing = await deps.call_store(deps.store.failing_feeds)
        except MonitorError as e:
            log.error("could not read the database for health: %s", e)
            return
        since = stats.last_success or self._started_at
        silent = (now - since).total_seconds() if since else 0.0
        self._last_gauges = {
            "monitor_feeds": stats.feeds, "monitor_feeds_failing": stats.failing_feeds,
            "monitor_articles": stats.articles, "monitor_stories": stats.stories,
            "monitor_pending_deliveries": stats.pending,
            "monitor_oldest_pending_delivery_age_seconds":
                (now - stats.oldest_pending).total_seconds() if stats.oldest_pending else 0.0,
            "monitor_seconds_since_successful_poll": silent,
        }
        for url, count, error_since in failing:   # per feed, by redacted URL (never a secret in a label)
            feed = redact_url(url)
            self._last_gauges[series("monitor_feed_consecutive_failures", feed=feed)] = count
            self._last_gauges[series("monitor_feed_failing_since_seconds", feed=feed)] = max(
                0.0, (now - error_since).total_seconds())
        dead = stats.feeds > 0 and silent > self.settings.polling.dead_man_hours * 3600
        if dead and not self._dead:
            text = f"no feed has been polled successfully for {silent / 3600:.1f} hours"
            log.error("dead-man alert: %s", text, extra={"event": "dead_man", "silent_seconds": int(silent)})
            deps.metrics.inc("monitor_dead_man_alerts_total")
            # the episode is named by the last success in the database, the same for every worker
            self._dead_episode = stats.last_success or NEVER
            await self._notify("dead-man", "monitor: dead-man alert", text + (
                f" (last success {stats.last_success:%Y-%m-%d %H:%M} UTC)" if stats.last_success else ""))
        elif self._dead and not dead:
            log.warning("polling recovered after the dead-man alert")
            await self._notify("dead-man-recovered", "monitor: polling recovered",
                               f"feeds are being polled successfully again (last success {since:%Y-%m-%d %H:%M} UTC)")
        elif self._notice is not None:
            await self._send_notice()
        self._dead = dead
        self._last_gauges["monitor_dead_man"] = 1.0 if dead else 0.0

    async def _notify(self, kind: str, title: str, text: str) -> None:
        """Send an operator notice through ``delivery.alert_sink``, once per dead-man episode across
        all workers. It replaces a notice of this worker still unsent (a recovery makes an unsent
        dead-man alert moot)."""
        episode = self._dead_episode
        if not self.settings.delivery.alert_sink or episode is None:
            return
        self._notice = _Notice(kind, episode, title, text)
        await self._send_notice()

    async def _send_notice(self) -> None:
        """Claim the pending notice in the database, then send it. When the alert sink fails, the
        claim is released (compare-and-set on its time) and the notice is tried again at the next
        health check, then after doubling waits: it is claimed again each time, so one worker sends
        it, once, whichever gets it. A notice another worker has claimed is left to that worker."""
        deps, notice = self.monitor.deps, self._notice
        now = deps.clock.now()
        if notice is None or now < notice.next_at:
            return
        target = self.settings.delivery.alert_sink
        if isinstance(deps.sinks.get(target or ""), DeliveryError | None):
            log.error("alert sink unavailable sink=%s: the %s notice is not sent", target, notice.kind)
            self._notice = None   # sinks do not change while the process runs
            return
        try:
            if not await deps.call_store(deps.store.claim_notice, notice.kind, notice.episode, now):
                self._notice = None   # another worker sends it, or has sent it
                return
            if await notify_operator(deps, notice.title, notice.text,
                                     notice_id=f"{notice.kind}-{notice.episode:%Y%m%dT%H%M%S}"):
                self._notice = None
                return
            await deps.call_store(deps.store.release_notice, notice.kind, notice.episode, now)
        except MonitorError as e:
            log.error("could not claim or release the %s notice: %s", notice.kind, e)
        notice.failures += 1
        wait = timedelta(0) if notice.failures == 1 else min(
            NOTICE_RETRY_FIRST * 2 ** (notice.failures - 2), NOTICE_RETRY_MAX)
        notice.next_at = now + wait
        log.info("the %s notice will be tried again %s", notice.kind,
                 "at the next health check" if not wait else f"in {wait.total_seconds() / 60:.0f} minutes")

    async def digest_job(self, name: str, catch_up: bool = False) -> None:
        """Send digest ``name`` for its latest scheduled time, if no process has yet. Triggered by
        cron (the time just passed; APScheduler may run it up to ``grace_minutes`` late) or, with
        ``catch_up``, at start for a time missed while the daemon was down."""
        cfg = self.settings.digest(name)
        now = self.monitor.deps.clock.now()
        window = timedelta(minutes=cfg.grace_minutes if catch_up else max(cfg.grace_minutes, 1))
        when = last_missed_fire(cfg.schedule, cfg.timezone, now, window) if window > timedelta(0) else None
        if when is None:
            return
        try:
            claimed = await self.monitor.deps.call_store(self.monitor.deps.store.claim_occurrence, name, when, now)
            if not claimed:
                log.debug("digest occurrence already handled digest=%s at=%s", name, when.isoformat())
                return
            outcomes = await self.monitor.send_digest(name)
        except MonitorError as e:
            log.error("digest could not run digest=%s: %s", name, e)
            return
        for o in outcomes:
            if o.skipped and o.skipped != "nothing pending":
                log.warning("digest not sent digest=%s sink=%s: %s", name, o.sink, o.skipped)
        if all(o.skipped == "nothing pending" for o in outcomes):
            log.info("digest has nothing new digest=%s", name)

    async def startup_job(self) -> None:
        await self.poll_job()
        for d in self.settings.digests:
            if self.stop_event.is_set():
                return
            await self.digest_job(d.name, catch_up=True)

    async def retry_job(self) -> None:
        for d in self.settings.digests:
            try:
                await self.monitor.send_digest(d.name, retries_only=True)
            except MonitorError as e:
                log.error("retry could not run digest=%s: %s", d.name, e)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def run(self) -> None:
        """Run until SIGTERM/SIGINT (or ``stop_event``), then stop within a few seconds."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.add_signal_handler(sig, self.stop_event.set)
            except (NotImplementedError, RuntimeError):
                pass
        sched = AsyncIOScheduler(timezone="UTC")
        now = self.monitor.deps.clock.now()
        tick = self.settings.polling.tick_seconds
        common = {"max_instances": 1, "coalesce": True}
        # max_instances=2: a tick during a long round reaches poll_job, which skips it quietly
        sched.add_job(self._wrap(self.poll_job), IntervalTrigger(seconds=tick), id="poll",
                      next_run_time=now + timedelta(seconds=tick), misfire_grace_time=int(tick),
                      **{**common, "max_instances": 2})
        sched.add_job(self._wrap(self.retry_job), IntervalTrigger(seconds=60), id="retry",
                      misfire_grace_time=60, **common)
        for d in self.settings.digests:
            grace = int(max(d.grace_minutes, 1) * 60)
            sched.add_job(self._wrap(self.digest_job), cron_trigger(d.schedule, d.timezone), args=[d.name],
                          id=f"digest:{d.name}", misfire_grace_time=grace, **common)
        # at start: one poll, then any digest time missed while we were down (within its grace);
        # an occurrence is claimed in the database like any other, so it is never sent twice
        sched.add_job(self._wrap(self.startup_job), id="startup", next_run_time=now)
        self.monitor.warn_unavailable_sinks()
        server = await self._start_server()
        sched.start()
        log.info("daemon started feeds=%d digests=%s tick=%ss", len(self.settings.feeds),
                 ",".join(d.name for d in self.settings.digests) or "none", tick)
        try:
            await self.stop_event.wait()
        finally:
            log.info("stopping")
            sched.shutdown(wait=False)
            await self._drain()
            if server is not None:
                server.close()
            for sig in (signal.SIGTERM, signal.SIGINT):
                try:
                    loop.remove_signal_handler(sig)
                except (NotImplementedError, RuntimeError):
                    pass
            log.info("stopped")

    async def _start_server(self) -> asyncio.AbstractServer | None:
        listen = self.settings.server.listen
        if not listen:
            return None
        from monitor.server import serve

        try:
            return await serve(listen, self.monitor.deps.metrics, self._gauges, self._health)
        except OSError as e:
            log.error("health server could not listen on %s: %s", listen, e.strerror or e)
            return None

    def _gauges(self) -> dict[str, float]:
        return dict(self._last_gauges)

    def _health(self) -> dict[str, Any]:
        m = self.monitor.deps.metrics
        now = self.monitor.deps.clock.now()
        stale = m.last_poll_at is None or (now - m.last_poll_at).total_seconds() > max(
            3 * self.settings.polling.tick_seconds, 300)
        status = "starting" if m.last_poll_at is None else ("stale" if stale or self._dead else "ok")
        return {"status": status, "dead_man": self._dead,
                "last_poll_at": m.last_poll_at.isoformat() if m.last_poll_at else None,
                "last_successful_poll_at": m.last_successful_poll_at.isoformat()
                if m.last_successful_poll_at else None}

    def _wrap(self, fn: Any) -> Any:
        async def job(*args: Any) -> None:
            if self.stop_event.is_set():
                return
            task = asyncio.current_task()
            if task is not None:
                self._tasks.add(task)
            try:
                await fn(*args)
            except asyncio.CancelledError:
                log.info("job cancelled at shutdown job=%s", fn.__name__)
            except Exception:  # noqa: BLE001 - a bug in one job must not kill the daemon
                log.exception("job failed job=%s", fn.__name__)
            finally:
                if task is not None:
                    self._tasks.discard(task)
        job.__name__ = fn.__name__
        return job

    async def _drain(self) -> None:
        tasks = [t for t in self._tasks if not t.done() and t is not asyncio.current_task()]
        if not tasks:
            return
        done, pending = await asyncio.wait(tasks, timeout=STOP_TIMEOUT / 2)
        for t in pending:
            t.cancel()
        if pending:
            await asyncio.wait(pending, timeout=STOP_TIMEOUT / 2)
