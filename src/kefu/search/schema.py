"""The full-text index's tables, one shape per database, created by migration 0008 with raw DDL.

The DDL is in the migration (0008_search.py). They are not SQLAlchemy models (an FTS5 virtual
table and a tsvector column have no common form), so the models-vs-migrations comparison skips
them (`include_name`).

SQLite: `search_messages`, an FTS5 table (rowid = message id) over the pre-folded token stream
(tokens.index_document), with the conversation id and creation time (epoch seconds) stored
beside it, unindexed, so that scope and date filters need no join to `messages`. The `ascii`
tokenizer splits on ASCII spaces and punctuation only and keeps every non-ASCII character, so
the tokens arrive as kefu made them. `prefix='1'` indexes every token's first character: a
one-character Chinese query is one lookup instead of a scan of every bigram that starts with
it. The table keeps its content (FTS5 can only delete rows whose content it has), and a trigger
removes a message's row when the message is deleted.

PostgreSQL: `search_messages(message_id, conversation_id, created_at, document tsvector)` with a
GIN index; the tsvector is built from the same tokens as a tsvector literal ('tok':1,5 ...), not
by to_tsvector's parser, which would re-split some tokens and classify Chinese characters by the
database's locale. The same as the 'simple' configuration over pre-folded text, without its
surprises. Rows go with their message (ON DELETE CASCADE).
"""

from __future__ import annotations

from sqlalchemy import Integer, Text, column, table

SEARCH_TABLE = "search_messages"
# FTS5's shadow tables (_data, _idx, _content, _docsize, _config) carry the same prefix.
INDEX_TABLES = (SEARCH_TABLE,)


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's include_name hook: leave the search index's tables out of the comparison."""
    if type_ == "table" and name is not None:
        return not any(name == t or name.startswith(f"{t}_") for t in INDEX_TABLES)
    return True


# Lightweight handles for queries (not part of Base.metadata).
fts_table = table(
    SEARCH_TABLE,
    column("rowid", Integer),
    column("tokens", Text),
    column("conversation_id", Integer),
    column("created_at", Integer),
    column("rank"),
)
pg_table = table(
    SEARCH_TABLE,
    column("message_id", Integer),
    column("conversation_id", Integer),
    column("created_at"),
    column("document"),
)
