"""Bulk insert of generated support history (kefu.reports.sample_history).

Rows go straight to the driver, with the values converted the way SQLAlchemy's column types
would (SQLite: datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff' text, JSON as json.dumps text; a
JSON column given None holds JSON null, as the ORM writes it): the driver's executemany on
SQLite, COPY on PostgreSQL (asyncpg's copy_records_to_table). Through SQLAlchemy Core's
executemany the same rows are several times slower (bench/report_data.py prints the rate).

Ids are assigned here, after the highest ids already in the tables; PostgreSQL's sequences are
moved past them at the end. Meant for a database nobody else writes to meanwhile (the demo
before the server starts, a benchmark's fresh database)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from kefu.db import WRITE_OPTION, Database
from kefu.models import Base
from kefu.reports.sample_history import HistoryRows, HistorySpec, IdStart, generate_history

COLUMNS: dict[str, tuple[str, ...]] = {
    "contacts": (
        "id",
        "name",
        "email",
        "phone",
        "attributes",
        "created_at",
        "last_seen_at",
        "timezone",
        "verified_phone",
    ),
    "contact_identities": (
        "id",
        "contact_id",
        "channel_type",
        "inbox_id",
        "external_id",
        "created_at",
    ),
    "conversations": (
        "id",
        "public_id",
        "inbox_id",
        "contact_id",
        "status",
        "priority",
        "assignee_id",
        "team_id",
        "last_seq",
        "contact_last_read_seq",
        "agent_last_read_seq",
        "last_message_preview",
        "created_at",
        "first_reply_at",
        "resolved_at",
        "last_activity_at",
        "routing_state",
        "required_skills",
        "queued_at",
        "queue_number",
        "assigned_at",
        "waiting_since",
        "first_response_due_at",
        "tags",
        "attributes",
        "participant_count",
        "thread_key",
        "subject",
        "channel_context",
        "bot_state",
    ),
    "conversation_tags": ("conversation_id", "tag_id"),
    "messages": (
        "id",
        "conversation_id",
        "seq",
        "kind",
        "sender_key",
        "sender_user_id",
        "sender_contact_id",
        "text",
        "activity",
        "quick_replies",
        "mentions",
        "channel_payload",
        "external_id",
        "delivery_status",
        "created_at",
    ),
    "survey_responses": (
        "id",
        "conversation_id",
        "inbox_id",
        "contact_id",
        "agent_id",
        "kind",
        "score",
        "comment",
        "resolved_at",
        "answered_at",
        "created_at",
    ),
    "sla_breaches": ("id", "conversation_id", "inbox_id", "kind", "due_at", "breached_at"),
}
JSON_COLUMNS = {
    "attributes",
    "required_skills",
    "tags",
    "channel_context",
    "bot_state",
    "activity",
    "quick_replies",
    "mentions",
    "channel_payload",
}
ID_TABLES = tuple(table for table in COLUMNS if table != "conversation_tags")


@dataclass
class InsertResult:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    # Of which spent waiting for generated rows (the rest: converting and writing them).
    generate_seconds: float = 0.0

    @property
    def messages_per_s(self) -> float:
        return round(self.rows.get("messages", 0) / self.seconds) if self.seconds else 0.0


def _sqlite_time(value: datetime) -> str:
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


def _converter(table: str, sqlite: bool) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """Row dict -> the driver's tuple, in COLUMNS order."""
    kinds = []
    for name in COLUMNS[table]:
        if name in JSON_COLUMNS:
            kinds.append(1)
        elif name.endswith("_at") or name in ("waiting_since",):
            kinds.append(2 if sqlite else 0)
        else:
            kinds.append(0)
    names = COLUMNS[table]
    dumps = json.dumps
    plan = list(zip(names, kinds, strict=True))

    def convert(row: dict[str, Any]) -> tuple[Any, ...]:
        out = []
        for name, kind in plan:
            value = row.get(name)
            if kind == 1:
                value = "null" if value is None else dumps(value)
            elif kind == 2 and value is not None:
                value = _sqlite_time(value)
            out.append(value)
        return tuple(out)

    return convert


def _message_converter(sqlite: bool) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """The hot path (ten messages a conversation): one tuple expression, no loop."""
    dumps = json.dumps

    def convert(m: dict[str, Any]) -> tuple[Any, ...]:
        activity = m["activity"]
        created = m["created_at"]
        return (
            m["id"],
            m["conversation_id"],
            m["seq"],
            m["kind"],
            m["sender_key"],
            m["sender_user_id"],
            m["sender_contact_id"],
            m["text"],
            "null" if activity is None else dumps(activity),
            "null",
            "null",
            "null",
            m["external_id"],
            m["delivery_status"],
            created.replace(tzinfo=None).isoformat(" ", "microseconds") if sqlite else created,
        )

    return convert


