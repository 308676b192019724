"""initial schema: feeds, articles, stories, matches, deliveries, digest runs and occurrences

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

from monitor.store.tables import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feeds",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("url", sa.Text(), nullable=False, unique=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("from_config", sa.Boolean(), nullable=False),
        sa.Column("interval_minutes", sa.Float(), nullable=True),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("body_hash", sa.String(64), nullable=True),
        sa.Column("next_poll_at", UTCDateTime(), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("last_polled_at", UTCDateTime(), nullable=True),
        sa.Column("last_success_at", UTCDateTime(), nullable=True),
        sa.Column("last_new_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("error_since", UTCDateTime(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_feeds_due", "feeds", ["enabled", "next_poll_at"])
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("feed_id", sa.Integer(), sa.ForeignKey("feeds.id", ondelete="CASCADE"), nullable=False),
        sa.Column("entry_key", sa.String(40), nullable=False),
        sa.Column("url_key", sa.String(40), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("link", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("lang", sa.String(16), nullable=True),
        sa.Column("published", UTCDateTime(), nullable=True),
        sa.Column("first_seen", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("feed_id", "entry_key", name="uq_articles_feed_entry"),
        sa.UniqueConstraint("url_key", name="uq_articles_url_key"),
    )
    op.create_table(
        "stories",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("headline_article_id", sa.Integer(), sa.ForeignKey("articles.id"), nullable=True),
        sa.Column("event", sa.JSON(), nullable=True),
        sa.Column("first_seen", UTCDateTime(), nullable=False),
        sa.Column("last_seen", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_stories_topic_last_seen", "stories", ["topic", "last_seen"])
    op.create_table(
        "matches",
        sa.Column("article_id", sa.Integer(), sa.ForeignKey("articles.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("topic", sa.String(200), primary_key=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("event", sa.JSON(), nullable=True),
        sa.Column("features", sa.JSON(), nullable=True),
        sa.Column("story_id", sa.Integer(), sa.ForeignKey("stories.id"), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_matches_story_id", "matches", ["story_id"])
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("story_id", sa.Integer(), sa.ForeignKey("stories.id", ondelete="CASCADE"), nullable=False),
        sa.Column("digest", sa.String(200), nullable=False),
        sa.Column("sink", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("story_id", "digest", "sink", name="uq_deliveries_story_digest_sink"),
    )
    op.create_index("ix_deliveries_pending", "deliveries", ["digest", "sink", "status"])
    op.create_index("ix_deliveries_run_id", "deliveries", ["run_id"])
    op.create_table(
        "digest_runs",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("digest", sa.String(200), nullable=False),
        sa.Column("sink", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
    )
    op.create_table(
        "digest_occurrences",
        sa.Column("digest", sa.String(200), primary_key=True),
        sa.Column("scheduled_for", UTCDateTime(), primary_key=True),
        sa.Column("claimed_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    for table in ("digest_occurrences", "digest_runs", "deliveries", "matches", "stories", "articles",
                  "feeds"):
        op.drop_table(table)
