"""delivery parts (per-message tracking of split digests) and run alerts

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

from monitor.store.tables import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "delivery_parts",
        sa.Column("run_id", sa.String(64), sa.ForeignKey("digest_runs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("part_no", sa.Integer(), primary_key=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
    )
    op.create_table(
        "run_alerts",
        sa.Column("run_id", sa.String(64), sa.ForeignKey("digest_runs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("raised_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("run_alerts")
    op.drop_table("delivery_parts")
