"""The outbox half of the SQL store: digest occurrences, delivery runs, their leases and
outcomes, and loading stories for rendering. Mixed into :class:`monitor.store.sql.SqlStore`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, func, insert, or_, select, update

from monitor.store import PendingRun
from monitor.store import tables as t
from monitor.stories.headline import Member, best_member, fullest_event
from monitor.types import DigestStory, Event, Source

WAIT_MARK = " [asked to wait until "   # suffix of ``last_error``: the Retry-After of that failure


class OutboxMixin:
    def _tx(self) -> AbstractContextManager[Connection]:  # provided by SqlStore
        raise NotImplementedError

    def _insert(self, table: Any) -> Any:  # provided by SqlStore
        raise NotImplementedError

    def claim_occurrence(self, digest: str, scheduled_for: datetime, now: datetime) -> bool:
        """True for exactly one caller per (digest, scheduled time), across processes."""
        with self._tx() as s:
            res = s.execute(self._insert(t.digest_occurrences).values(
                digest=digest, scheduled_for=scheduled_for, claimed_at=now).on_conflict_do_nothing()
                .returning(t.digest_occurrences.c.digest))
            return res.scalar() is not None

    def claim_runs(self, digest: str, sink: str, now: datetime, *, lease: timedelta,
                   ignore_backoff: bool = False, retries_only: bool = False) -> list[PendingRun]:
        """Lease what (digest, sink) has not received: earlier unsent runs first (same id, so a
        receiver can drop a duplicate), then one new run holding every new pending story and the
        "more coverage" waiting for stories the sink has received (:meth:`load_coverage`)."""
        with self._tx() as s:
            pending = (t.deliveries.c.digest == digest) & (t.deliveries.c.sink == sink) & (t.deliveries.c.status == "pending")
            if not ignore_backoff:
                pending = pending & or_(t.deliveries.c.next_attempt_at.is_(None), t.deliveries.c.next_attempt_at <= now)
            if retries_only:
                pending = pending & t.deliveries.c.run_id.is_not(None)
            rows = s.execute(select(t.deliveries.c.id, t.deliveries.c.story_id, t.deliveries.c.run_id, t.deliveries.c.attempts)
                             .where(pending).order_by(t.deliveries.c.id)
                             .with_for_update(skip_locked=True)).all()
            if not rows:
                return []
            run_ids = {r.run_id for r in rows if r.run_id}
            busy = set(s.scalars(select(t.digest_runs.c.id).where(
                t.digest_runs.c.id.in_(run_ids), t.digest_runs.c.lease_until > now)).all()) if run_ids else set()
            runs: dict[str, list[Any]] = {}
            fresh = []
            for r in rows:
                if r.run_id is None:
                    fresh.append(r)
                elif r.run_id not in busy:
                    runs.setdefault(r.run_id, []).append(r)
            if fresh:
                run_id = uuid.uuid4().hex
                s.execute(insert(t.digest_runs).values(id=run_id, digest=digest, sink=sink, created_at=now))
                s.execute(update(t.deliveries).where(t.deliveries.c.id.in_([r.id for r in fresh])).values(run_id=run_id))
                runs[run_id] = fresh
                received = select(t.deliveries.c.story_id).where(
                    t.deliveries.c.digest == digest, t.deliveries.c.sink == sink, t.deliveries.c.status == "sent")
                cov = t.coverage.c
                s.execute(update(t.coverage).where(cov.digest == digest, cov.sink == sink, cov.run_id.is_(None),
                                                   cov.story_id.in_(received)).values(run_id=run_id))
            if not runs:
                return []
            s.execute(update(t.digest_runs).where(t.digest_runs.c.id.in_(list(runs))).values(lease_until=now + lease))
            created = dict(s.execute(select(t.digest_runs.c.id, t.digest_runs.c.created_at)
                                     .where(t.digest_runs.c.id.in_(list(runs)))).all())
            return [PendingRun(run_id=rid, digest=digest, sink=sink,
                               story_ids=tuple(r.story_id for r in rs), created_at=created[rid],
                               attempts=max(r.attempts for r in rs))
                    for rid, rs in sorted(runs.items(), key=lambda kv: created[kv[0]])]

    def pending_story_ids(self, digest: str, sinks: Sequence[str]) -> list[int]:
        with self._tx() as s:
            return list(s.scalars(select(t.deliveries.c.story_id).where(
                t.deliveries.c.digest == digest, t.deliveries.c.sink.in_(list(sinks)), t.deliveries.c.status == "pending")
                .distinct().order_by(t.deliveries.c.story_id)).all())

    def mark_run_sent(self, run_id: str, now: datetime) -> None:
        with self._tx() as s:
            s.execute(update(t.deliveries).where(t.deliveries.c.run_id == run_id, t.deliveries.c.status == "pending")
                      .values(status="sent", sent_at=now, attempts=t.deliveries.c.attempts + 1, last_error=None))
            s.execute(update(t.digest_runs).where(t.digest_runs.c.id == run_id).values(sent_at=now, lease_until=None))
            s.execute(update(t.coverage).where(t.coverage.c.run_id == run_id).values(sent_at=now))

    def mark_run_failed(self, run_id: str, error: str, now: datetime, next_attempt_at: datetime | None,
                        *, permanent: bool = False, wait_until: datetime | None = None) -> None:
        """Keep the run pending (same id) until ``next_attempt_at``; a permanent failure is
        recorded as ``failed`` and not retried. ``wait_until``: the destination asked us to wait
        until then (Retry-After); kept with the error for :meth:`sink_wait_requested_until`."""
        if wait_until is not None:
            error = error[:400] + f"{WAIT_MARK}{wait_until.isoformat()}]"
        with self._tx() as s:
            s.execute(update(t.deliveries).where(t.deliveries.c.run_id == run_id, t.deliveries.c.status == "pending")
                      .values(status="failed" if permanent else "pending", attempts=t.deliveries.c.attempts + 1,
                              last_error=error[:500], next_attempt_at=next_attempt_at))
            s.execute(update(t.digest_runs).where(t.digest_runs.c.id == run_id).values(lease_until=None))

    def release_run(self, run_id: str) -> None:
        """Give up a claimed run without sending it (it stays pending, same id)."""
        with self._tx() as s:
            s.execute(update(t.digest_runs).where(t.digest_runs.c.id == run_id).values(lease_until=None))

    # ---- per-part tracking (R6) and identity across retries (R1) --------------------------------

    def run_parts(self, run_id: str) -> list[tuple[int, str, bool]]:
        """``(part_no, payload, sent)`` of a run as first rendered, in order; ``[]`` if never rendered."""
        with self._tx() as s:
            rows = s.execute(select(t.delivery_parts.c.part_no, t.delivery_parts.c.payload, t.delivery_parts.c.sent_at)
                             .where(t.delivery_parts.c.run_id == run_id).order_by(t.delivery_parts.c.part_no)).all()
            return [(r.part_no, r.payload, r.sent_at is not None) for r in rows]

    def save_run_parts(self, run_id: str, payloads: Sequence[str], now: datetime) -> list[tuple[int, str, bool]]:
        """Store a run's rendered messages once (a concurrent or earlier save wins), then return them."""
        with self._tx() as s:
            for i, body in enumerate(payloads):
                s.execute(self._insert(t.delivery_parts).values(run_id=run_id, part_no=i, payload=body,
                                                              created_at=now).on_conflict_do_nothing())
        return self.run_parts(run_id)

    def mark_part_sent(self, run_id: str, part_no: int, now: datetime) -> None:
        with self._tx() as s:
            s.execute(update(t.delivery_parts).where(t.delivery_parts.c.run_id == run_id, t.delivery_parts.c.part_no == part_no)
                      .values(sent_at=now))

    def defer_runs(self, run_ids: Sequence[str], until: datetime) -> None:
        """Hold claimed runs back until ``until`` without counting an attempt (their sink is paused)."""
        if not run_ids:
            return
        with self._tx() as s:
            s.execute(update(t.deliveries).where(t.deliveries.c.run_id.in_(list(run_ids)), t.deliveries.c.status == "pending")
                      .values(next_attempt_at=until))
            s.execute(update(t.digest_runs).where(t.digest_runs.c.id.in_(list(run_ids))).values(lease_until=None))

    def sink_paused_until(self, sink: str, now: datetime) -> datetime | None:
        """The time a sink's back-off ends, if one of its runs (any digest) is waiting to be retried:
        a destination that failed or asked us to wait gets nothing new before then."""
        with self._tx() as s:
            d = t.deliveries.c
            until: datetime | None = s.scalar(select(func.max(d.next_attempt_at)).where(
                d.sink == sink, d.status == "pending", d.run_id.is_not(None), d.next_attempt_at > now))
            return until

    def sink_wait_requested_until(self, sink: str, now: datetime) -> datetime | None:
        """The end of the wait a sink's destination asked for (Retry-After) on a run still pending,
        if it is later than ``now``. Even a manual send respects it."""
        with self._tx() as s:
            d = t.deliveries.c
            errors = s.scalars(select(d.last_error).where(
                d.sink == sink, d.status == "pending", d.run_id.is_not(None), d.next_attempt_at > now,
                d.last_error.contains(WAIT_MARK)).distinct()).all()
        until = [datetime.fromisoformat(e.rsplit(WAIT_MARK, 1)[1].rstrip("]")) for e in errors]
        later = [u for u in until if u > now]
        return max(later) if later else None

    def held_stories(self, digest: str, sink: str, now: datetime) -> tuple[int, datetime] | None:
        """``(stories, lease end)`` of (digest, sink) runs another send has leased (possibly a
        process that died: they are claimable again when the lease ends)."""
        with self._tx() as s:
            d, r = t.deliveries.c, t.digest_runs.c
            n, until = s.execute(select(func.count(d.id), func.max(r.lease_until))
                                 .join(t.digest_runs, r.id == d.run_id)
                                 .where(d.digest == digest, d.sink == sink, d.status == "pending",
                                        r.lease_until > now)).one()
            return (int(n), until) if n else None

    def requeue_failed(self, sink: str) -> tuple[int, int]:
        """Put the deliveries ``sink`` refused for good back in the outbox, in their own runs (same
        digest ids, same stored parts; parts already accepted stay sent), due at once. Their
        "permanent" alerts are cleared, so a new refusal is reported again. Returns ``(stories, runs)``."""
        with self._tx() as s:
            d = t.deliveries.c
            failed = (d.sink == sink) & (d.status == "failed")
            runs = set(s.scalars(select(d.run_id).where(failed, d.run_id.is_not(None))).all())
            stories = s.execute(update(t.deliveries).where(failed).values(status="pending", next_attempt_at=None)).rowcount
            if runs:
                s.execute(delete(t.run_alerts).where(t.run_alerts.c.run_id.in_(list(runs)),
                                                     t.run_alerts.c.kind == "permanent"))
            return int(stories or 0), len(runs)

    def sink_reported_dead(self, sink: str) -> bool:
        """True when a run of ``sink`` was refused for good and reported, and the sink has accepted
        nothing since: a further refusal is not reported again (one alert per dead sink)."""
        with self._tx() as s:
            r, a = t.digest_runs.c, t.run_alerts.c
            last_sent = s.scalar(select(func.max(r.sent_at)).where(r.sink == sink))
            q = (select(func.count()).select_from(t.run_alerts).join(t.digest_runs, r.id == a.run_id)
                 .where(r.sink == sink, a.kind == "permanent"))
            if last_sent is not None:
                q = q.where(a.raised_at >= last_sent)
            return bool(s.scalar(q))

    def raise_run_alert(self, run_id: str, kind: str, now: datetime) -> bool:
        """True the first time only (one alert per run and kind, across processes)."""
        with self._tx() as s:
            res = s.execute(self._insert(t.run_alerts).values(run_id=run_id, kind=kind, raised_at=now)
                            .on_conflict_do_nothing().returning(t.run_alerts.c.run_id))
            return res.scalar() is not None

    def overdue_runs(self, sink: str, created_before: datetime) -> list[tuple[str, str, datetime, int]]:
        """``(run_id, digest, created_at, stories)`` of runs of ``sink`` still pending (not sent, not
        failed for good) that were created before ``created_before`` and not yet alerted on."""
        with self._tx() as s:
            alerted = select(t.run_alerts.c.run_id).where(t.run_alerts.c.kind == "overdue")
            rows = s.execute(
                select(t.digest_runs.c.id, t.digest_runs.c.digest, t.digest_runs.c.created_at, func.count(t.deliveries.c.id))
                .join(t.deliveries, t.deliveries.c.run_id == t.digest_runs.c.id)
                .where(t.digest_runs.c.sink == sink, t.digest_runs.c.sent_at.is_(None), t.deliveries.c.status == "pending",
                       t.digest_runs.c.created_at <= created_before, t.digest_runs.c.id.not_in(alerted))
                .group_by(t.digest_runs.c.id, t.digest_runs.c.digest, t.digest_runs.c.created_at)
                .order_by(t.digest_runs.c.created_at)).all()
            return [(r[0], r[1], r[2], int(r[3])) for r in rows]

    # ---- urgent alerts -----------------------------------------------------------------------

    def fresh_pending_events(self, digest: str) -> list[tuple[int, dict[str, Any] | None]]:
        """``(story_id, event)`` of stories pending for ``digest`` (any sink) not yet in a run."""
        with self._tx() as s:
            d, st = t.deliveries.c, t.stories.c
            rows = s.execute(select(st.id, st.event).join(t.deliveries, d.story_id == st.id)
                             .where(d.digest == digest, d.status == "pending", d.run_id.is_(None))
                             .distinct().order_by(st.id)).all()
            return [(r[0], r[1]) for r in rows]

    def claim_story_run(self, digest: str, sink: str, story_ids: Sequence[int], now: datetime, *,
                        lease: timedelta) -> PendingRun | None:
        """A new run for (digest, sink) holding those of ``story_ids`` it has pending and not yet in a
        run. The delivery rows are the digest's own: once sent, the scheduled digest skips them."""
        if not story_ids:
            return None
        with self._tx() as s:
            rows = s.execute(select(t.deliveries.c.id, t.deliveries.c.story_id).where(
                t.deliveries.c.digest == digest, t.deliveries.c.sink == sink, t.deliveries.c.status == "pending",
                t.deliveries.c.run_id.is_(None), t.deliveries.c.story_id.in_(list(story_ids)))
                .order_by(t.deliveries.c.id).with_for_update(skip_locked=True)).all()
            if not rows:
                return None
            run_id = uuid.uuid4().hex
            s.execute(insert(t.digest_runs).values(id=run_id, digest=digest, sink=sink, created_at=now,
                                                   lease_until=now + lease))
            s.execute(update(t.deliveries).where(t.deliveries.c.id.in_([r.id for r in rows])).values(run_id=run_id))
            return PendingRun(run_id=run_id, digest=digest, sink=sink, story_ids=tuple(r.story_id for r in rows),
                              created_at=now)

    def load_coverage(self, run_id: str) -> list[DigestStory]:
        """The "more coverage" of a run: stories its sink received earlier, each with only the
        sources that joined them since (claimed with the run, so a retry renders the same)."""
        with self._tx() as s:
            rows = s.execute(select(t.coverage.c.story_id, t.coverage.c.article_id)
                             .where(t.coverage.c.run_id == run_id)).all()
        return self._coverage(rows)

    def pending_coverage(self, digest: str, sinks: Sequence[str]) -> list[DigestStory]:
        """What the next run of ``digest`` would list as "more coverage" for any of ``sinks``."""
        with self._tx() as s:
            d, cov = t.deliveries.c, t.coverage.c
            rows = s.execute(select(cov.story_id, cov.article_id).join(
                t.deliveries, (d.story_id == cov.story_id) & (d.digest == cov.digest) & (d.sink == cov.sink))
                .where(cov.digest == digest, cov.sink.in_(list(sinks)), cov.run_id.is_(None),
                       d.status == "sent")).all()
        return self._coverage(rows)

    def _coverage(self, rows: Sequence[Any]) -> list[DigestStory]:
        only: dict[int, set[int]] = {}
        for story_id, article_id in rows:
            only.setdefault(story_id, set()).add(article_id)
        return self.load_stories(sorted(only), only=only)

    def load_stories(self, story_ids: Sequence[int], *, only: dict[int, set[int]] | None = None) -> list[DigestStory]:
        """Stories with every source (the headline's own included), oldest story first. The title,
        link and event are those of the story's best source and its most complete event, chosen
        now among all its members (:mod:`monitor.stories.headline`), so a better source that joined
        after the story was created speaks for it. With ``only`` (story id -> article ids), the
        sources listed are those articles alone (the headline is still chosen among all)."""
        if not story_ids:
            return []
        with self._tx() as s:
            stories = {st.id: st for st in s.execute(select(t.stories).where(t.stories.c.id.in_(list(story_ids))))}
            a = t.articles.c
            rows = s.execute(
                select(t.matches.c.story_id, t.matches.c.event, a.id, a.title, a.link, a.source, a.published, a.lang)
                .join(t.articles, a.id == t.matches.c.article_id)
                .where(t.matches.c.story_id.in_(list(stories)))
                .order_by(a.published.is_(None), a.published, a.id)).all()
        members: dict[int | None, list[Any]] = {}
        for row in rows:
            members.setdefault(row.story_id, []).append(row)
        out = []
        for sid in sorted(stories, key=lambda i: (stories[i].first_seen, i)):
            st = stories[sid]
            arts = members.get(sid, [])
            seen: set[int] = set()
            sources = []
            for art in arts:
                if art.id in seen or (only is not None and art.id not in only.get(sid, ())):
                    continue
                seen.add(art.id)
                sources.append(Source(title=art.title, url=art.link, source=art.source, published=art.published,
                                      lang=art.lang))
            event = Event.from_dict(st.event)
            head = None
            if arts:
                cast = [Member(title=art.title, published=art.published, order=art.id, lang=art.lang,
                               event=Event.from_dict(art.event)) for art in arts]
                best = best_member(cast, fullest_event(cast, event))
                event = fullest_event(cast, event, best)
                head = arts[best]
            out.append(DigestStory(id=sid, title=head.title if head else "", url=head.link if head else None,
                                   topic=st.topic, event=event, sources=tuple(sources), first_seen=st.first_seen))
        return out

