"""The outbox half of the SQL store: digest occurrences, delivery runs, their leases and
outcomes, and loading stories for rendering. Mixed into :class:`monitor.store.sql.SqlStore`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from monitor.store import PendingRun
from monitor.store import tables as t
from monitor.types import DigestStory, Event, Source


class OutboxMixin:
    def _tx(self) -> AbstractContextManager[Session]: ...  # provided by SqlStore

    def _insert(self, table: Any) -> Any: ...  # provided by SqlStore

    def claim_occurrence(self, digest: str, scheduled_for: datetime, now: datetime) -> bool:
        """True for exactly one caller per (digest, scheduled time), across processes."""
        with self._tx() as s:
            res = s.execute(self._insert(t.DigestOccurrence).values(
                digest=digest, scheduled_for=scheduled_for, claimed_at=now).on_conflict_do_nothing()
                .returning(t.DigestOccurrence.digest))
            return res.scalar() is not None

    def claim_runs(self, digest: str, sink: str, now: datetime, *, lease: timedelta,
                   ignore_backoff: bool = False, retries_only: bool = False) -> list[PendingRun]:
        """Lease what (digest, sink) has not received: earlier unsent runs first (same id, so a
        receiver can drop a duplicate), then one new run holding every new pending story."""
        with self._tx() as s:
            pending = (t.Delivery.digest == digest) & (t.Delivery.sink == sink) & (t.Delivery.status == "pending")
            if not ignore_backoff:
                pending = pending & or_(t.Delivery.next_attempt_at.is_(None), t.Delivery.next_attempt_at <= now)
            if retries_only:
                pending = pending & t.Delivery.run_id.is_not(None)
            rows = s.execute(select(t.Delivery.id, t.Delivery.story_id, t.Delivery.run_id, t.Delivery.attempts)
                             .where(pending).order_by(t.Delivery.id)
                             .with_for_update(skip_locked=True)).all()
            if not rows:
                return []
            run_ids = {r.run_id for r in rows if r.run_id}
            busy = set(s.scalars(select(t.DigestRun.id).where(
                t.DigestRun.id.in_(run_ids), t.DigestRun.lease_until > now)).all()) if run_ids else set()
            runs: dict[str, list[Any]] = {}
            fresh = []
            for r in rows:
                if r.run_id is None:
                    fresh.append(r)
                elif r.run_id not in busy:
                    runs.setdefault(r.run_id, []).append(r)
            if fresh:
                run_id = uuid.uuid4().hex
                s.add(t.DigestRun(id=run_id, digest=digest, sink=sink, created_at=now))
                s.flush()
                s.execute(update(t.Delivery).where(t.Delivery.id.in_([r.id for r in fresh])).values(run_id=run_id))
                runs[run_id] = fresh
            if not runs:
                return []
            s.execute(update(t.DigestRun).where(t.DigestRun.id.in_(list(runs))).values(lease_until=now + lease))
            created = dict(s.execute(select(t.DigestRun.id, t.DigestRun.created_at)
                                     .where(t.DigestRun.id.in_(list(runs)))).all())
            return [PendingRun(run_id=rid, digest=digest, sink=sink,
                               story_ids=tuple(r.story_id for r in rs), created_at=created[rid],
                               attempts=max(r.attempts for r in rs))
                    for rid, rs in sorted(runs.items(), key=lambda kv: created[kv[0]])]

    def pending_story_ids(self, digest: str, sinks: Sequence[str]) -> list[int]:
        with self._tx() as s:
            return list(s.scalars(select(t.Delivery.story_id).where(
                t.Delivery.digest == digest, t.Delivery.sink.in_(list(sinks)), t.Delivery.status == "pending")
                .distinct().order_by(t.Delivery.story_id)).all())

    def mark_run_sent(self, run_id: str, now: datetime) -> None:
        with self._tx() as s:
            s.execute(update(t.Delivery).where(t.Delivery.run_id == run_id, t.Delivery.status == "pending")
                      .values(status="sent", sent_at=now, attempts=t.Delivery.attempts + 1, last_error=None))
            s.execute(update(t.DigestRun).where(t.DigestRun.id == run_id).values(sent_at=now, lease_until=None))

    def mark_run_failed(self, run_id: str, error: str, now: datetime, next_attempt_at: datetime | None,
                        *, permanent: bool = False) -> None:
        """Keep the run pending (same id) until ``next_attempt_at``; a permanent failure is
        recorded as ``failed`` and not retried."""
        with self._tx() as s:
            s.execute(update(t.Delivery).where(t.Delivery.run_id == run_id, t.Delivery.status == "pending")
                      .values(status="failed" if permanent else "pending", attempts=t.Delivery.attempts + 1,
                              last_error=error[:500], next_attempt_at=next_attempt_at))
            s.execute(update(t.DigestRun).where(t.DigestRun.id == run_id).values(lease_until=None))

    def release_run(self, run_id: str) -> None:
        """Give up a claimed run without sending it (it stays pending, same id)."""
        with self._tx() as s:
            s.execute(update(t.DigestRun).where(t.DigestRun.id == run_id).values(lease_until=None))

    # ---- per-part tracking (R6) and identity across retries (R1) --------------------------------

    def run_parts(self, run_id: str) -> list[tuple[int, str, bool]]:
        """``(part_no, payload, sent)`` of a run as first rendered, in order; ``[]`` if never rendered."""
        with self._tx() as s:
            rows = s.execute(select(t.DeliveryPart.part_no, t.DeliveryPart.payload, t.DeliveryPart.sent_at)
                             .where(t.DeliveryPart.run_id == run_id).order_by(t.DeliveryPart.part_no)).all()
            return [(r.part_no, r.payload, r.sent_at is not None) for r in rows]

    def save_run_parts(self, run_id: str, payloads: Sequence[str], now: datetime) -> list[tuple[int, str, bool]]:
        """Store a run's rendered messages once (a concurrent or earlier save wins), then return them."""
        with self._tx() as s:
            for i, body in enumerate(payloads):
                s.execute(self._insert(t.DeliveryPart).values(run_id=run_id, part_no=i, payload=body,
                                                              created_at=now).on_conflict_do_nothing())
        return self.run_parts(run_id)

    def mark_part_sent(self, run_id: str, part_no: int, now: datetime) -> None:
        with self._tx() as s:
            s.execute(update(t.DeliveryPart).where(t.DeliveryPart.run_id == run_id, t.DeliveryPart.part_no == part_no)
                      .values(sent_at=now))

    def defer_runs(self, run_ids: Sequence[str], until: datetime) -> None:
        """Hold claimed runs back until ``until`` without counting an attempt (their sink is paused)."""
        if not run_ids:
            return
        with self._tx() as s:
            s.execute(update(t.Delivery).where(t.Delivery.run_id.in_(list(run_ids)), t.Delivery.status == "pending")
                      .values(next_attempt_at=until))
            s.execute(update(t.DigestRun).where(t.DigestRun.id.in_(list(run_ids))).values(lease_until=None))

    def sink_paused_until(self, sink: str, now: datetime) -> datetime | None:
        """The time a sink's back-off ends, if one of its runs (any digest) is waiting to be retried:
        a destination that failed or asked us to wait gets nothing new before then."""
        with self._tx() as s:
            return s.scalar(select(func.max(t.Delivery.next_attempt_at)).where(
                t.Delivery.sink == sink, t.Delivery.status == "pending", t.Delivery.run_id.is_not(None),
                t.Delivery.next_attempt_at > now))

    def raise_run_alert(self, run_id: str, kind: str, now: datetime) -> bool:
        """True the first time only (one alert per run and kind, across processes)."""
        with self._tx() as s:
            res = s.execute(self._insert(t.RunAlert).values(run_id=run_id, kind=kind, raised_at=now)
                            .on_conflict_do_nothing().returning(t.RunAlert.run_id))
            return res.scalar() is not None

    def overdue_runs(self, sink: str, created_before: datetime) -> list[tuple[str, str, datetime, int]]:
        """``(run_id, digest, created_at, stories)`` of runs of ``sink`` still pending (not sent, not
        failed for good) that were created before ``created_before`` and not yet alerted on."""
        with self._tx() as s:
            alerted = select(t.RunAlert.run_id).where(t.RunAlert.kind == "overdue")
            rows = s.execute(
                select(t.DigestRun.id, t.DigestRun.digest, t.DigestRun.created_at, func.count(t.Delivery.id))
                .join(t.Delivery, t.Delivery.run_id == t.DigestRun.id)
                .where(t.DigestRun.sink == sink, t.DigestRun.sent_at.is_(None), t.Delivery.status == "pending",
                       t.DigestRun.created_at <= created_before, t.DigestRun.id.not_in(alerted))
                .group_by(t.DigestRun.id, t.DigestRun.digest, t.DigestRun.created_at)
                .order_by(t.DigestRun.created_at)).all()
            return [(r[0], r[1], r[2], int(r[3])) for r in rows]

    # ---- urgent alerts -----------------------------------------------------------------------

    def fresh_pending_events(self, digest: str) -> list[tuple[int, dict[str, Any] | None]]:
        """``(story_id, event)`` of stories pending for ``digest`` (any sink) not yet in a run."""
        with self._tx() as s:
            rows = s.execute(select(t.Story.id, t.Story.event).join(t.Delivery, t.Delivery.story_id == t.Story.id)
                             .where(t.Delivery.digest == digest, t.Delivery.status == "pending",
                                    t.Delivery.run_id.is_(None)).distinct().order_by(t.Story.id)).all()
            return [(r[0], r[1]) for r in rows]

    def claim_story_run(self, digest: str, sink: str, story_ids: Sequence[int], now: datetime, *,
                        lease: timedelta) -> PendingRun | None:
        """A new run for (digest, sink) holding those of ``story_ids`` it has pending and not yet in a
        run. The delivery rows are the digest's own: once sent, the scheduled digest skips them."""
        if not story_ids:
            return None
        with self._tx() as s:
            rows = s.execute(select(t.Delivery.id, t.Delivery.story_id).where(
                t.Delivery.digest == digest, t.Delivery.sink == sink, t.Delivery.status == "pending",
                t.Delivery.run_id.is_(None), t.Delivery.story_id.in_(list(story_ids)))
                .order_by(t.Delivery.id).with_for_update(skip_locked=True)).all()
            if not rows:
                return None
            run_id = uuid.uuid4().hex
            s.add(t.DigestRun(id=run_id, digest=digest, sink=sink, created_at=now, lease_until=now + lease))
            s.flush()
            s.execute(update(t.Delivery).where(t.Delivery.id.in_([r.id for r in rows])).values(run_id=run_id))
            return PendingRun(run_id=run_id, digest=digest, sink=sink, story_ids=tuple(r.story_id for r in rows),
                              created_at=now)

    def load_stories(self, story_ids: Sequence[int]) -> list[DigestStory]:
        """Stories with every source (the headline's own included), oldest story first."""
        if not story_ids:
            return []
        with self._tx() as s:
            stories = {st.id: st for st in s.scalars(select(t.Story).where(t.Story.id.in_(list(story_ids))))}
            rows = s.execute(
                select(t.MatchRow.story_id, t.MatchRow.score, t.Article)
                .join(t.Article, t.Article.id == t.MatchRow.article_id)
                .where(t.MatchRow.story_id.in_(list(stories)))
                .order_by(t.Article.published.is_(None), t.Article.published, t.Article.id)).all()
        members: dict[int | None, list[tuple[float, t.Article]]] = {}
        for story_id, score, article in rows:
            members.setdefault(story_id, []).append((score, article))
        out = []
        for sid in sorted(stories, key=lambda i: (stories[i].first_seen, i)):
            st = stories[sid]
            arts = members.get(sid, [])
            seen: set[int] = set()
            sources = []
            for _, a in arts:
                if a.id in seen:
                    continue
                seen.add(a.id)
                sources.append(Source(title=a.title, url=a.link, source=a.source, published=a.published,
                                      lang=a.lang))
            head = next((a for _, a in arts if a.id == st.headline_article_id), arts[0][1] if arts else None)
            out.append(DigestStory(id=sid, title=head.title if head else "", url=head.link if head else None,
                                   topic=st.topic, event=Event.from_dict(st.event), sources=tuple(sources),
                                   first_seen=st.first_seen))
        return out

