"""the learning loop: bot turns an admin has dealt with

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-25 02:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kefu.db

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "bot_turns", sa.Column("reviewed_at", kefu.db.UTCDateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("bot_turns", schema=None) as batch_op:
        batch_op.drop_column("reviewed_at")
