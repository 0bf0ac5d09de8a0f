"""one customer, one history: verified contact details and merge suggestions

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 22:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kefu.db

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN / CREATE only (see 0004): a batch copy of contacts would cascade deletes.
    op.add_column("contacts", sa.Column("verified_email", sa.String(length=254), nullable=True))
    op.add_column("contacts", sa.Column("verified_phone", sa.String(length=20), nullable=True))
    op.create_index(op.f("ix_contacts_verified_email"), "contacts", ["verified_email"])
    op.create_index(op.f("ix_contacts_verified_phone"), "contacts", ["verified_phone"])
    op.create_table(
        "contact_merge_suggestions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("other_contact_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("matched_value", sa.String(length=254), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", kefu.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", kefu.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_contact_merge_suggestions_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_merge_suggestions")),
        sa.UniqueConstraint(
            "contact_id",
            "other_contact_id",
            name=op.f("uq_contact_merge_suggestions_contact_id_other_contact_id"),
        ),
    )
    op.create_index(
        op.f("ix_contact_merge_suggestions_contact_id"),
        "contact_merge_suggestions",
        ["contact_id"],
    )
    op.create_index(
        op.f("ix_contact_merge_suggestions_other_contact_id"),
        "contact_merge_suggestions",
        ["other_contact_id"],
    )
    op.create_index(
        "ix_contact_merge_suggestions_status_id",
        "contact_merge_suggestions",
        ["status", "id"],
    )


def downgrade() -> None:
    op.drop_table("contact_merge_suggestions")
    op.drop_index(op.f("ix_contacts_verified_phone"), table_name="contacts")
    op.drop_index(op.f("ix_contacts_verified_email"), table_name="contacts")
    op.drop_column("contacts", "verified_phone")
    op.drop_column("contacts", "verified_email")