async def _max_ids(conn: AsyncConnection) -> IdStart:
    values = {}
    for table in ID_TABLES:
        values[table] = int(await conn.scalar(text(f"SELECT max(id) FROM {table}")) or 0)
    return IdStart(**values)


class _Writer:
    def __init__(self, conn: AsyncConnection, sqlite: bool, *, core: bool = False) -> None:
        self.conn, self.sqlite, self.core = conn, sqlite, core
        self.converters = {
            table: _message_converter(sqlite) if table == "messages" else _converter(table, sqlite)
            for table in COLUMNS
        }

    async def write(self, table: str, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        if self.core:  # SQLAlchemy Core's executemany, for comparison (bench/report_data.py)
            await self.conn.execute(Base.metadata.tables[table].insert(), list(rows))
            return
        convert = self.converters[table]
        records = [convert(r) for r in rows]
        columns = COLUMNS[table]
        if self.sqlite:
            marks = ", ".join("?" for _ in columns)
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            await self.conn.exec_driver_sql(sql, records)
            return
        raw = await self.conn.get_raw_connection()
        await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
            table, records=records, columns=list(columns)
        )

    async def counters(self, counters: dict[tuple[int, str], int]) -> None:
        if not counters:
            return
        bigger = "max" if self.sqlite else "GREATEST"
        await self.conn.execute(
            text(
                "INSERT INTO queue_counters (inbox_id, day, value) VALUES (:inbox_id, :day, :value)"
                " ON CONFLICT (inbox_id, day) DO UPDATE"
                f" SET value = {bigger}(queue_counters.value, excluded.value)"
            ),
            [{"inbox_id": i, "day": d, "value": v} for (i, d), v in counters.items()],
        )


async def insert_rows(
    db: Database | AsyncEngine,
    spec: HistorySpec,
    *,
    batch: int = 2000,
    progress: Callable[[InsertResult], None] | None = None,
    core: bool = False,
) -> InsertResult:
    """Generate `spec`'s history and insert it, `batch` conversations per transaction.
    The ids in `spec.ids` are ignored: rows continue after the tables' highest ids. `core`:
    through SQLAlchemy Core's executemany instead of the driver (slower; for comparison)."""
    engine = db.engine if isinstance(db, Database) else db
    sqlite = engine.dialect.name == "sqlite"
    result = InsertResult(rows={table: 0 for table in COLUMNS})
    started = time.perf_counter()
    async with engine.connect() as conn:
        await conn.execution_options(**{WRITE_OPTION: True})
        async with conn.begin():
            if sqlite:
                # A bigger page cache for this connection: the indexes of a large messages
                # table are updated in place, and the default 2 MB cache makes that disk-bound.
                await conn.exec_driver_sql("PRAGMA cache_size = -262144")
            ids = await _max_ids(conn)
        writer = _Writer(conn, sqlite, core=core)
        stream = generate_history(replace(spec, ids=ids), batch=batch)
        counters: dict[tuple[int, str], int] = {}
        # The next batch is generated in a thread while this one is written: the drivers
        # work outside the GIL much of the time (sqlite3 while stepping, PostgreSQL in its
        # own process), so on two cores the two overlap.
        upcoming = asyncio.create_task(asyncio.to_thread(next, stream, None))
        while True:
            waiting = time.perf_counter()
            rows: HistoryRows | None = await upcoming
            result.generate_seconds += time.perf_counter() - waiting
            if rows is None:
                break
            upcoming = asyncio.create_task(asyncio.to_thread(next, stream, None))
            async with conn.begin():
                if not sqlite:
                    await conn.exec_driver_sql("SELECT 1")  # starts asyncpg's transaction
                for table, batch_rows in rows.tables():
                    await writer.write(table, batch_rows)
                    result.rows[table] += len(batch_rows)
            counters.update(rows.queue_counters)
            result.seconds = time.perf_counter() - started
            if progress is not None:
                progress(result)
        async with conn.begin():
            await writer.counters(counters)
            if not sqlite:
                for table in ID_TABLES:
                    await conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                            f" (SELECT coalesce(max(id), 1) FROM {table}))"
                        )
                    )
    result.seconds = round(time.perf_counter() - started, 2)
    result.generate_seconds = round(result.generate_seconds, 2)
    return result
