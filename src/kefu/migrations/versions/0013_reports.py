"""reports: conversation facts, rollups, and the stale marker on conversations

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-25 03:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kefu.db
from kefu.reports.models import COUNTERS, HISTOGRAMS

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing conversations start stale (version 1, done 0): the worker computes their facts.
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reports_version", sa.BigInteger(), server_default="1", nullable=False)
        )
        batch_op.add_column(
            sa.Column("reports_done", sa.BigInteger(), server_default="0", nullable=False)
        )
    op.create_index(
        "ix_conversations_reports_stale",
        "conversations",
        ["id"],
        unique=False,
        sqlite_where=sa.text("reports_version != reports_done"),
        postgresql_where=sa.text("reports_version != reports_done"),
    )
    op.create_table(
        "conversation_facts",
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("inbox_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", kefu.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_event_at", kefu.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("first_response_at", kefu.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("frt_s", sa.Integer(), nullable=True),
        sa.Column("frt_bh_s", sa.Integer(), nullable=True),
        sa.Column("resolved_at", kefu.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolution_s", sa.Integer(), nullable=True),
        sa.Column("resolution_bh_s", sa.Integer(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_conversation_facts")),
    )
    op.create_index("ix_conversation_facts_created", "conversation_facts", ["created_at"])
    for column in ("inbox_id", "team_id", "agent_id"):
        name = column.removesuffix("_id")
        op.create_index(
            f"ix_conversation_facts_{name}_created", "conversation_facts", [column, "created_at"]
        )
    op.create_table(
        "report_rollups",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("grain", sa.String(length=1), nullable=False),
        sa.Column("bucket", kefu.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("dim", sa.String(length=8), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in COUNTERS),
        *(sa.Column(name, sa.Text(), nullable=False) for name in HISTOGRAMS),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_rollups")),
    )
    op.create_index(
        "uq_report_rollups_key", "report_rollups", ["dim", "key", "grain", "bucket"], unique=True
    )
    op.create_index("ix_report_rollups_time", "report_rollups", ["dim", "grain", "bucket"])


def downgrade() -> None:
    op.drop_table("report_rollups")
    op.drop_table("conversation_facts")
    op.drop_index("ix_conversations_reports_stale", table_name="conversations")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("reports_done")
        batch_op.drop_column("reports_version")
