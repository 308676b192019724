"""feeds by (enabled, id): `monitor poll --all` claims its batches in id order from an index
instead of sorting every enabled feed for each batch

Revision ID: 0004
Revises: 0003
"""
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_feeds_enabled_id", "feeds", ["enabled", "id"])


def downgrade() -> None:
    op.drop_index("ix_feeds_enabled_id", table_name="feeds")
