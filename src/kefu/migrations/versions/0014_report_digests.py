"""report digests: each lead's daily / weekly summary setting and one row per digest sent

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-25 04:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kefu.db

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_digest_settings",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("frequency", sa.String(length=10), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("next_due_at", kefu.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", kefu.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_report_digest_settings_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_report_digest_settings")),
    )
    op.create_index(
        op.f("ix_report_digest_settings_next_due_at"),
        "report_digest_settings",
        ["next_due_at"],
        unique=False,
    )
    op.create_table(
        "report_digests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("frequency", sa.String(length=10), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("due_at", kefu.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", kefu.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", kefu.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_report_digests_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_digests")),
        sa.UniqueConstraint(
            "user_id",
            "frequency",
            "period_start",
            name=op.f("uq_report_digests_user_id_frequency_period_start"),
        ),
    )


def downgrade() -> None:
    op.drop_table("report_digests")
    op.drop_index(
        op.f("ix_report_digest_settings_next_due_at"), table_name="report_digest_settings"
    )
    op.drop_table("report_digest_settings")
