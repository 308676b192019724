"""The SQL store (SQLite and PostgreSQL through SQLAlchemy 2)."""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, case, create_engine, delete, event, func, inspect, or_, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from monitor.errors import StoreError
from monitor.store import (
    FeedInfo,
    FeedState,
    FetchMeta,
    NewItem,
    RecordResult,
    Routes,
    Scheduler,
    StoreStats,
    StoryIndexFactory,
    StoryIndexLike,
)
from monitor.store import tables as t
from monitor.store.outbox import OutboxMixin
from monitor.types import Article as ArticleValue

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
HEAD_REVISION = "0005"   # the newest file in migrations/versions (a test checks it against Alembic's head)
SQLITE_CACHE_KIB = 512    # page cache per SQLite connection (SQLite's default is 2000)
SQLITE_STATEMENT_CACHE = 32   # prepared statements kept per SQLite connection (pysqlite's default is 128)
_MIGRATION_LOCK = 0x6D6F6E69  # "moni": PostgreSQL advisory lock key for schema upgrades
# built once: a changed feed asks for its stored entry keys on every poll
_KNOWN_KEYS = (select(t.articles.c.entry_key).where(t.articles.c.feed_id == bindparam("feed_id"))
               .order_by(t.articles.c.id.desc()).limit(bindparam("limit")))


def _redact_db_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - any parse failure: show nothing
        return "<database url>"


