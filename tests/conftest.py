"""Shared fixtures: a migrated database per test (SQLite by default, PostgreSQL when
KEFU_TEST_DATABASE_URL is set), the app with its lifespan, HTTP clients, a demo-like workspace
and a live uvicorn server for WebSocket tests."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import hypothesis
import pytest
import uvicorn
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy import make_url

from kefu.app import create_app
from kefu.auth import passwords
from kefu.auth.principals import SystemPrincipal
from kefu.config import Settings
from kefu.events.types import Event
from kefu.inboxes.actions import do_create_inbox
from kefu.inboxes.models import Inbox
from kefu.migrate import upgrade
from kefu.models import Base
from kefu.routing.configure import do_update_inbox_routing
from kefu.routing.settings import RoutingSettings
from kefu.runtime import Runtime
from kefu.teams.actions import do_create_team
from kefu.users.actions import do_create_user
from kefu.users.models import User

# The suite shares two cores with browsers and servers: slow example generation is the machine's
# load, not a problem of the strategies.
hypothesis.settings.register_profile(
    "kefu", suppress_health_check=[hypothesis.HealthCheck.too_slow]
)
hypothesis.settings.load_profile("kefu")

PG_URL = os.environ.get("KEFU_TEST_DATABASE_URL", "")


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """In-process tests hash with argon2's smallest parameters: every workspace creates four
    users, and the production parameters (~0.1-0.4 s a hash here) cost minutes over the suite.
    Servers started as processes (browser and multi-node tests) keep the real parameters, and
    verification reads the parameters from each hash, so both kinds of hashes still verify."""
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    original = (passwords._hasher, passwords._DUMMY_HASH)
    passwords._hasher, passwords._DUMMY_HASH = cheap, cheap.hash("kefu-dummy-password")
    yield
    passwords._hasher, passwords._DUMMY_HASH = original


@pytest.fixture(scope="session", autouse=True)
def shared_tls_context() -> Iterator[None]:
    """Every Runtime's worker opens an httpx client, and each new client's TLS context loads
    the CA bundle from disk: 0.1-0.2 s of every in-process test. Clients made without an explicit
    `verify` share one context instead (the same defaults; it is never changed after)."""
    context = httpx.create_ssl_context()
    original = httpx.AsyncClient.__init__

    def init(self: httpx.AsyncClient, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("verify", context)
        original(self, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(httpx.AsyncClient, "__init__", init)
        yield


PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database: a SQLite file to copy per test, or a PostgreSQL URL (whose freshly
    migrated state `reset_pg` restores)."""
    # In a thread: Alembic's env.py calls asyncio.run(), which refuses to run inside a loop (sync
    # Playwright keeps one running in the main thread once a browser fixture has started).
    with ThreadPoolExecutor(1) as pool:
        if PG_URL:
            pool.submit(upgrade, PG_URL).result()
            pool.submit(asyncio.run, _snapshot_pg(PG_URL)).result()
            yield PG_URL
            return
        path = tmp_path_factory.mktemp("template") / "kefu.db"
        pool.submit(upgrade, f"sqlite+aiosqlite:///{path}").result()
    yield str(path)


# PostgreSQL: instead of TRUNCATE (a new file per table: ~0.3-1 s for 40 tables, per test),
# DELETE every row, put back the rows the migrations wrote (kb_state's row: a TRUNCATE lost it,
# unlike the SQLite copy) and set every sequence back. One round trip of a few milliseconds.
SEED_SCHEMA = "kefu_test_seed"
_pg_reset_script = ""


def _plain_pg_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _snapshot_pg(url: str) -> None:
    """Record the freshly migrated state in SEED_SCHEMA: the rows the migrations wrote and the
    sequences' positions; build the script that restores both. A snapshot from an earlier
    session at the same migration is reused (the tables hold that session's last test)."""
    global _pg_reset_script
    conn = await asyncpg.connect(_plain_pg_url(url))
    try:
        version = await conn.fetchval("SELECT string_agg(version_num, ',') FROM alembic_version")
        kept = await conn.fetchval(
            f"SELECT to_regclass('{SEED_SCHEMA}._version') IS NOT NULL"
        ) and version == await conn.fetchval(f"SELECT version FROM {SEED_SCHEMA}._version")
        if not kept:
            await conn.execute(
                f"DROP SCHEMA IF EXISTS {SEED_SCHEMA} CASCADE; CREATE SCHEMA {SEED_SCHEMA};"
                f"CREATE TABLE {SEED_SCHEMA}._sequences AS SELECT sequencename, last_value,"
                " start_value FROM pg_sequences WHERE schemaname = 'public'"
            )
        in_db = {
            r["tablename"]
            for r in await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                " AND tablename <> 'alembic_version'"
            )
        }
        # Children before parents (foreign keys); tables the models don't declare go first.
        modelled = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name in in_db]
        tables = sorted(in_db - set(modelled)) + modelled
        statements = [f'DELETE FROM "{t}"' for t in tables]
        for table in reversed(tables):  # parents first
            if not kept and await conn.fetchval(f'SELECT EXISTS (SELECT 1 FROM "{table}")'):
                await conn.execute(f'CREATE TABLE {SEED_SCHEMA}."{table}" AS TABLE "{table}"')
            if await conn.fetchval(f"SELECT to_regclass('{SEED_SCHEMA}.\"{table}\"') IS NOT NULL"):
                statements.append(f'INSERT INTO "{table}" SELECT * FROM {SEED_SCHEMA}."{table}"')
        positions = [
            f'setval(\'"public"."{r["sequencename"]}"\', '
            + (
                f"{r['last_value']}, true)"
                if r["last_value"] is not None
                else f"{r['start_value']}, false)"
            )
            for r in await conn.fetch(f"SELECT * FROM {SEED_SCHEMA}._sequences")
        ]
        if positions:
            statements.append("SELECT " + ", ".join(positions))
        if not kept:
            await conn.execute(f"CREATE TABLE {SEED_SCHEMA}._version (version text)")
            await conn.execute(f"INSERT INTO {SEED_SCHEMA}._version VALUES ($1)", version)
        _pg_reset_script = ";\n".join(statements)
    finally:
        await conn.close()


