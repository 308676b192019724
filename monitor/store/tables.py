"""SQLAlchemy 2 models. All datetimes are stored as UTC (naive in SQLite, tz-aware in PostgreSQL
through :class:`UTCDateTime`). Keys used for identity are fixed-size hashes, never raw guids
or URLs (a PostgreSQL B-tree entry is limited to ~2.7 KB)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


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


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Feed(Base):
    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text, default="")
    title: Mapped[str] = mapped_column(Text, default="")            # as the feed calls itself
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    from_config: Mapped[bool] = mapped_column(Boolean, default=False)
    interval_minutes: Mapped[float | None] = mapped_column(Float, nullable=True)
    etag: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_modified: Mapped[str | None] = mapped_column(Text, nullable=True)
    body_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    next_poll_at: Mapped[datetime | None] = mapped_column(nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(nullable=True)
    last_polled_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_new_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_since: Mapped[datetime | None] = mapped_column(nullable=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    avg_new_gap_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)  # publishing rhythm

    __table_args__ = (Index("ix_feeds_due", "enabled", "next_poll_at"),)


class Article(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"))
    entry_key: Mapped[str] = mapped_column(String(40))              # "v1:" + hash of guid/url/content
    url_key: Mapped[str | None] = mapped_column(String(40), nullable=True)  # hash of canonical URL
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(Text, nullable=True)   # exactly as published
    source: Mapped[str] = mapped_column(Text, default="")
    lang: Mapped[str | None] = mapped_column(String(16), nullable=True)
    published: Mapped[datetime | None] = mapped_column(nullable=True)
    first_seen: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("feed_id", "entry_key", name="uq_articles_feed_entry"),
        UniqueConstraint("url_key", name="uq_articles_url_key"),
    )


class Story(Base):
    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic: Mapped[str] = mapped_column(String(200))
    headline_article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"), nullable=True)
    event: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]

    __table_args__ = (Index("ix_stories_topic_last_seen", "topic", "last_seen"),)


class MatchRow(Base):
    """One matching (article, topic), with its explanation and its story."""

    __tablename__ = "matches"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    topic: Mapped[str] = mapped_column(String(200), primary_key=True)
    score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[Any]] = mapped_column(JSON)
    event: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    features: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id"), nullable=True, index=True)
    created_at: Mapped[datetime]


class Delivery(Base):
    """The outbox: one row per (story, digest, sink). Written with the match, marked sent only
    after the sink accepted it."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"))
    digest: Mapped[str] = mapped_column(String(200))
    sink: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="pending")   # pending | sent | failed
    run_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)

    __table_args__ = (
        UniqueConstraint("story_id", "digest", "sink", name="uq_deliveries_story_digest_sink"),
        Index("ix_deliveries_pending", "digest", "sink", "status"),
    )


class DigestRun(Base):
    """One message (or set of messages) built for one (digest, sink). Its id is the identity
    receivers see (webhook-id, digest id): a re-send after a crash reuses it."""

    __tablename__ = "digest_runs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    digest: Mapped[str] = mapped_column(String(200))
    sink: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(nullable=True)   # a process is sending it


class DigestOccurrence(Base):
    """A scheduled digest time that some process has claimed (exactly one send per occurrence)."""

    __tablename__ = "digest_occurrences"

    digest: Mapped[str] = mapped_column(String(200), primary_key=True)
    scheduled_for: Mapped[datetime] = mapped_column(primary_key=True)
    claimed_at: Mapped[datetime]


class DeliveryPart(Base):
    """One message of a digest run as rendered on its first attempt (a Slack digest may be
    several). Stored so that a retry re-sends the very same bytes, and only the parts not yet
    accepted (``sent_at`` is set right after the sink's 2xx)."""

    __tablename__ = "delivery_parts"

    run_id: Mapped[str] = mapped_column(ForeignKey("digest_runs.id", ondelete="CASCADE"), primary_key=True)
    part_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)


class RunAlert(Base):
    """An operator alert raised for a digest run (undelivered past the configured age, or
    rejected for good): at most one per (run, kind)."""

    __tablename__ = "run_alerts"

    run_id: Mapped[str] = mapped_column(ForeignKey("digest_runs.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)     # overdue | permanent
    raised_at: Mapped[datetime]