class SqlStore(OutboxMixin):
    """:class:`monitor.store` contract on SQLAlchemy. Write transactions are short and never
    span network I/O."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.safe_url = _redact_db_url(url)
        try:
            self.engine = _make_engine(url)
        except (SQLAlchemyError, ImportError, ValueError) as e:
            raise StoreError(f"cannot open database {self.safe_url}: {e.__class__.__name__}") from e
        self.dialect = self.engine.dialect.name

    # ---- plumbing ---------------------------------------------------------------------------

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        """One transaction on a connection (Core statements only: no ORM session, no unit of
        work); database errors become :class:`StoreError` with the URL's password hidden."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except SQLAlchemyError as e:
            raise StoreError(f"database error ({self.safe_url}): {_short(e)}") from e

    def _insert(self, table: Any) -> Any:
        """The dialect's INSERT (for ON CONFLICT); only the dialect in use is imported."""
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            return pg_insert(table)
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table)

    def close(self) -> None:
        self.engine.dispose()

    def migrate(self) -> None:
        """Bring the schema to the newest revision. Safe to call from several processes at once.

        A database already at :data:`HEAD_REVISION` is left alone, and a new, empty one gets the
        tables straight from `tables.metadata` and is stamped (Alembic's recipe for new databases:
        ``create_all``, then stamp head), so a start normally never imports Alembic (~7 MiB
        resident for the daemon's lifetime); any other database runs the Alembic migrations.
        tests/test_store.py checks that the tables and the migrations give the same schema."""
        try:
            with self.engine.begin() as conn:
                if self.dialect == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
                names = set(inspect(conn).get_table_names())
                if "alembic_version" in names:
                    if conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD_REVISION:
                        return
                elif not names & set(t.metadata.tables):
                    t.metadata.create_all(conn)
                    conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
                                      "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"))
                    conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": HEAD_REVISION})
                    return
                self._alembic_upgrade(conn)
        except SQLAlchemyError as e:
            raise StoreError(f"cannot migrate database {self.safe_url}: {_short(e)}") from e

    def _alembic_upgrade(self, conn: Connection) -> None:
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")

    def current_revision(self) -> str | None:
        try:
            with self.engine.connect() as conn:
                return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except SQLAlchemyError:
            return None

    # ---- feeds ------------------------------------------------------------------------------

    def sync_config_feeds(self, feeds: Sequence[Any], now: datetime) -> None:
        """Upsert the config's feeds (enabled, from_config) and disable config feeds that left it."""
        urls = [f.url for f in feeds]
        with self._tx() as s:
            for f in feeds:
                stmt = self._insert(t.feeds).values(
                    url=f.url, name=f.name, title="", enabled=f.enabled, from_config=True,
                    interval_minutes=f.interval_minutes, consecutive_failures=0, created_at=now,
                    next_poll_at=None)
                stmt = stmt.on_conflict_do_update(
                    index_elements=[t.feeds.c.url],
                    set_={"name": f.name, "enabled": f.enabled, "from_config": True,
                          "interval_minutes": f.interval_minutes})
                s.execute(stmt)
            gone = update(t.feeds).where(t.feeds.c.from_config.is_(True)).values(enabled=False)
            if urls:
                gone = gone.where(t.feeds.c.url.not_in(urls))
            s.execute(gone)

    def add_feed(self, url: str, name: str, now: datetime, interval_minutes: float | None = None) -> bool:
        with self._tx() as s:
            new_id = s.execute(self._insert(t.feeds).values(
                url=url, name=name, title="", enabled=True, from_config=False,
                interval_minutes=interval_minutes, consecutive_failures=0, created_at=now
            ).on_conflict_do_nothing().returning(t.feeds.c.id)).scalar()
            if new_id is None:
                s.execute(update(t.feeds).where(t.feeds.c.url == url).values(enabled=True))
            return new_id is not None

    def remove_feed(self, url: str) -> bool:
        """Disable a feed; its history is kept."""
        with self._tx() as s:
            changed = s.scalars(update(t.feeds).where(t.feeds.c.url == url, t.feeds.c.enabled.is_(True))
                                .values(enabled=False).returning(t.feeds.c.id)).all()
            return bool(changed)

    def list_feeds(self) -> list[FeedInfo]:
        with self._tx() as s:
            feed_id = t.articles.c.feed_id
            counts: dict[int, int] = dict(s.execute(select(feed_id, func.count()).group_by(feed_id)).all())
            rows = s.execute(select(t.feeds).order_by(t.feeds.c.id)).all()
            return [FeedInfo(
                id=f.id, url=f.url, name=f.name, title=f.title, enabled=f.enabled, from_config=f.from_config,
                interval_minutes=f.interval_minutes, next_poll_at=f.next_poll_at,
                last_success_at=f.last_success_at, last_error=f.last_error, error_since=f.error_since,
                consecutive_failures=f.consecutive_failures, articles=counts.get(f.id, 0)) for f in rows]

    def claim_due_feeds(self, now: datetime, *, lease: timedelta, all_feeds: bool = False,
                        polled_before: datetime | None = None, limit: int | None = None,
                        after_id: int | None = None) -> list[FeedState]:
        """Lease the enabled feeds that are due (``next_poll_at <= now`` or never polled), or every
        enabled feed with ``all_feeds`` (not polled since ``polled_before``; in id order, after
        ``after_id`` when given, so each batch of a round reads the primary key from where the
        last one stopped instead of scanning every feed again). A leased feed is skipped by other
        processes until the lease expires (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite
        serialises writers)."""
        f = t.feeds.c
        with self._tx() as s:
            q = select(f.id, f.url, f.name, f.interval_minutes, f.etag, f.last_modified, f.body_hash,
                       f.consecutive_failures, f.last_polled_at, f.last_new_at, f.avg_new_gap_seconds
                       ).where(f.enabled.is_(True), or_(f.lease_until.is_(None), f.lease_until <= now))
            if not all_feeds:
                q = q.where(or_(f.next_poll_at.is_(None), f.next_poll_at <= now))
            elif polled_before is not None:
                q = q.where(or_(f.last_polled_at.is_(None), f.last_polled_at < polled_before))
            if all_feeds:
                q = q.order_by(f.id)
                if after_id is not None:
                    q = q.where(f.id > after_id)
            else:
                q = q.order_by(f.next_poll_at.asc().nulls_first(), f.id)   # walks ix_feeds_due on SQLite
            if limit:
                q = q.limit(limit)
            rows = s.execute(q.with_for_update(skip_locked=True)).all()
            if rows:
                s.execute(update(t.feeds).where(f.id.in_([r.id for r in rows])).values(lease_until=now + lease))
            return [FeedState(id=r.id, url=r.url, name=r.name, interval_minutes=r.interval_minutes,
                              etag=r.etag, last_modified=r.last_modified, body_hash=r.body_hash,
                              consecutive_failures=r.consecutive_failures,
                              is_new=r.last_polled_at is None, last_new_at=r.last_new_at,
                              avg_new_gap_seconds=r.avg_new_gap_seconds) for r in rows]

    def renew_lease(self, feed_id: int, held_until: datetime, new_until: datetime) -> bool:
        """Extend this process's lease on a feed, if it still holds it (the lease ends at
        ``held_until``, as claimed): False when the lease ran out and another process claimed the
        feed since (compare-and-set: the row's lock makes a concurrent claim wait or skip it)."""
        f = t.feeds.c
        with self._tx() as s:
            res = s.execute(update(t.feeds).where(f.id == feed_id, f.lease_until == held_until)
                            .values(lease_until=new_until))
            return bool(res.rowcount == 1)

    def release_leases(self, held: Mapping[int, datetime]) -> int:
        """Give up this process's leases (``feed id -> lease end as claimed``) on feeds it will not
        poll (shutdown mid-round), so that they are due to the next claim at once. Compare-and-set:
        a feed recorded since, or leased by another process since, is untouched. Returns how many
        were released."""
        if not held:
            return 0
        f = t.feeds.c
        released = 0
        with self._tx() as s:
            for feed_id, until in held.items():
                res = s.execute(update(t.feeds).where(f.id == feed_id, f.lease_until == until).values(lease_until=None))
                released += res.rowcount
        return released

    def record_failure(self, feed_id: int, message: str, now: datetime, next_poll_at: datetime) -> None:
        self.record_failures([(feed_id, message, next_poll_at, True)], now)

    def record_failures(self, rows: Sequence[tuple[int, str, datetime, bool]], now: datetime) -> None:
        """Failed polls ``(feed id, message, next poll, counted)``: validators untouched, nothing
        deleted (G7); ``counted`` failures add to the feed's consecutive failures."""
        if not rows:
            return
        with self._tx() as s:
            for feed_id, message, next_poll_at, counted in rows:
                values: dict[str, Any] = {"last_polled_at": now, "last_error": message[:500], "lease_until": None,
                                          "next_poll_at": next_poll_at,
                                          "error_since": func.coalesce(t.feeds.c.error_since, now)}
                if counted:
                    values["consecutive_failures"] = t.feeds.c.consecutive_failures + 1
                s.execute(update(t.feeds).where(t.feeds.c.id == feed_id).values(**values))

    def forgive_failures(self, counts: Mapping[int, int]) -> None:
        """Take back failures counted against feeds (``feed id -> how many``), never below zero:
        they turned out to be our own network's outage."""
        f = t.feeds.c
        with self._tx() as s:
            for feed_id, n in counts.items():
                s.execute(update(t.feeds).where(f.id == feed_id).values(
                    consecutive_failures=case((f.consecutive_failures > n, f.consecutive_failures - n), else_=0)))

    def record_not_modified(self, feed_id: int, now: datetime, next_poll_at: datetime) -> None:
        self.record_not_modified_many([(feed_id, next_poll_at)], now)

    def record_not_modified_many(self, feeds: Sequence[tuple[int, datetime]], now: datetime) -> None:
        """Successful polls without new content (304 or an unchanged body), in one transaction."""
        if not feeds:
            return
        f = t.feeds.c
        stmt = update(t.feeds).where(f.id == bindparam("b_id")).values(
            {**_success(now, now), "next_poll_at": bindparam("b_next")})
        with self._tx() as s:
            s.execute(stmt, [{"b_id": fid, "b_next": nxt} for fid, nxt in feeds])

    def record_items(self, feed_id: int, meta: FetchMeta, items: Sequence[NewItem], now: datetime,
                     schedule: Scheduler | datetime, *, stories: StoryIndexFactory, routes: Routes,
                     story_window: timedelta) -> RecordResult:
        """Store a successful poll in one transaction: feed state, new articles, their matches,
        stories and pending deliveries. Items already stored (same feed entry, or same canonical
        URL from any feed) are ignored.

        ``story_window`` is the widest gap in published time at which two articles may still be
        one story. A new article is compared with the stories last seen within that window of its
        own published time (its first-seen time when undated), however late it arrives: a source
        polled weeks after its story was delivered still joins it instead of making a new story
        that would be delivered again (see :func:`_stories_since`)."""
        new_articles = new_matches = new_stories = 0
        since = _stories_since(items, now, story_window)
        with self._tx() as s:
            values: dict[str, Any] = {"etag": meta.etag, "last_modified": meta.last_modified,
                                      "body_hash": meta.body_hash}
            if meta.title is not None:
                values["title"] = meta.title[:500]
            batch = _MatchBatch()
            for item, article_id in self._insert_new_articles(s, feed_id, items, now):
                new_articles += 1
                for match, features in item.matches:
                    new_matches += 1
                    new_stories += self._file_match(s, article_id, item, match, features, now, stories, routes,
                                                    since, batch)
            batch.flush(self, s, now)
            next_poll_at, rhythm = schedule(new_articles) if callable(schedule) else (schedule, None)
            values.update(_success(now, next_poll_at))
            if new_articles:
                values["last_new_at"] = now
                if callable(schedule):
                    values["avg_new_gap_seconds"] = rhythm
            s.execute(update(t.feeds).where(t.feeds.c.id == feed_id).values(**values))
        return RecordResult(new_articles, new_matches, new_stories)

    def known_entry_keys(self, feed_id: int, limit: int = 2000) -> frozenset[str]:
        """The keys of the feed's most recently stored entries: what a changed feed need not read
        again. Bounded: an entry beyond the limit is read once more and then ignored by the store."""
        with self._tx() as s:
            return frozenset(s.scalars(_KNOWN_KEYS, {"feed_id": feed_id, "limit": limit}))

    def find_article(self, url: str) -> ArticleValue | None:
        """The stored article whose link (or canonical link) is ``url``, the most recent first."""
        from monitor.dedupe import url_key

        key = url_key(ArticleValue(title="", link=url))
        with self._tx() as s:
            row = s.execute(select(t.articles).where(or_(t.articles.c.link == url, t.articles.c.url_key == key))
                            .order_by(t.articles.c.id.desc()).limit(1)).first()
            if row is None:
                return None
            return ArticleValue(title=row.title, summary=row.summary, link=row.link, published=row.published,
                                source=row.source, lang=row.lang)

    def _insert_new_articles(self, s: Connection, feed_id: int, items: Sequence[NewItem],
                             now: datetime) -> list[tuple[NewItem, int]]:
        """Insert the items not stored yet; return them with their new ids. The unique constraints
        decide what is new (same feed entry, or same canonical URL from any feed: ON CONFLICT DO
        NOTHING, and RETURNING gives the rows inserted), in one statement per feed, also under
        concurrency. No SELECT first: the pipeline already left out the feed's known entries
        before parsing (``known_entry_keys``), and a lookup per feed sized by its entry count
        made one SQL text per size, which filled SQLite's statement cache."""
        if not items:
            return []
        art = t.articles.c
        fresh: dict[str, NewItem] = {}
        urls: set[str] = set()
        for item in items:   # duplicates within the feed itself: the first one wins
            if item.entry_key in fresh or (item.url_key and item.url_key in urls):
                continue
            if item.url_key:
                urls.add(item.url_key)
            fresh[item.entry_key] = item
        if not fresh:
            return []
        rows = [{"feed_id": feed_id, "entry_key": i.entry_key, "url_key": i.url_key, "title": i.article.title,
                 "summary": i.article.summary, "link": i.article.link, "source": i.article.source,
                 "lang": i.article.lang, "published": i.article.published, "first_seen": now}
                for i in fresh.values()]
        stmt = self._insert(t.articles).on_conflict_do_nothing().returning(art.id, art.entry_key)
        ids = {key: aid for aid, key in s.execute(stmt, rows)}
        return [(item, ids[key]) for key, item in fresh.items() if key in ids]

    def _file_match(self, s: Connection, article_id: int, item: NewItem, match: Any,
                    features: Mapping[str, Any], now: datetime, stories: StoryIndexFactory, routes: Routes,
                    since: datetime, batch: _MatchBatch) -> int:
        topic = match.topic
        indexes = batch.indexes
        if topic not in indexes:
            if self.dialect == "postgresql":  # serialize story assignment per topic across workers
                s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": zlib.crc32(topic.encode())})
            indexes[topic] = stories(self._recent_stories(s, topic, since))
        index = indexes[topic]
        story_id = index.assign(features)
        created = 0
        event = match.event.to_dict() if match.event else None
        if story_id is None:
            story_id = s.execute(self._insert(t.stories).values(
                topic=topic, headline_article_id=article_id, event=event, first_seen=now, last_seen=now
            ).returning(t.stories.c.id)).scalar_one()
            created = 1
        else:
            batch.joined.add(story_id)
            if item.deliverable:
                batch.late.append((story_id, article_id))
        index.add(story_id, features)
        batch.matches.append({"article_id": article_id, "topic": topic, "score": match.score,
                              "reasons": [r.to_dict() for r in match.reasons], "event": event,
                              "features": dict(features), "story_id": story_id, "created_at": now})
        if item.deliverable:
            batch.deliveries.update((story_id, digest, sink) for digest, sink in routes.get(topic, ()))
        return created

    def _recent_stories(self, s: Connection, topic: str, since: datetime) -> list[tuple[int, list[Mapping[str, Any]]]]:
        rows = s.execute(
            select(t.matches.c.story_id, t.matches.c.features)
            .join(t.stories, t.stories.c.id == t.matches.c.story_id)
            .where(t.stories.c.topic == topic, t.stories.c.last_seen >= since)
            .order_by(t.matches.c.story_id)).all()
        grouped: dict[int, list[Mapping[str, Any]]] = {}
        for story_id, features in rows:
            if story_id is not None:
                grouped.setdefault(story_id, []).append(features or {})
        return list(grouped.items())

    def stats(self) -> StoreStats:
        with self._tx() as s:
            return StoreStats(
                feeds=s.scalar(select(func.count()).select_from(t.feeds).where(t.feeds.c.enabled.is_(True))) or 0,
                articles=s.scalar(select(func.count()).select_from(t.articles)) or 0,
                stories=s.scalar(select(func.count()).select_from(t.stories)) or 0,
                pending=s.scalar(select(func.count()).select_from(t.deliveries)
                                 .where(t.deliveries.c.status == "pending")) or 0,
                failing_feeds=s.scalar(select(func.count()).select_from(t.feeds).where(
                    t.feeds.c.enabled.is_(True), t.feeds.c.consecutive_failures > 0)) or 0,
                oldest_pending=s.scalar(select(func.min(t.deliveries.c.created_at)).where(t.deliveries.c.status == "pending")),
                last_success=s.scalar(select(func.max(t.feeds.c.last_success_at)).where(t.feeds.c.enabled.is_(True))))

    def claim_notice(self, kind: str, episode: datetime, now: datetime) -> bool:
        """True for exactly one caller per (``kind``, ``episode``), across processes: an operator
        notice such as the dead-man alert is sent once per episode, whichever worker sees it first.
        Claimed like a digest occurrence, under the reserved name ``monitor:<kind>``."""
        return bool(self.claim_occurrence(f"monitor:{kind}", episode, now))

    def release_notice(self, kind: str, episode: datetime, claimed_at: datetime) -> bool:
        """Give back a notice claimed at ``claimed_at`` that could not be sent, so that the next
        :meth:`claim_notice` (this worker's or another's) gets it: a compare-and-set on the claim
        time, so a claim made since by another worker is left alone. True when released."""
        o = t.digest_occurrences.c
        with self._tx() as s:
            return bool(s.execute(delete(t.digest_occurrences).where(
                o.digest == f"monitor:{kind}", o.scheduled_for == episode, o.claimed_at == claimed_at)).rowcount)

    def failing_feeds(self) -> list[tuple[str, int, datetime]]:
        """``(url, consecutive failures, failing since)`` of the enabled feeds whose last poll
        failed, oldest failure first (failures during a network outage are not counted but the
        feed still shows, with its count unchanged)."""
        f = t.feeds.c
        with self._tx() as s:
            rows = s.execute(select(f.url, f.consecutive_failures, f.error_since)
                             .where(f.enabled.is_(True), f.error_since.is_not(None))
                             .order_by(f.error_since, f.id)).all()
            return [(r.url, r.consecutive_failures, r.error_since) for r in rows]

    def source_health(self, now: datetime, *, failing_for: timedelta, silent_factor: float = 10,
                      silent_min: timedelta = timedelta(days=7)) -> list[str]:
        """Short notes on enabled feeds failing for longer than ``failing_for`` and feeds silent far
        longer than their usual rhythm (``silent_factor`` × their mean gap, at least ``silent_min``)."""
        notes = []
        with self._tx() as s:
            for f in s.execute(select(t.feeds).where(t.feeds.c.enabled.is_(True)).order_by(t.feeds.c.id)):
                label = f.name or f.title or f.url
                if f.error_since is not None and now - f.error_since > failing_for:
                    hours = (now - f.error_since).total_seconds() / 3600
                    notes.append(f"{label}: failing for {hours:.0f} h ({(f.last_error or '')[:80]})")
                elif f.last_new_at is not None and f.avg_new_gap_seconds:
                    quiet = now - f.last_new_at
                    if quiet > max(silent_min, timedelta(seconds=f.avg_new_gap_seconds * silent_factor)):
                        notes.append(f"{label}: nothing new for {quiet.days} days (usually every "
                                      f"{f.avg_new_gap_seconds / 3600:.1f} h)")
        return notes


