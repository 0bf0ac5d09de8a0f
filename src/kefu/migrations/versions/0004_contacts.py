"""contact profiles, merge and identified visitors

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kefu.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attribute_definitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=10), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("created_at", kefu.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attribute_definitions")),
        sa.UniqueConstraint("scope", "key", name=op.f("uq_attribute_definitions_scope_key")),
    )
    op.create_table(
        "contact_activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", kefu.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["users.id"],
            name=op.f("fk_contact_activities_actor_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_contact_activities_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_activities")),
    )
    op.create_index(
        "ix_contact_activities_contact_id_id", "contact_activities", ["contact_id", "id"]
    )
    op.create_table(
        "contact_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", kefu.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_contact_notes_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_contact_notes_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_notes")),
    )
    op.create_index("ix_contact_notes_contact_id_id", "contact_notes", ["contact_id", "id"])
    op.create_table(
        "inbox_identities",
        sa.Column("inbox_id", sa.Integer(), nullable=False),
        sa.Column("sealed_secret", sa.String(length=500), nullable=True),
        sa.Column("require_verified", sa.Boolean(), nullable=False),
        sa.Column("rotated_at", kefu.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["inbox_id"],
            ["inboxes.id"],
            name=op.f("fk_inbox_identities_inbox_id_inboxes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("inbox_id", name=op.f("pk_inbox_identities")),
    )
    # Plain ADD COLUMN, never a batch table copy: on SQLite (foreign keys on) copying `contacts`
    # would drop the original table, and ON DELETE CASCADE would take every conversation with it.
    op.add_column("contacts", sa.Column("company", sa.String(length=200), nullable=True))
    op.add_column("contacts", sa.Column("avatar_url", sa.String(length=500), nullable=True))
    op.add_column("contacts", sa.Column("merged_into_id", sa.Integer(), nullable=True))
    op.add_column(
        "contacts", sa.Column("merged_at", kefu.db.UTCDateTime(timezone=True), nullable=True)
    )
    op.create_index(op.f("ix_contacts_merged_into_id"), "contacts", ["merged_into_id"])
    op.add_column(
        "conversations",
        sa.Column("attributes", sa.JSON(), nullable=False, server_default="{}"),
    )


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite >= 3.35), for the reason given in upgrade.
    op.drop_column("conversations", "attributes")
    op.drop_index(op.f("ix_contacts_merged_into_id"), table_name="contacts")
    for column in ("merged_at", "merged_into_id", "avatar_url", "company"):
        op.drop_column("contacts", column)
    op.drop_table("inbox_identities")
    op.drop_index("ix_contact_notes_contact_id_id", table_name="contact_notes")
    op.drop_table("contact_notes")
    op.drop_index("ix_contact_activities_contact_id_id", table_name="contact_activities")
    op.drop_table("contact_activities")
    op.drop_table("attribute_definitions")
