"""full-text search

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# See kefu/search/schema.py for why the index looks like this.
SQLITE_DDL = (
    """CREATE VIRTUAL TABLE search_messages USING fts5(
        tokens, conversation_id UNINDEXED, created_at UNINDEXED,
        tokenize = 'ascii', prefix = '1', detail = full
    )""",
    # A deleted message leaves the index. If it was the newest message, SQLite hands its id to
    # the next one: the watermark steps back so that the new message is indexed.
    """CREATE TRIGGER search_messages_delete AFTER DELETE ON messages BEGIN
        DELETE FROM search_messages WHERE rowid = old.id;
        UPDATE search_state
            SET last_id = min(last_id, coalesce((SELECT max(id) FROM messages), 0))
            WHERE name = 'messages' AND old.id > coalesce((SELECT max(id) FROM messages), 0);
    END""",
)
POSTGRES_DDL = (
    """CREATE TABLE search_messages (
        message_id INTEGER PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
        conversation_id INTEGER NOT NULL,
        created_at TIMESTAMP WITH TIME ZONE NOT NULL,
        document TSVECTOR NOT NULL
    )""",
    "CREATE INDEX ix_search_messages_document ON search_messages USING gin (document)",
    # With the GIN index, a bitmap AND: only matches in the agent's conversations are read.
    "CREATE INDEX ix_search_messages_conversation_id ON search_messages (conversation_id)",
)


def upgrade() -> None:
    op.create_table(
        "search_state",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.Column("gaps", sa.JSON(), nullable=False),
        sa.Column("indexed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_search_state")),
    )
    sqlite = op.get_context().dialect.name == "sqlite"
    for statement in SQLITE_DDL if sqlite else POSTGRES_DDL:
        op.execute(statement)


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        op.execute("DROP TRIGGER search_messages_delete")
    op.execute("DROP TABLE search_messages")
    op.drop_table("search_state")