def _stories_since(items: Sequence[NewItem], now: datetime, gap: timedelta) -> datetime:
    """The oldest ``last_seen`` a stored story may have and still take one of ``items``.

    A story's ``last_seen`` is the time its latest member was stored, which is never earlier than
    that member's published time (the pipeline stores dates in the future as the first-seen time,
    and ``gap`` covers the slack it allows), so a story whose members were published within
    ``gap`` of a newcomer was last seen after the newcomer's published time minus ``gap``. Only
    deliverable items set the bound: an item too old to be delivered is clustered among the same
    candidates, best effort, instead of reading back years of stories for a feed's first poll."""
    times = [min(i.article.published or now, now) for i in items if i.matches and i.deliverable]
    return min(times, default=now) - gap


class _MatchBatch:
    """What one ``record_items`` call writes after assigning stories: match rows, stories that
    gained a source, pending deliveries (insert-or-ignore), each in one statement, and "more
    coverage" rows for sources that joined a story already in a run for some (digest, sink)."""

    def __init__(self) -> None:
        self.indexes: dict[str, StoryIndexLike] = {}
        self.matches: list[dict[str, Any]] = []
        self.joined: set[int] = set()
        self.deliveries: set[tuple[int, str, str]] = set()
        self.late: list[tuple[int, int]] = []   # (story id, article id) of deliverable joiners

    def flush(self, store: SqlStore, s: Connection, now: datetime) -> None:
        if self.matches:
            s.execute(store._insert(t.matches), self.matches)
        if self.joined:
            s.execute(update(t.stories).where(t.stories.c.id.in_(sorted(self.joined))).values(last_seen=now))
        if self.deliveries:
            s.execute(store._insert(t.deliveries).on_conflict_do_nothing(),
                      [{"story_id": sid, "digest": d, "sink": k, "status": "pending", "attempts": 0,
                        "created_at": now} for sid, d, k in sorted(self.deliveries)])
        if self.late:
            self._flush_coverage(store, s, now)

    def _flush_coverage(self, store: SqlStore, s: Connection, now: datetime) -> None:
        """A source that joins a story some (digest, sink) has in a run already (sent, or being
        sent with the message rendered) is not in that message: note it for "more coverage"."""
        d = t.deliveries.c
        routes: dict[int, list[tuple[str, str]]] = {}
        rendered = select(t.delivery_parts.c.run_id)
        for sid, digest, sink in s.execute(select(d.story_id, d.digest, d.sink).where(
                d.story_id.in_(sorted({sid for sid, _ in self.late})),
                or_(d.status == "sent", (d.status == "pending") & d.run_id.in_(rendered)))):
            routes.setdefault(sid, []).append((digest, sink))
        rows = [{"story_id": sid, "article_id": aid, "digest": digest, "sink": sink, "created_at": now}
                for sid, aid in self.late for digest, sink in routes.get(sid, ())]
        if rows:
            s.execute(store._insert(t.coverage).on_conflict_do_nothing(), rows)


