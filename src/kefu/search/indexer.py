"""The message indexer: a worker job that tails `messages` by id and indexes new rows in batches.

Sending a message does no search work at all; the index lags writes by one worker round (the
worker runs every KEFU_WORKER_INTERVAL_SECONDS, 5 s by default) plus the time to index what
arrived meanwhile (11,000-19,000 messages a second measured, see docs/benchmarks.md).

Safe on several nodes: every node may run the job; a batch is read and tokenised outside any
lock, then written in one transaction that first locks the state row (PostgreSQL: FOR UPDATE;
SQLite: the write transaction is the lock) and gives up if another node moved the watermark in
the meantime. Idempotent: re-indexing a message replaces (SQLite) or skips (PostgreSQL) its row.

Ids on PostgreSQL are handed out before commit, so message 101 can become visible before 100.
An id the indexer passes without seeing is kept as a gap and looked for again on every round
until it appears or GAP_SECONDS pass (a rolled-back send, a retried send that was a duplicate,
a deleted message).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.db import Database, dialect_insert
from kefu.messages.models import Attachment, Message
from kefu.search.models import SearchState
from kefu.search.tokens import index_tokens

SOURCE = "messages"
BATCH = 500
GAP_SECONDS = 600
MAX_GAPS = 10_000
# Messages that are searched. Activity lines ("assigned to Mei") are not.
INDEXED_KINDS = ("incoming", "outgoing", "note")
PG_MAX_POSITION = 16_383  # tsvector limits
PG_MAX_POSITIONS_PER_LEXEME = 255


@dataclass(frozen=True)
class Document:
    message_id: int
    conversation_id: int
    created_at: datetime
    tokens: list[str]


@dataclass(frozen=True)
class _Snapshot:
    last_id: int
    gaps: dict[int, int]  # id -> first seen (epoch seconds)


async def _read_state(session: AsyncSession) -> _Snapshot:
    state = await session.get(SearchState, SOURCE)
    if state is None:
        return _Snapshot(0, {})
    return _Snapshot(state.last_id, {int(i): int(t) for i, t in state.gaps})


SourceRows = Select[int, int, str, str, datetime]


def _source() -> SourceRows:
    return select(
        Message.id, Message.conversation_id, Message.kind, Message.text, Message.created_at
    )


async def _documents(session: AsyncSession, query: SourceRows) -> tuple[list[int], list[Document]]:
    rows = (await session.execute(query)).all()
    seen = [int(r.id) for r in rows]
    wanted = [r for r in rows if r.kind in INDEXED_KINDS]
    names: dict[int, list[str]] = {}
    if wanted:
        found = await session.execute(
            select(Attachment.message_id, Attachment.file_name).where(
                Attachment.message_id.in_([r.id for r in wanted])
            )
        )
        for message_id, file_name in found:
            names.setdefault(message_id, []).append(file_name)
    docs = []
    for r in wanted:
        # Attachments are found by their file names too ("invoice.pdf").
        tokens = index_tokens(" ".join([r.text, *names.get(r.id, [])]))
        if tokens:
            docs.append(Document(r.id, r.conversation_id, r.created_at, tokens))
    return seen, docs


def tsvector_literal(tokens: Sequence[str]) -> str:
    """PostgreSQL's tsvector input form: 'token':1,4 'other':2 (positions from 1)."""
    positions: dict[str, list[int]] = {}
    for i, token in enumerate(tokens, start=1):
        spots = positions.setdefault(token, [])
        if len(spots) < PG_MAX_POSITIONS_PER_LEXEME:
            spots.append(min(i, PG_MAX_POSITION))
    parts = []
    for token, spots in positions.items():
        quoted = token.replace("\\", "\\\\").replace("'", "''")
        parts.append(f"'{quoted}':{','.join(map(str, dict.fromkeys(spots)))}")
    return " ".join(parts)


async def _write(session: AsyncSession, docs: list[Document]) -> None:
    if not docs:
        return
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(
            text(
                "INSERT OR REPLACE INTO search_messages"
                " (rowid, tokens, conversation_id, created_at)"
                " VALUES (:id, :tokens, :conversation_id, :created_at)"
            ),
            [
                {
                    "id": d.message_id,
                    "tokens": " ".join(d.tokens),
                    "conversation_id": d.conversation_id,
                    "created_at": int(d.created_at.timestamp()),
                }
                for d in docs
            ],
        )
        return
    await session.execute(
        text(
            "INSERT INTO search_messages (message_id, conversation_id, created_at, document)"
            " VALUES (:id, :conversation_id, :created_at, CAST(:document AS tsvector))"
            " ON CONFLICT (message_id) DO NOTHING"
        ),
        [
            {
                "id": d.message_id,
                "conversation_id": d.conversation_id,
                "created_at": d.created_at,
                "document": tsvector_literal(d.tokens),
            }
            for d in docs
        ],
    )


async def do_index_messages(db: Database, *, batch: int = BATCH) -> int:
    """Index the next batch of new messages (and any gaps that appeared). Returns how many
    message ids were read: `batch` means there may be more."""
    now = int(time.time())
    async with db.read() as session:
        before = await _read_state(session)
        fresh_ids, fresh = await _documents(
            session,
            _source().where(Message.id > before.last_id).order_by(Message.id).limit(batch),
        )
        found_ids: list[int] = []
        late: list[Document] = []
        if before.gaps:
            found_ids, late = await _documents(
                session,
                _source().where(Message.id.in_(sorted(before.gaps)[:batch])),
            )
    gaps = {i: t for i, t in before.gaps.items() if i not in found_ids and now - t < GAP_SECONDS}
    last_id = before.last_id
    if fresh_ids:
        seen = set(fresh_ids)
        last_id = fresh_ids[-1]
        for missing in range(before.last_id + 1, last_id):
            if missing not in seen and len(gaps) < MAX_GAPS:
                gaps[missing] = now
    if last_id == before.last_id and gaps == before.gaps:
        return 0  # nothing new: no write transaction (SQLite has one writer)
    async with db.write() as session:
        insert = dialect_insert(session)
        await session.execute(
            insert(SearchState)
            .values(name=SOURCE, last_id=0, gaps=[], indexed=0)
            .on_conflict_do_nothing(index_elements=["name"])
        )
        state = (
            await session.execute(
                select(SearchState).where(SearchState.name == SOURCE).with_for_update()
            )
        ).scalar_one()
        current = _Snapshot(state.last_id, {int(i): int(t) for i, t in state.gaps})
        if current != before:
            return 0  # another node indexed this batch meanwhile
        await _write(session, fresh + late)
        state.last_id = last_id
        state.gaps = [[i, t] for i, t in sorted(gaps.items())]
        state.indexed += len(fresh) + len(late)
    return len(fresh_ids)


async def do_reset_index(db: Database) -> None:
    """Empty the index and its watermark: the worker rebuilds it from the first message (after
    a change of folding or tokens: `kefu search-reindex`)."""
    async with db.write() as session:
        await session.execute(text("DELETE FROM search_messages"))
        await session.execute(delete(SearchState).where(SearchState.name == SOURCE))


async def index_pending(db: Database, *, budget_seconds: float = 2.0, batch: int = BATCH) -> int:
    """The worker job: index batches until caught up or the time budget is spent (a backlog,
    e.g. after an upgrade, is worked off over several rounds without starving other jobs)."""
    deadline = time.monotonic() + budget_seconds
    total = 0
    while True:
        read = await do_index_messages(db, batch=batch)
        total += read
        if read < batch or time.monotonic() >= deadline:
            return total
