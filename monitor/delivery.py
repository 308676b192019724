"""Delivery orchestration: claim what a sink has not received -> render -> send -> mark.

The outbox guarantees (see ``docs/delivery.md``):

- a run (one digest for one sink) keeps its id until the sink accepted it, so every re-send
  carries the same identity (webhook-id, e-mail Message-ID, the id in Slack's fallback text);
- its messages ("parts") are rendered once and stored *before* the first attempt; each part is
  marked sent right after the sink's 2xx, so a retry sends only the parts not yet accepted, byte
  for byte. The one window for a duplicate is a crash between a part's 2xx and that mark: the
  part is re-sent after restart (lease expiry) with the same identity;
- a transient failure backs the run off exponentially with jitter (at least ``Retry-After``,
  capped at an hour) and pauses that sink: nothing newer goes to it before then, so order holds;
- a permanent failure (invalid payload after the text-only fallback, 404/410, SMTP 5xx, refused
  auth) fails the run for good: one ERROR line naming the sink, no retry, and one alert per dead
  sink (not per run) until it accepts something again; ``monitor sinks retry NAME`` puts the runs
  back, with their ids, once the sink is fixed;
- a run still undelivered ``delivery.undelivered_alert_minutes`` after it was built raises one
  alert: an ERROR line, the ``monitor_delivery_alerts_total`` counter and, if configured, a
  message through ``delivery.alert_sink``;
- one sink's failure never stops the others.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from monitor.digest.cap import cap_digest
from monitor.digest.urgent import is_urgent
from monitor.due import backoff_delay
from monitor.errors import DeliveryError
from monitor.pipeline import Deps
from monitor.sinks import Sink
from monitor.store import PendingRun
from monitor.types import Digest, Event, SinkOutcome

log = logging.getLogger(__name__)

DELIVERY_BACKOFF_BASE = timedelta(minutes=1)
MAX_DELIVERY_BACKOFF = timedelta(hours=2)
MAX_RETRY_AFTER = timedelta(hours=1)
RUN_LEASE = timedelta(minutes=10)


async def send_digest(deps: Deps, name: str, *, manual: bool = False,
                      retries_only: bool = False) -> list[SinkOutcome]:
    """Send what each sink of digest ``name`` has not received. Runs that failed before keep
    their id. A manual send ignores retry back-off, but not a wait the destination asked for
    (Retry-After); ``retries_only`` sends only earlier runs."""
    cfg = deps.settings.digest(name)
    outcomes = []
    for sink_name in cfg.sinks:
        sink = deps.sinks.get(sink_name)
        if isinstance(sink, DeliveryError) or sink is None:
            outcomes.append(SinkOutcome(sink=sink_name, skipped=str(sink or "not configured")))
            continue
        outcomes.extend(await _send_to_sink(deps, name, sink, manual=manual, retries_only=retries_only))
        await check_overdue(deps, sink_name)
    return outcomes


async def _send_to_sink(deps: Deps, digest_name: str, sink: Sink, *, manual: bool,
                        retries_only: bool) -> list[SinkOutcome]:
    now = deps.clock.now()
    if manual:  # skips the back-off, not a wait the destination asked for
        asked = await deps.call_store(deps.store.sink_wait_requested_until, sink.name, now)
        if asked is not None:
            return [SinkOutcome(sink=sink.name, skipped=f"nothing sent: the destination asked to wait (Retry-After); "
                                f"next attempt allowed at {asked:%Y-%m-%d %H:%M:%S} UTC")]
    else:
        paused = await deps.call_store(deps.store.sink_paused_until, sink.name, now)
        if paused is not None:  # for the retry job, nothing is due yet
            return [SinkOutcome(sink=sink.name, skipped="nothing pending" if retries_only else
                                f"waiting until {paused:%Y-%m-%d %H:%M:%S} UTC (retry back-off)")]
    runs = await deps.call_store(deps.store.claim_runs, digest_name, sink.name, now, lease=RUN_LEASE,
                                 ignore_backoff=manual, retries_only=retries_only)
    if not runs:
        held = await deps.call_store(deps.store.held_stories, digest_name, sink.name, now)
        if held is not None:  # leased by another send, or by a process that died during one
            return [SinkOutcome(sink=sink.name, skipped=f"nothing sent: {held[0]} stories are held by another "
                                f"send until {held[1]:%Y-%m-%d %H:%M:%S} UTC (its lease; if that process died, "
                                "they are sent by the first send after that)")]
        return [SinkOutcome(sink=sink.name, skipped="nothing pending")]
    outcomes = []
    for i, run in enumerate(runs):
        outcome, retry_at = await deliver_run(deps, digest_name, sink, run)
        outcomes.append(outcome)
        if retry_at is not None:  # the destination is failing: later runs wait behind this one
            await deps.call_store(deps.store.defer_runs, [r.run_id for r in runs[i + 1:]], retry_at)
            break
    return outcomes


async def deliver_run(deps: Deps, digest_name: str, sink: Sink,
                      run: PendingRun) -> tuple[SinkOutcome, datetime | None]:
    """Send the parts of a claimed run that the sink has not accepted yet, then mark it sent.
    Returns the outcome and, after a transient failure, when it will be retried."""
    now = deps.clock.now()
    stories = await deps.call_store(deps.store.load_stories, list(run.story_ids))
    parts = await deps.call_store(deps.store.run_parts, run.run_id)
    if not parts:  # first attempt: render once, store before sending (same bytes on every retry)
        coverage = await deps.call_store(deps.store.load_coverage, run.run_id)
        digest = Digest(id=run.run_id, name=digest_name, created_at=run.created_at, stories=tuple(stories),
                        notes=await _health_notes(deps, digest_name, now), coverage=tuple(coverage))
        if getattr(sink, "for_people", False):   # the unlisted stories are delivered with the run all the same
            digest = cap_digest(digest, deps.settings.digest(digest_name).max_stories)
        parts = await deps.call_store(deps.store.save_run_parts, run.run_id, sink.render(digest, now), now)
    sent = 0
    for part_no, payload, done in parts:
        if done:
            continue
        try:
            answer = await sink.send_part(payload, digest_id=run.run_id, part_no=part_no, now=deps.clock.now())
        except DeliveryError as e:
            err = e
        except Exception as e:  # noqa: BLE001 - a bug in one sink must not stop the others
            log.exception("sink failed unexpectedly sink=%s run=%s", sink.name, run.run_id)
            err = DeliveryError(sink.name, f"internal error: {e.__class__.__name__}")
        else:
            # the crash window: a death here re-sends this part (same identity) after restart
            await deps.call_store(deps.store.mark_part_sent, run.run_id, part_no, deps.clock.now())
            sent += 1
            log.debug("digest part accepted sink=%s run=%s part=%d/%d answer=%s", sink.name, run.run_id,
                      part_no + 1, len(parts), answer)
            continue
        retry_at = await _failed(deps, digest_name, sink.name, run, len(stories), err, now)
        return SinkOutcome(sink=sink.name, run_id=run.run_id, stories=len(stories), messages=sent,
                           error=err), retry_at
    await deps.call_store(deps.store.mark_run_sent, run.run_id, deps.clock.now())
    log.info("digest delivered digest=%s sink=%s run=%s stories=%d messages=%d", digest_name, sink.name,
             run.run_id, len(stories), sent, extra={"digest": digest_name, "sink": sink.name, "run": run.run_id,
                                                    "stories": len(stories), "messages": sent})
    deps.metrics.inc("monitor_deliveries_total", sink=sink.name, outcome="sent")
    if run.attempts:  # one line when a failing destination accepts again (R4), not one per attempt
        log.info("delivery recovered digest=%s sink=%s run=%s after %d failed attempt(s)", digest_name, sink.name,
                 run.run_id, run.attempts)
    return SinkOutcome(sink=sink.name, run_id=run.run_id, stories=len(stories), messages=sent), None


async def _failed(deps: Deps, digest_name: str, sink_name: str, run: PendingRun, stories: int,
                  e: DeliveryError, now: datetime) -> datetime | None:
    deps.metrics.inc("monitor_deliveries_total", sink=sink_name, outcome="failed")
    if e.permanent:
        log.error("delivery failed permanently, not retried digest=%s sink=%s run=%s stories=%d: %s",
                  digest_name, sink_name, run.run_id, stories, e)
        reported = await deps.call_store(deps.store.sink_reported_dead, sink_name)
        await deps.call_store(deps.store.mark_run_failed, run.run_id, str(e), now, None, permanent=True)
        if not reported:  # one alert per dead sink, until it accepts something again
            await _alert(deps, sink_name, run.run_id, "permanent",
                         f"digest {digest_name} (run {run.run_id}, {stories} stories) was rejected by sink "
                         f"{sink_name} and will not be retried; after fixing the sink, `monitor sinks retry "
                         f"{sink_name}` re-sends what it refused: {e}")
        return None
    delay = backoff_delay(run.attempts + 1, DELIVERY_BACKOFF_BASE, MAX_DELIVERY_BACKOFF, deps.rng)
    asked = min(timedelta(seconds=e.retry_after), MAX_RETRY_AFTER) if e.retry_after else None
    if asked:
        delay = max(delay, asked)
    log.warning("delivery failed, will retry digest=%s sink=%s run=%s stories=%d attempt=%d retry_in=%ds: %s",
                digest_name, sink_name, run.run_id, stories, run.attempts + 1, delay.total_seconds(), e,
                extra={"digest": digest_name, "sink": sink_name, "run": run.run_id, "stories": stories,
                       "attempt": run.attempts + 1, "retry_in_seconds": int(delay.total_seconds()),
                       "error": str(e)})
    await deps.call_store(deps.store.mark_run_failed, run.run_id, str(e), now, now + delay,
                          wait_until=now + asked if asked else None)
    return now + delay


async def check_overdue(deps: Deps, sink_name: str) -> None:
    """One alert per run still undelivered after ``delivery.undelivered_alert_minutes``."""
    now = deps.clock.now()
    age = timedelta(minutes=deps.settings.delivery.undelivered_alert_minutes)
    for run_id, digest, created, stories in await deps.call_store(deps.store.overdue_runs, sink_name, now - age):
        minutes = int((now - created).total_seconds() // 60)
        await _alert(deps, sink_name, run_id, "overdue",
                     f"digest {digest} (run {run_id}, {stories} stories) is still undelivered to sink "
                     f"{sink_name} after {minutes} minutes")


async def _alert(deps: Deps, sink_name: str, run_id: str, kind: str, text: str) -> None:
    if not await deps.call_store(deps.store.raise_run_alert, run_id, kind, deps.clock.now()):
        return
    log.error("delivery alert kind=%s sink=%s: %s", kind, sink_name, text)
    deps.metrics.inc("monitor_delivery_alerts_total", sink=sink_name, kind=kind)
    await notify_operator(deps, "monitor: delivery alert", text, notice_id=f"alert-{kind}-{run_id}",
                          failing_sink=sink_name)


async def notify_operator(deps: Deps, title: str, text: str, *, notice_id: str,
                          failing_sink: str | None = None) -> bool:
    """Send a notice through ``delivery.alert_sink``, if one is configured (and is not the sink
    the notice is about). Never raises for the sink's failure: it is logged. True when sent."""
    target = deps.settings.delivery.alert_sink
    if not target or target == failing_sink:
        return False
    alert_sink = deps.sinks.get(target)
    if alert_sink is None or isinstance(alert_sink, DeliveryError):
        log.error("alert sink unavailable sink=%s", target)
        return False
    try:
        await alert_sink.send_notice(title, text, notice_id=notice_id, now=deps.clock.now())
    except DeliveryError as e:
        log.error("alert could not be sent sink=%s: %s", target, e)
        return False
    return True


