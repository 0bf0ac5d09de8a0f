"""channels: channel inboxes, inbound event de-duplication, delivery states, email threads

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 21:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kefu.db

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN only (see 0004): a batch copy of these tables would cascade deletes.
    op.add_column(
        "inboxes", sa.Column("channel_config", sa.JSON(), nullable=False, server_default="{}")
    )
    op.add_column("inboxes", sa.Column("channel_secrets", sa.Text(), nullable=True))
    op.add_column(
        "inboxes", sa.Column("channel_state", sa.JSON(), nullable=False, server_default="{}")
    )
    op.add_column("messages", sa.Column("external_id", sa.String(length=255), nullable=True))
    op.add_column("messages", sa.Column("delivery_status", sa.String(length=10), nullable=True))
    op.add_column("messages", sa.Column("delivery_error", sa.Text(), nullable=True))
    op.add_column("messages", sa.Column("channel_payload", sa.JSON(), nullable=True))
    op.create_index(
        "ix_messages_external_id",
        "messages",
        ["external_id"],
        sqlite_where=sa.text("external_id IS NOT NULL"),
        postgresql_where=sa.text("external_id IS NOT NULL"),
    )
    op.add_column(
        "conversations",
        sa.Column("thread_key", sa.String(length=255), nullable=False, server_default=""),
    )
    op.add_column("conversations", sa.Column("subject", sa.String(length=500), nullable=True))
    op.add_column(
        "conversations",
        sa.Column("channel_context", sa.JSON(), nullable=False, server_default="{}"),
    )
    op.drop_index("uq_conversations_open_per_contact", table_name="conversations")
    op.create_index(
        "uq_conversations_open_per_contact",
        "conversations",
        ["inbox_id", "contact_id", "thread_key"],
        unique=True,
        sqlite_where=sa.text("status != 'resolved'"),
        postgresql_where=sa.text("status != 'resolved'"),
    )
    op.create_table(
        "channel_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inbox_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("received_at", kefu.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["inbox_id"],
            ["inboxes.id"],
            name=op.f("fk_channel_events_inbox_id_inboxes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_channel_events_message_id_messages"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_events")),
        sa.UniqueConstraint(
            "inbox_id", "event_id", name=op.f("uq_channel_events_inbox_id_event_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("channel_events")
    op.drop_index("uq_conversations_open_per_contact", table_name="conversations")
    op.create_index(
        "uq_conversations_open_per_contact",
        "conversations",
        ["inbox_id", "contact_id"],
        unique=True,
        sqlite_where=sa.text("status != 'resolved'"),
        postgresql_where=sa.text("status != 'resolved'"),
    )
    for column in ("channel_context", "subject", "thread_key"):
        op.drop_column("conversations", column)
    op.drop_index("ix_messages_external_id", table_name="messages")
    for column in ("channel_payload", "delivery_error", "delivery_status", "external_id"):
        op.drop_column("messages", column)
    for column in ("channel_state", "channel_secrets", "channel_config"):
        op.drop_column("inboxes", column)