async def reset_pg(url: str) -> None:
    """Bring the PostgreSQL test database back to its freshly migrated state."""
    assert _pg_reset_script, "the migrated_template fixture snapshots the database first"
    conn = await asyncpg.connect(_plain_pg_url(url))
    try:
        await conn.execute(_pg_reset_script)  # several statements: one implicit transaction
    finally:
        await conn.close()


@pytest.fixture
async def database_url(migrated_template: str, tmp_path: Path) -> str:
    if PG_URL:
        await reset_pg(PG_URL)
        return PG_URL
    path = tmp_path / "kefu.db"
    shutil.copy(migrated_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        redis_url="",
        secret_key="test-secret-key-" + "x" * 32,
        demo=False,
        login_attempts_per_window=5,
        gc_tuning=False,
        worker=False,  # tests run the worker's jobs explicitly (runtime.worker.run_once())
        channel_allow_private_urls=True,  # channel tests talk to fake providers on loopback
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
def runtime(app: FastAPI) -> Runtime:
    rt: Runtime = app.state.runtime
    return rt


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@dataclass
class Workspace:
    admin: User
    agent: User  # member of the inbox
    agent2: User  # member of the inbox
    outsider: User  # an agent of another inbox only
    inbox: Inbox
    other_inbox: Inbox
    password: str = PASSWORD
    extra: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
async def workspace(runtime: Runtime) -> Workspace:
    system = SystemPrincipal()
    async with runtime.db.write() as session:
        users = []
        for email, name, role in (
            ("admin@example.com", "Admin", "admin"),
            ("mei@example.com", "王小美", "agent"),
            ("alex@example.com", "Alex", "agent"),
            ("out@example.com", "Outsider", "agent"),
        ):
            users.append(
                await do_create_user(
                    session, actor=system, email=email, name=name, password=PASSWORD, role=role
                )
            )
        admin, agent, agent2, outsider = users
        team = await do_create_team(session, actor=system, name="Support", member_ids=[agent.id])
        inbox = await do_create_inbox(
            session,
            actor=system,
            name="Website",
            greeting="Hi",
            allowed_origins=["https://shop.example.com"],
            team_id=team.id,
            member_ids=[agent.id, agent2.id],
        )
        other = await do_create_inbox(session, actor=system, name="Other", member_ids=[outsider.id])
        # The foundation's tests count messages exactly: no automatic replies unless a test
        # turns them on (tests/routing does).
        quiet = RoutingSettings(
            greeting_enabled=False, queued_reply_enabled=False, outside_hours_reply_enabled=False
        )
        for box in (inbox, other):
            await do_update_inbox_routing(session, actor=system, inbox=box, settings=quiet)
    return Workspace(
        admin=admin, agent=agent, agent2=agent2, outsider=outsider, inbox=inbox, other_inbox=other
    )


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    """Log in through the API; set the CSRF header on the client for later writes."""
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    client.headers["x-csrf-token"] = body["csrf_token"]
    return body


async def agent_client(app: FastAPI, email: str) -> httpx.AsyncClient:
    c = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    await login(c, email)
    return c


async def visitor_send(
    client: httpx.AsyncClient,
    inbox: Inbox,
    text: str,
    token: str | None = None,
    client_msg_id: str | None = None,
) -> dict[str, Any]:
    headers = {"x-kefu-visitor": token} if token else {}
    response = await client.post(
        f"/api/v1/widget/{inbox.public_key}/messages",
        json={"text": text, "client_msg_id": client_msg_id or uuid.uuid4().hex},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class EventCapture:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def of_type(self, kind: str) -> list[Event]:
        return [e for e in self.events if e.type == kind]


@pytest.fixture
def capture_events(runtime: Runtime) -> Iterator[EventCapture]:
    """Record every event published after commit (in addition to delivering it)."""
    capture = EventCapture()
    original = runtime.db.publish
    assert original is not None

    async def publish(events: list[Event]) -> None:
        capture.events.extend(events)
        await original(events)

    runtime.db.publish = publish
    yield capture
    runtime.db.publish = original


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
async def live_server(app: FastAPI) -> AsyncIterator[str]:
    """The same app (already started) served by uvicorn on a free loopback port."""
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        lifespan="off",
        log_level="warning",
        ws_per_message_deflate=False,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started:
            break
        await asyncio.sleep(0.01)
    yield f"127.0.0.1:{port}"
    server.should_exit = True
    await task
