"""The schema as SQLAlchemy Core tables. All datetimes are stored as UTC (naive in SQLite, tz-aware in PostgreSQL
through :class:`UTCDateTime`). Keys used for identity are fixed-size hashes, never raw guids
or URLs (a PostgreSQL B-tree entry is limited to ~2.7 KB).

Core tables, not ORM classes: the store only runs Core statements, and not importing
``sqlalchemy.orm`` keeps ~5.5 MiB out of every process (issue 8's memory budget)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect


class UTCDateTime(TypeDecorator[datetime]):
    """Always returns tz-aware UTC datetimes, whatever the backend stores."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()


def _when(name: str, *, nullable: bool = False, **kw: Any) -> Column[datetime]:
    return Column(name, UTCDateTime(), nullable=nullable, **kw)


feeds = Table(
    "feeds", metadata,
    Column("id", Integer, primary_key=True),
    Column("url", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False, default=""),
    Column("title", Text, nullable=False, default=""),             # as the feed calls itself
    Column("enabled", Boolean, nullable=False, default=True),
    Column("from_config", Boolean, nullable=False, default=False),
    Column("interval_minutes", Float, nullable=True),
    Column("etag", Text, nullable=True),
    Column("last_modified", Text, nullable=True),
    Column("body_hash", String(64), nullable=True),
    _when("next_poll_at", nullable=True),
    _when("lease_until", nullable=True),
    _when("last_polled_at", nullable=True),
    _when("last_success_at", nullable=True),
    _when("last_new_at", nullable=True),
    Column("last_error", Text, nullable=True),
    _when("error_since", nullable=True),
    Column("consecutive_failures", Integer, nullable=False, default=0),
    _when("created_at"),
    Column("avg_new_gap_seconds", Float, nullable=True),           # publishing rhythm
    Index("ix_feeds_due", "enabled", "next_poll_at"),      # due feeds, oldest first
    Index("ix_feeds_enabled_id", "enabled", "id"),         # every feed, in id order (poll --all)
)

articles = Table(
    "articles", metadata,
    Column("id", Integer, primary_key=True),
    Column("feed_id", Integer, ForeignKey("feeds.id", ondelete="CASCADE"), nullable=False),
    Column("entry_key", String(40), nullable=False),               # "v1:" + hash of guid/url/content
    Column("url_key", String(40), nullable=True),                  # hash of canonical URL
    Column("title", Text, nullable=False),
    Column("summary", Text, nullable=False, default=""),
    Column("link", Text, nullable=True),                           # exactly as published
    Column("source", Text, nullable=False, default=""),
    Column("lang", String(16), nullable=True),
    _when("published", nullable=True),
    _when("first_seen"),
    UniqueConstraint("feed_id", "entry_key", name="uq_articles_feed_entry"),
    UniqueConstraint("url_key", name="uq_articles_url_key"),
)

stories = Table(
    "stories", metadata,
    Column("id", Integer, primary_key=True),
    Column("topic", String(200), nullable=False),
    Column("headline_article_id", Integer, ForeignKey("articles.id"), nullable=True),
    Column("event", JSON, nullable=True),
    _when("first_seen"),
    _when("last_seen"),
    Index("ix_stories_topic_last_seen", "topic", "last_seen"),
)

# One matching (article, topic), with its explanation and its story.
matches = Table(
    "matches", metadata,
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("topic", String(200), primary_key=True),
    Column("score", Float, nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("event", JSON, nullable=True),
    Column("features", JSON, nullable=True),
    Column("story_id", Integer, ForeignKey("stories.id"), nullable=True, index=True),
    _when("created_at"),
)

# The outbox: one row per (story, digest, sink). Written with the match, marked sent only after
# the sink accepted it.
deliveries = Table(
    "deliveries", metadata,
    Column("id", Integer, primary_key=True),
    Column("story_id", Integer, ForeignKey("stories.id", ondelete="CASCADE"), nullable=False),
    Column("digest", String(200), nullable=False),
    Column("sink", String(200), nullable=False),
    Column("status", String(16), nullable=False, default="pending"),    # pending | sent | failed
    Column("run_id", String(64), nullable=True, index=True),
    Column("attempts", Integer, nullable=False, default=0),
    _when("next_attempt_at", nullable=True),
    Column("last_error", Text, nullable=True),
    _when("created_at"),
    _when("sent_at", nullable=True),
    UniqueConstraint("story_id", "digest", "sink", name="uq_deliveries_story_digest_sink"),
    Index("ix_deliveries_pending", "digest", "sink", "status"),
)

# "More coverage": a source that joined a story after the story was put in a run for (digest,
# sink). Listed once, in that sink's next run that has new stories (``run_id`` set when the run is
# claimed, ``sent_at`` when it is sent); never a reason to send by itself.
coverage = Table(
    "coverage", metadata,
    Column("id", Integer, primary_key=True),
    Column("story_id", Integer, ForeignKey("stories.id", ondelete="CASCADE"), nullable=False),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("digest", String(200), nullable=False),
    Column("sink", String(200), nullable=False),
    Column("run_id", String(64), nullable=True, index=True),
    _when("created_at"),
    _when("sent_at", nullable=True),
    UniqueConstraint("article_id", "digest", "sink", name="uq_coverage_article_digest_sink"),
    Index("ix_coverage_waiting", "digest", "sink", "run_id"),
)

# One message (or set of messages) built for one (digest, sink). Its id is the identity receivers
# see (webhook-id, digest id): a re-send after a crash reuses it.
digest_runs = Table(
    "digest_runs", metadata,
    Column("id", String(64), primary_key=True),
    Column("digest", String(200), nullable=False),
    Column("sink", String(200), nullable=False),
    _when("created_at"),
    _when("sent_at", nullable=True),
    _when("lease_until", nullable=True),    # a process is sending it
)

# A scheduled digest time that some process has claimed (exactly one send per occurrence).
digest_occurrences = Table(
    "digest_occurrences", metadata,
    Column("digest", String(200), primary_key=True),
    _when("scheduled_for", primary_key=True),
    _when("claimed_at"),
)

# One message of a digest run as rendered on its first attempt (a Slack digest may be several).
# Stored so that a retry re-sends the very same bytes, and only the parts not yet accepted
# (``sent_at`` is set right after the sink's 2xx).
delivery_parts = Table(
    "delivery_parts", metadata,
    Column("run_id", String(64), ForeignKey("digest_runs.id", ondelete="CASCADE"), primary_key=True),
    Column("part_no", Integer, primary_key=True),
    Column("payload", Text, nullable=False),
    _when("created_at"),
    _when("sent_at", nullable=True),
)

# An operator alert raised for a digest run (undelivered past the configured age, or rejected for
# good): at most one per (run, kind).
run_alerts = Table(
    "run_alerts", metadata,
    Column("run_id", String(64), ForeignKey("digest_runs.id", ondelete="CASCADE"), primary_key=True),
    Column("kind", String(32), primary_key=True),      # overdue | permanent
    _when("raised_at"),
)
