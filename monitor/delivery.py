"""Delivery orchestration: claim what a sink has not received -> render -> send -> mark.

A run keeps its id until a sink accepts it, so a re-send after a failure or a crash carries the
same identity (webhook-id, e-mail Message-ID, the id in Slack's fallback text).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from monitor.due import backoff_delay
from monitor.errors import DeliveryError
from monitor.pipeline import Deps
from monitor.sinks import Sink
from monitor.types import Digest, SinkOutcome

log = logging.getLogger(__name__)

DELIVERY_BACKOFF_BASE = timedelta(minutes=1)
MAX_DELIVERY_BACKOFF = timedelta(hours=2)



async def send_digest(deps: Deps, name: str, *, manual: bool = False,
                      retries_only: bool = False) -> list[SinkOutcome]:
    """Send what each sink of digest ``name`` has not received. Runs that failed before keep
    their id. A manual send ignores retry back-off; ``retries_only`` sends only earlier runs."""
    cfg = deps.settings.digest(name)
    outcomes = []
    for sink_name in cfg.sinks:
        sink = deps.sinks.get(sink_name)
        if isinstance(sink, DeliveryError) or sink is None:
            outcomes.append(SinkOutcome(sink=sink_name, skipped=str(sink or "not configured")))
            continue
        outcomes.extend(await _send_to_sink(deps, name, sink, manual=manual, retries_only=retries_only))
    return outcomes


async def _send_to_sink(deps: Deps, digest_name: str, sink: Sink, *, manual: bool,
                        retries_only: bool) -> list[SinkOutcome]:
    now = deps.clock.now()
    runs = await deps.call_store(deps.store.claim_runs, digest_name, sink.name, now,
                                 lease=timedelta(minutes=10), ignore_backoff=manual, retries_only=retries_only)
    if not runs:
        return [SinkOutcome(sink=sink.name, skipped="nothing pending")]
    outcomes = []
    for i, run in enumerate(runs):
        stories = await deps.call_store(deps.store.load_stories, list(run.story_ids))
        digest = Digest(id=run.run_id, name=digest_name, created_at=run.created_at, stories=tuple(stories))
        try:
            messages = await sink.send(digest, now)
        except DeliveryError as e:
            delay = backoff_delay(run.attempts + 1, DELIVERY_BACKOFF_BASE, MAX_DELIVERY_BACKOFF, deps.rng)
            if e.retry_after:
                delay = max(delay, timedelta(seconds=min(e.retry_after, MAX_DELIVERY_BACKOFF.total_seconds())))
            level = logging.ERROR if e.permanent else logging.WARNING
            log.log(level, "delivery failed digest=%s sink=%s run=%s stories=%d permanent=%s retry_in=%ds: %s",
                    digest_name, sink.name, run.run_id, len(stories), e.permanent, delay.total_seconds(), e)
            deps.metrics.inc("monitor_deliveries_total", sink=sink.name, outcome="failed")
            await deps.call_store(deps.store.mark_run_failed, run.run_id, str(e), now, now + delay,
                                  permanent=e.permanent)
            outcomes.append(SinkOutcome(sink=sink.name, run_id=run.run_id, stories=len(stories), error=e))
            for later in runs[i + 1:]:  # keep order: later runs wait for this one
                await deps.call_store(deps.store.release_run, later.run_id)
            break
        await deps.call_store(deps.store.mark_run_sent, run.run_id, deps.clock.now())
        log.info("digest delivered digest=%s sink=%s run=%s stories=%d messages=%d", digest_name, sink.name,
                 run.run_id, len(stories), messages)
        deps.metrics.inc("monitor_deliveries_total", sink=sink.name, outcome="sent")
        outcomes.append(SinkOutcome(sink=sink.name, run_id=run.run_id, stories=len(stories), messages=messages))
    return outcomes


async def preview_digest(deps: Deps, name: str) -> Digest:
    """The digest ``send`` would build now (union over the digest's sinks); records nothing."""
    cfg = deps.settings.digest(name)
    ids = await deps.call_store(deps.store.pending_story_ids, name, list(cfg.sinks))
    stories = await deps.call_store(deps.store.load_stories, ids)
    return Digest(id="preview", name=name, created_at=deps.clock.now(), stories=tuple(stories))