def _success(now: datetime, next_poll_at: datetime) -> dict[str, Any]:
    return {"last_polled_at": now, "last_success_at": now, "last_error": None, "error_since": None,
            "consecutive_failures": 0, "lease_until": None, "next_poll_at": next_poll_at}


def _short(e: Exception) -> str:
    msg = str(getattr(e, "orig", None) or e).splitlines()[0] if str(e) else e.__class__.__name__
    return f"{e.__class__.__name__}: {msg[:300]}"


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1] if ":///" in url else ""
        if path and path != ":memory:":
            parent = Path(path).parent
            if not parent.exists():
                raise ValueError(f"folder {parent} does not exist")
        # cached_statements: pysqlite keeps 128 prepared statements per connection by default, and
        # multi-row INSERTs (one text per row count) fill it with large programs (~2 MiB at 1000
        # feeds); the few statements a poll repeats fit in 32.
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False,
                                                  "cached_statements": SQLITE_STATEMENT_CACHE})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            # SQLite's page cache is per connection, 2 MB by default, and stays full for the
            # process's life. Reads that miss it come from the OS page cache (microseconds), and
            # the daemon's statements touch few pages each: 512 KiB keeps the hot index pages
            # and ~1.5 MiB out of the daemon's resident memory (docs/performance.md).
            cur.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5,
                         connect_args={"connect_timeout": 10, "application_name": "monitor"}
                         if url.startswith("postgresql") else {})


__all__ = ["SqlStore"]
