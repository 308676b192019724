from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from monitor.store import FetchMeta, NewItem
from monitor.store.sql import SqlStore
from monitor.types import Article, Event, Match, Reason

NOW = datetime(2025, 6, 11, 6, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


class Feed:
    def __init__(self, url, name="", enabled=True, interval_minutes=None):
        self.url, self.name, self.enabled, self.interval_minutes = url, name, enabled, interval_minutes


def match(topic="openai-money"):
    return Match(matched=True, topic=topic, score=0.9, reasons=(Reason("entity:openai", "title", "OpenAI"),),
                 event=Event(kind="funding", amount=1e9, currency="USD"))


def item(n, link=None, story="s1", deliverable=True, matched=True):
    a = Article(title=f"OpenAI story {n}", summary="s", link=link or f"https://a.example/{n}", published=NOW,
                source="A", lang="en", entry_id=f"id-{n}")
    feats = {"story": story}
    return NewItem(article=a, entry_key=f"v1:key{n}", url_key=f"v1:url{n}" if link is None else f"v1:{link}",
                   matches=[(match(), feats)] if matched else [], deliverable=deliverable)


class ByStoryLabel:
    """A story index for tests: articles with the same "story" label form one story."""

    def __init__(self, candidates):
        self.labels = {m.get("story"): sid for sid, members in candidates for m in members}

    def assign(self, features):
        return self.labels.get(features.get("story"))

    def add(self, story_id, features):
        self.labels.setdefault(features.get("story"), story_id)


ROUTES = {"openai-money": [("daily", "hook"), ("daily", "slack")]}


@pytest.fixture
def store(db_url):
    s = SqlStore(db_url)
    s.migrate()
    yield s
    s.close()


def record(store, feed_id, items, now=NOW):
    return store.record_items(feed_id, FetchMeta(etag='"e1"', body_hash="h"), items, now, now + LEASE,
                              stories=ByStoryLabel, routes=ROUTES, story_window=timedelta(days=7))


def _alembic_config():
    from alembic.config import Config

    from monitor.store.sql import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def test_migrations_are_idempotent_and_at_head(store):
    from alembic.script import ScriptDirectory

    from monitor.store.sql import HEAD_REVISION

    assert HEAD_REVISION == ScriptDirectory.from_config(_alembic_config()).get_current_head()
    store.migrate()
    assert store.current_revision() == HEAD_REVISION


def _schema(engine):
    from sqlalchemy import inspect

    insp = inspect(engine)
    out = {}
    for name in sorted(insp.get_table_names()):
        out[name] = (
            sorted((c["name"], str(c["type"]), c["nullable"]) for c in insp.get_columns(name)),
            sorted((ix["name"], tuple(ix["column_names"]), bool(ix["unique"])) for ix in insp.get_indexes(name)),
            sorted((u["name"], tuple(u["column_names"])) for u in insp.get_unique_constraints(name)),
            sorted((tuple(f["constrained_columns"]), f["referred_table"]) for f in insp.get_foreign_keys(name)),
            tuple(insp.get_pk_constraint(name)["constrained_columns"]))
    return out


def test_new_database_from_the_models_equals_the_migrations(db_url, tmp_path):
    """migrate() builds a new database from the models (create_all + stamp); Alembic's migrations
    must give exactly that schema, and a database at an older revision is upgraded by them."""
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine

    from monitor.store import tables

    fresh = SqlStore(db_url)
    fresh.migrate()
    if db_url.startswith("sqlite"):
        other_url = f"sqlite:///{tmp_path / 'migrated.db'}"
    else:   # a second database on the same server: the fixture's name with a suffix
        import psycopg
        from sqlalchemy.engine import make_url

        base = make_url(db_url)
        other = base.database + "_m"
        with psycopg.connect(base.set(drivername="postgresql", database="postgres")
                             .render_as_string(hide_password=False), autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{other}"')
        other_url = base.set(database=other).render_as_string(hide_password=False)
    engine = create_engine(other_url)
    try:
        cfg = _alembic_config()
        with engine.begin() as conn:   # the older revision, then migrate() must finish the job
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0002")
        migrated = SqlStore(other_url)
        migrated.migrate()
        assert migrated.current_revision() == fresh.current_revision()
        migrated.close()
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                    tables.metadata) == []
        assert _schema(engine) == _schema(fresh.engine)
    finally:
        engine.dispose()
        fresh.close()
        if not db_url.startswith("sqlite"):
            with psycopg.connect(base.set(drivername="postgresql", database="postgres")
                                 .render_as_string(hide_password=False), autocommit=True) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{other}" WITH (FORCE)')


def test_config_feeds_upserted_and_removed_ones_disabled(store):
    store.sync_config_feeds([Feed("https://a.example/rss", "A"), Feed("https://b.example/rss")], NOW)
    store.sync_config_feeds([Feed("https://a.example/rss", "A2")], NOW)
    feeds = {f.url: f for f in store.list_feeds()}
    assert feeds["https://a.example/rss"].name == "A2" and feeds["https://a.example/rss"].enabled
    assert not feeds["https://b.example/rss"].enabled


def test_due_feeds_are_leased_once(store):
    store.sync_config_feeds([Feed(f"https://a.example/{i}") for i in range(5)], NOW)
    first = store.claim_due_feeds(NOW, lease=LEASE)
    assert len(first) == 5 and all(f.is_new for f in first)
    assert store.claim_due_feeds(NOW, lease=LEASE) == []
    assert len(store.claim_due_feeds(NOW + LEASE, lease=LEASE)) == 5  # leases expire


def test_items_stored_once_with_one_story_and_one_delivery_per_sink(store):
    store.sync_config_feeds([Feed("https://a.example/rss"), Feed("https://b.example/rss")], NOW)
    fa, fb = [f.id for f in store.list_feeds()]
    res = record(store, fa, [item(1), item(2)])
    assert (res.new_articles, res.new_matches, res.new_stories) == (2, 2, 1)
    again = record(store, fa, [item(1), item(2)])
    assert again.new_articles == 0
    # the same canonical URL through another feed is the same article
    assert record(store, fb, [item(3, link="https://a.example/1")]).new_articles == 1
    cross = NewItem(article=item(1).article, entry_key="v1:other", url_key="v1:url1", matches=[])
    assert record(store, fb, [cross]).new_articles == 0
    runs = store.claim_runs("daily", "hook", NOW, lease=LEASE)
    assert len(runs) == 1 and len(runs[0].story_ids) == 1


def test_undeliverable_items_make_no_delivery(store):
    store.sync_config_feeds([Feed("https://a.example/rss")], NOW)
    fid = store.list_feeds()[0].id
    record(store, fid, [item(1, deliverable=False)])
    assert store.claim_runs("daily", "hook", NOW, lease=LEASE) == []


def test_run_keeps_its_id_until_sent(store):
    store.sync_config_feeds([Feed("https://a.example/rss")], NOW)
    fid = store.list_feeds()[0].id
    record(store, fid, [item(1, story="a")])
    run = store.claim_runs("daily", "hook", NOW, lease=LEASE)[0]
    store.mark_run_failed(run.run_id, "HTTP 500", NOW, NOW + timedelta(minutes=2))
    assert store.claim_runs("daily", "hook", NOW + timedelta(minutes=1), lease=LEASE) == []
    record(store, fid, [item(2, story="b")], now=NOW + timedelta(minutes=1))
    later = store.claim_runs("daily", "hook", NOW + timedelta(minutes=3), lease=LEASE)
    assert [r.run_id for r in later][0] == run.run_id and len(later) == 2
    for r in later:
        store.mark_run_sent(r.run_id, NOW)
    assert store.claim_runs("daily", "hook", NOW + timedelta(hours=1), lease=LEASE) == []
    # the other sink still has its own pending copy
    assert len(store.claim_runs("daily", "slack", NOW, lease=LEASE)) == 1


def test_claimed_run_is_not_claimed_twice_while_leased(store):
    store.sync_config_feeds([Feed("https://a.example/rss")], NOW)
    record(store, store.list_feeds()[0].id, [item(1)])
    run = store.claim_runs("daily", "hook", NOW, lease=LEASE)[0]
    store.mark_run_failed(run.run_id, "x", NOW, NOW)  # releases the lease
    again = store.claim_runs("daily", "hook", NOW, lease=LEASE)
    assert again[0].run_id == run.run_id
    assert store.claim_runs("daily", "hook", NOW, lease=LEASE, ignore_backoff=True) == []


def test_late_source_joins_story_without_new_delivery(store):
    store.sync_config_feeds([Feed("https://a.example/rss")], NOW)
    fid = store.list_feeds()[0].id
    record(store, fid, [item(1, story="a")])
    run = store.claim_runs("daily", "hook", NOW, lease=LEASE)[0]
    store.mark_run_sent(run.run_id, NOW)
    res = record(store, fid, [item(2, story="a")], now=NOW + timedelta(hours=1))
    assert (res.new_articles, res.new_stories) == (1, 0)
    assert store.claim_runs("daily", "hook", NOW + timedelta(hours=2), lease=LEASE) == []
    stories = store.load_stories(run.story_ids)
    assert len(stories[0].sources) == 2


def test_occurrence_claimed_once(store):
    t = datetime(2025, 6, 11, 6, 0, tzinfo=UTC)
    assert store.claim_occurrence("daily", t, NOW)
    assert not store.claim_occurrence("daily", t, NOW)


def test_failure_keeps_validators(store):
    store.sync_config_feeds([Feed("https://a.example/rss")], NOW)
    fid = store.list_feeds()[0].id
    record(store, fid, [])
    store.record_failure(fid, "timeout", NOW, NOW + LEASE)
    f = store.claim_due_feeds(NOW + LEASE, lease=LEASE)[0]
    assert f.etag == '"e1"' and f.consecutive_failures == 1


def test_concurrent_claims_never_overlap(db_url):
    stores = [SqlStore(db_url) for _ in range(3)]
    stores[0].migrate()
    stores[0].sync_config_feeds([Feed(f"https://a.example/{i}") for i in range(60)], NOW)
    got: list[int] = []
    lock = threading.Lock()

    def worker(s):
        for _ in range(10):
            ids = [f.id for f in s.claim_due_feeds(NOW, lease=LEASE, limit=7)]
            with lock:
                got.extend(ids)

    threads = [threading.Thread(target=worker, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == sorted(set(got)) and len(got) == 60
    for s in stores:
        s.close()


def test_known_entry_keys_are_the_feeds_latest(store):
    store.sync_config_feeds([Feed("https://a.example/rss"), Feed("https://b.example/rss")], NOW)
    fa, fb = [f.id for f in store.list_feeds()]
    record(store, fa, [item(1), item(2), item(3)])
    record(store, fb, [item(4)])
    assert store.known_entry_keys(fa) == {"v1:key1", "v1:key2", "v1:key3"}
    assert store.known_entry_keys(fb) == {"v1:key4"}
    assert store.known_entry_keys(fa, limit=2) == {"v1:key2", "v1:key3"}   # the most recent ones


def test_not_modified_feeds_recover_and_keep_their_own_next_poll(store):
    store.sync_config_feeds([Feed("https://a.example/rss"), Feed("https://b.example/rss")], NOW)
    fa, fb = [f.id for f in store.list_feeds()]
    store.record_failure(fa, "HTTP 500", NOW, NOW + timedelta(minutes=30))
    store.record_not_modified_many([(fa, NOW + timedelta(minutes=10)), (fb, NOW + timedelta(minutes=20))],
                                   NOW + timedelta(minutes=1))
    a, b = store.list_feeds()
    assert (a.next_poll_at, b.next_poll_at) == (NOW + timedelta(minutes=10), NOW + timedelta(minutes=20))
    assert a.consecutive_failures == 0 and a.last_error is None and a.error_since is None
    assert a.last_success_at == b.last_success_at == NOW + timedelta(minutes=1)


def test_all_feeds_are_claimed_in_id_order_batch_after_batch(store):
    store.sync_config_feeds([Feed(f"https://f{i}.example/rss") for i in range(7)], NOW)
    ids = [f.id for f in store.list_feeds()]
    seen, after = [], None
    while batch := store.claim_due_feeds(NOW, lease=LEASE, all_feeds=True, polled_before=NOW, limit=3,
                                         after_id=after):
        seen += [f.id for f in batch]
        after = batch[-1].id
    assert seen == ids
    # leased feeds are not handed out again, from the start or not
    assert store.claim_due_feeds(NOW, lease=LEASE, all_feeds=True, polled_before=NOW, limit=10) == []


def test_sqlite_connections_get_their_settings(tmp_path):
    """WAL, foreign keys and the bounded page cache on every SQLite connection the store opens."""
    from monitor.store.sql import SQLITE_CACHE_KIB

    s = SqlStore(f"sqlite:///{tmp_path / 'm.db'}")
    try:
        s.migrate()
        with s.engine.connect() as conn:
            pragma = lambda name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
            assert pragma("journal_mode") == "wal"
            assert pragma("foreign_keys") == 1
            assert pragma("cache_size") == -SQLITE_CACHE_KIB
    finally:
        s.close()


@pytest.mark.parametrize("all_feeds", [False, True])
def test_claims_walk_an_index_instead_of_sorting_every_feed(sqlite_url, all_feeds):
    # a round claims in batches; sorting every enabled feed per batch made a round quadratic
    from sqlalchemy import event

    s = SqlStore(sqlite_url)
    s.migrate()
    s.sync_config_feeds([Feed(f"https://a.example/{i}") for i in range(40)], NOW)
    if not all_feeds:   # due feeds: some never polled (NULL), the rest due at different times
        feeds = s.claim_due_feeds(NOW, lease=LEASE, limit=30)
        s.record_not_modified_many([(f.id, NOW - timedelta(minutes=f.id)) for f in feeds], NOW)
    selects: list[tuple[str, object]] = []
    event.listen(s.engine, "before_cursor_execute",
                 lambda conn, cur, sql, params, *_: selects.append((sql, params)) if sql.startswith("SELECT") else None)
    later = NOW + timedelta(hours=1)
    batch = s.claim_due_feeds(later, lease=LEASE, all_feeds=all_feeds, polled_before=later, limit=8,
                              after_id=3 if all_feeds else None)
    if all_feeds:
        assert [f.id for f in batch] == list(range(4, 12))
    else:                # never polled first, then the longest overdue
        assert [f.id for f in batch] == list(range(31, 39))
    (sql, params), = selects
    with s.engine.connect() as c:
        plan = " / ".join(row[3] for row in c.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params))
    assert "TEMP B-TREE" not in plan and "USING INDEX" in plan, plan
    s.close()


def test_a_lease_is_renewed_only_by_the_process_that_still_holds_it(db_url):
    a, b = SqlStore(db_url), SqlStore(db_url)
    a.migrate()
    a.sync_config_feeds([Feed("https://a.example/1")], NOW)
    (feed,) = a.claim_due_feeds(NOW, lease=LEASE)
    held = NOW + LEASE
    assert a.renew_lease(feed.id, held, held + LEASE)                        # still ours: extended
    assert b.claim_due_feeds(held + timedelta(seconds=1), lease=LEASE) == []  # ... so b cannot take it
    taken_at = held + LEASE + timedelta(seconds=1)                            # the renewed lease ran out
    assert [f.id for f in b.claim_due_feeds(taken_at, lease=LEASE)] == [feed.id]
    assert not a.renew_lease(feed.id, held + LEASE, taken_at + LEASE)        # b holds it now
    a.close()
    b.close()