async def send_urgent(deps: Deps) -> list[SinkOutcome]:
    """Send at once the new stories that a digest's ``urgent`` rule selects. They use the
    digest's own delivery rows, so the scheduled digest does not send them again."""
    outcomes: list[SinkOutcome] = []
    for cfg in deps.settings.digests:
        if cfg.urgent is None:
            continue
        fresh = await deps.call_store(deps.store.fresh_pending_events, cfg.name)
        ids = [sid for sid, event in fresh if is_urgent(Event.from_dict(event), cfg.urgent)]
        if not ids:
            continue
        for sink_name in cfg.sinks:
            sink = deps.sinks.get(sink_name)
            if sink is None or isinstance(sink, DeliveryError):
                continue
            now = deps.clock.now()
            if await deps.call_store(deps.store.sink_paused_until, sink_name, now) is not None:
                continue  # stays pending: goes out with the retry or the digest
            run = await deps.call_store(deps.store.claim_story_run, cfg.name, sink_name, ids, now, lease=RUN_LEASE)
            if run is None:
                continue
            outcome, _ = await deliver_run(deps, cfg.name, sink, run)
            outcomes.append(outcome)
            log.info("urgent stories digest=%s sink=%s stories=%d sent=%s", cfg.name, sink_name,
                     len(run.story_ids), outcome.error is None)
    return outcomes


async def preview_digest(deps: Deps, name: str) -> Digest:
    """The digest ``send`` would build now (union over the digest's sinks); records nothing."""
    cfg = deps.settings.digest(name)
    ids = await deps.call_store(deps.store.pending_story_ids, name, list(cfg.sinks))
    stories = await deps.call_store(deps.store.load_stories, ids)
    # "more coverage" rides along with new stories only (see claim_runs)
    coverage = await deps.call_store(deps.store.pending_coverage, name, list(cfg.sinks)) if ids else []
    now = deps.clock.now()
    return Digest(id="preview", name=name, created_at=now, stories=tuple(stories),
                  notes=await _health_notes(deps, name, now), coverage=tuple(coverage))


async def _health_notes(deps: Deps, digest_name: str, now: datetime) -> tuple[str, ...]:
    """The source-health footer of a digest (``health_footer_hours`` > 0): failing or silent feeds."""
    hours = deps.settings.digest(digest_name).health_footer_hours
    if not hours:
        return ()
    notes = await deps.call_store(deps.store.source_health, now, failing_for=timedelta(hours=hours))
    return tuple(notes)
