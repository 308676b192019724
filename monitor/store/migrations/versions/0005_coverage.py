"""coverage: sources that joined a story after a sink received it, listed once under "more
coverage" in that sink's next digest

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

from monitor.store.tables import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coverage",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("story_id", sa.Integer(), sa.ForeignKey("stories.id", ondelete="CASCADE"), nullable=False),
        sa.Column("article_id", sa.Integer(), sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
        sa.Column("digest", sa.String(200), nullable=False),
        sa.Column("sink", sa.String(200), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("article_id", "digest", "sink", name="uq_coverage_article_digest_sink"),
    )
    op.create_index("ix_coverage_run_id", "coverage", ["run_id"])
    op.create_index("ix_coverage_waiting", "coverage", ["digest", "sink", "run_id"])


def downgrade() -> None:
    op.drop_index("ix_coverage_waiting", table_name="coverage")
    op.drop_index("ix_coverage_run_id", table_name="coverage")
    op.drop_table("coverage")
