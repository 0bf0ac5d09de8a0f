"""conversation workflow: snooze, tags, custom attributes, canned responses

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 09:00:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

import kefu.db
from kefu.db import utcnow
from kefu.tags.names import MAX_NAME_CHARS, default_colour, tag_key

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "canned_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("shortcut", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", kefu.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", kefu.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_canned_responses_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_canned_responses_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canned_responses")),
    )
    op.create_index(
        "uq_canned_responses_personal_shortcut",
        "canned_responses",
        ["owner_id", "shortcut", "locale"],
        unique=True,
        sqlite_where=sa.text("owner_id IS NOT NULL"),
        postgresql_where=sa.text("owner_id IS NOT NULL"),
    )
    op.create_index(
        "uq_canned_responses_shared_shortcut",
        "canned_responses",
        ["shortcut", "locale"],
        unique=True,
        sqlite_where=sa.text("owner_id IS NULL"),
        postgresql_where=sa.text("owner_id IS NULL"),
    )
    op.create_table(
        "tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("colour", sa.String(length=7), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", kefu.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_tags_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
        sa.UniqueConstraint("key", name=op.f("uq_tags_key")),
    )
    op.create_table(
        "conversation_tags",
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_tags_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"],
            ["tags.id"],
            name=op.f("fk_conversation_tags_tag_id_tags"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("conversation_id", "tag_id", name=op.f("pk_conversation_tags")),
    )
    op.create_index(
        op.f("ix_conversation_tags_tag_id"), "conversation_tags", ["tag_id"], unique=False
    )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("snoozed_until", kefu.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            "ix_conversations_snoozed_until",
            ["snoozed_until"],
            unique=False,
            sqlite_where=sa.text("snoozed_until IS NOT NULL"),
            postgresql_where=sa.text("snoozed_until IS NOT NULL"),
        )
    _catalogue_existing_tags()


def _catalogue_existing_tags() -> None:
    """Tags that routing rules put on conversations before the catalogue existed become
    catalogue entries (default colours), and their conversations get the rows filters use."""
    bind = op.get_bind()
    conversations = sa.table(
        "conversations", sa.column("id", sa.Integer), sa.column("tags", sa.JSON)
    )
    tags = sa.table(
        "tags",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("key", sa.String),
        sa.column("colour", sa.String),
        sa.column("created_at", kefu.db.UTCDateTime),
    )
    links = sa.table(
        "conversation_tags", sa.column("conversation_id", sa.Integer), sa.column("tag_id")
    )
    catalogue: dict[str, tuple[int, str]] = {}  # key -> (id, name)
    last_id = 0
    while True:
        rows = bind.execute(
            sa.select(conversations.c.id, conversations.c.tags)
            .where(conversations.c.id > last_id)
            .order_by(conversations.c.id)
            .limit(1000)
        ).all()
        if not rows:
            return
        last_id = rows[-1].id
        for row in rows:
            names: list[Any] = row.tags or []
            if not names:
                continue
            kept: list[str] = []
            ids: list[int] = []
            for raw in names:
                name = " ".join(str(raw).split())[:MAX_NAME_CHARS]
                if not name:
                    continue
                key = tag_key(name)
                if key not in catalogue:
                    new_id = bind.execute(
                        sa.insert(tags)
                        .values(
                            name=name, key=key, colour=default_colour(name), created_at=utcnow()
                        )
                        .returning(tags.c.id)
                    ).scalar_one()
                    catalogue[key] = (int(new_id), name)
                tag_id, canonical = catalogue[key]
                if tag_id not in ids:
                    ids.append(tag_id)
                    kept.append(canonical)
            if ids:
                bind.execute(
                    sa.insert(links), [{"conversation_id": row.id, "tag_id": i} for i in ids]
                )
            if kept != names:
                bind.execute(
                    sa.update(conversations).where(conversations.c.id == row.id).values(tags=kept)
                )


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_conversations_snoozed_until",
            sqlite_where=sa.text("snoozed_until IS NOT NULL"),
            postgresql_where=sa.text("snoozed_until IS NOT NULL"),
        )
        batch_op.drop_column("snoozed_until")
    op.drop_index(op.f("ix_conversation_tags_tag_id"), table_name="conversation_tags")
    op.drop_table("conversation_tags")
    op.drop_table("tags")
    op.drop_index(
        "uq_canned_responses_shared_shortcut",
        table_name="canned_responses",
        sqlite_where=sa.text("owner_id IS NULL"),
        postgresql_where=sa.text("owner_id IS NULL"),
    )
    op.drop_index(
        "uq_canned_responses_personal_shortcut",
        table_name="canned_responses",
        sqlite_where=sa.text("owner_id IS NOT NULL"),
        postgresql_where=sa.text("owner_id IS NOT NULL"),
    )
    op.drop_table("canned_responses")
