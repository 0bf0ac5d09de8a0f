"""attachments: conversation, public id and signing key, checksum, image size; the attachment
kind of a conversation's last message

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 09:00:00
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("last_message_attachment", sa.String(length=10), nullable=True)
        )

    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("conversation_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("public_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("access_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("width", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("height", sa.Integer(), nullable=True))

    # Rows from before (if any): their conversation, and fresh ids and keys for signed links.
    connection = op.get_bind()
    connection.execute(
        sa.text(
            "UPDATE attachments SET conversation_id = (SELECT messages.conversation_id "
            "FROM messages WHERE messages.id = attachments.message_id), sha256 = ''"
        )
    )
    for (attachment_id,) in connection.execute(sa.text("SELECT id FROM attachments")).all():
        connection.execute(
            sa.text("UPDATE attachments SET public_id = :p, access_key = :k WHERE id = :i"),
            {"p": secrets.token_hex(16), "k": secrets.token_urlsafe(32), "i": attachment_id},
        )

    with op.batch_alter_table("attachments", schema=None) as batch_op:
        for name, kind in (
            ("conversation_id", sa.Integer()),
            ("public_id", sa.String(length=32)),
            ("access_key", sa.String(length=64)),
            ("sha256", sa.String(length=64)),
        ):
            batch_op.alter_column(name, existing_type=kind, nullable=False)
        batch_op.create_index(
            batch_op.f("ix_attachments_conversation_id"), ["conversation_id"], unique=False
        )
        batch_op.create_unique_constraint(batch_op.f("uq_attachments_public_id"), ["public_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_attachments_conversation_id_conversations"),
            "conversations",
            ["conversation_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_attachments_conversation_id_conversations"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("uq_attachments_public_id"), type_="unique")
        batch_op.drop_index(batch_op.f("ix_attachments_conversation_id"))
        for name in ("height", "width", "sha256", "access_key", "public_id", "conversation_id"):
            batch_op.drop_column(name)

    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("last_message_attachment")
