"""Engine, sessions and the declarative Base.

Writes go through `Database.write()`: one transaction, serialised in-process on SQLite (one writer
at a time, as SQLite allows), and the events the actions queued are published only after COMMIT.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator

if TYPE_CHECKING:
    from kefu.events.types import Event

PENDING_EVENTS = "kefu_pending_events"
# (inbox id, conversation id to route or None): the routing dispatcher acts on them after commit.
ROUTING_KICKS = "kefu_routing_kicks"
# Conversation ids the FAQ bot should take a turn for (kefu.bot.runner), after commit.
BOT_KICKS = "kefu_bot_kicks"

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


PublishEvents = Callable[[list["Event"]], Awaitable[None]]
KickRouting = Callable[[set[tuple[int, int | None]]], None]
KickBot = Callable[[set[int]], None]


class Database:
    def __init__(self, url: str, *, publish: PublishEvents | None = None) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {}
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": 30}
        else:
            kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        self._write_sessionmaker = async_sessionmaker(
            self.engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False
        )
        self._write_lock = asyncio.Lock()
        self.publish = publish
        self.kick_routing: KickRouting | None = None
        self.kick_bot: KickBot | None = None

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self.sessionmaker() as session:
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """One write transaction; queued events are published after it commits."""
        if self.is_sqlite:
            await self._write_lock.acquire()
        try:
            async with self._write_sessionmaker() as session:
                async with session.begin():
                    yield session
                events: list[Event] = session.info.pop(PENDING_EVENTS, [])
                kicks: set[tuple[int, int | None]] = session.info.pop(ROUTING_KICKS, set())
                bot_kicks: set[int] = session.info.pop(BOT_KICKS, set())
        finally:
            if self.is_sqlite:
                self._write_lock.release()
        if events and self.publish is not None:
            await self.publish(events)
        if kicks and self.kick_routing is not None:
            self.kick_routing(kicks)
        if bot_kicks and self.kick_bot is not None:
            self.kick_bot(bot_kicks)

    async def dispose(self) -> None:
        await self.engine.dispose()


def dialect_insert(session: AsyncSession) -> Any:
    """`insert` with ON CONFLICT support for the session's backend (SQLite or PostgreSQL)."""
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def null_pool_engine(url: str) -> AsyncEngine:
    """A throwaway engine for migrations and one-off commands."""
    engine = create_async_engine(url, poolclass=NullPool)
    if url.startswith("sqlite"):
        _configure_sqlite(engine)
    return engine


WRITE_OPTION = "kefu_write"  # execution option of Database.write()'s connections


def _configure_sqlite(engine: AsyncEngine) -> None:
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    event.listen(engine.sync_engine, "begin", _sqlite_begin)


def _sqlite_begin(conn: Connection) -> None:
    """Write transactions take SQLite's write lock at BEGIN (IMMEDIATE), waiting for it under
    busy_timeout. A deferred transaction that reads, then writes, fails at once with
    SQLITE_BUSY when another process wrote in between: two nodes on one file need this, and
    with it every write transaction is serialisable, as the routing locks assume. Reads stay
    deferred (WAL: they never block and are never blocked)."""
    write = conn.get_execution_options().get(WRITE_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # kefu emits BEGIN itself (_sqlite_begin): the driver's implicit, deferred BEGIN is off.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
