"""Two real `kefu serve` processes sharing a fresh PostgreSQL database and Redis (`cluster`),
or one SQLite file (`sqlite_cluster`, routing's invariants only).

Run once per `make test`: scripts/test runs pytest twice (SQLite, then PostgreSQL with
KEFU_TEST_DATABASE_URL set). These tests need neither pass's database: they create their own
(`kefu_mn_<random>`, dropped WITH (FORCE) afterwards) through KEFU_TEST_PG_ADMIN_URL (default
postgresql://postgres@127.0.0.1:5432/postgres), so they run only in the pass without
KEFU_TEST_DATABASE_URL and are *deselected* (not skipped) in the other one.

Without a reachable PostgreSQL or Redis (KEFU_TEST_REDIS_URL, default redis://127.0.0.1:6379/0)
they skip with a message; under CI=true they fail instead.

Both nodes publish on kefu's fixed Redis channel ("kefu:events"): two test runs against the same
Redis at once see each other's events. The tests therefore match frames by their own random
texts, client_msg_ids and conversation ids, never by position alone.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import pytest
import redis
from sqlalchemy.engine import make_url

from tests.demo_inbox import quiet_demo_inboxes

HERE = Path(__file__).parent
PG_ADMIN_URL = os.environ.get(
    "KEFU_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("KEFU_TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"
SECRET_KEY = "multinode-secret-" + "m" * 32
START_TIMEOUT = 45.0


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In the PostgreSQL pass (KEFU_TEST_DATABASE_URL set) leave these tests out: the SQLite
    pass already ran them against their own database."""
    if not os.environ.get("KEFU_TEST_DATABASE_URL"):
        return
    mine = [item for item in items if HERE in item.path.parents]
    if mine:
        config.hook.pytest_deselected(items=mine)
        items[:] = [item for item in items if HERE not in item.path.parents]


def _unavailable(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI requires PostgreSQL and Redis for the multi-node tests")
    pytest.skip(f"multi-node tests need PostgreSQL and Redis: {message}")


async def _pg_admin(statement: str | None) -> None:
    conn = await asyncpg.connect(PG_ADMIN_URL, timeout=3)
    try:
        if statement:
            await conn.execute(statement)
    finally:
        await conn.close()


@dataclass
class Node:
    name: str
    port: int
    data_dir: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ws_url(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "server.log"

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""

    def spawn(self) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child keeps it; closed on exit
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "kefu.cli", "serve", "--port", str(self.port)],
                env=self.env,
                cwd=self.data_dir,  # no stray .env file from the checkout
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        finally:
            log.close()

    def healthy(self) -> bool:
        """One probe: True once /healthz answers; raises if the process died."""
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"node {self.name} exited:\n{self.log_tail()}")
        try:
            response = httpx.get(f"{self.base_url}/healthz", timeout=1)
        except httpx.HTTPError:
            return False
        return response.status_code == 200 and response.json()["node"] == self.name

    def start(self) -> None:
        self.spawn()
        deadline = time.monotonic() + START_TIMEOUT
        while not self.healthy():
            if time.monotonic() > deadline:
                raise RuntimeError(f"node {self.name} did not start:\n{self.log_tail()}")
            time.sleep(0.1)

    async def start_async(self) -> None:
        """Start without blocking the test's event loop (its sockets keep being served)."""
        self.spawn()
        deadline = time.monotonic() + START_TIMEOUT
        while not await asyncio.to_thread(self.healthy):
            if time.monotonic() > deadline:
                raise RuntimeError(f"node {self.name} did not start:\n{self.log_tail()}")
            await asyncio.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no goodbye frames, connections just vanish."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class Cluster:
    a: Node  # created the demo workspace; the visitor's node
    b: Node
    database_url: str
    secret_key: str
    logins: dict[str, str] = field(default_factory=dict)  # email -> password
    inbox_key: str = ""

    def ensure_running(self) -> None:
        """A test that failed half-way may have left node A killed."""
        for node in (self.a, self.b):
            if not node.running:
                node.start()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _start_cluster(
    tmp_path_factory: pytest.TempPathFactory, database_url: str, redis_url: str | None
) -> Cluster:
    """Node A (migrates, creates the demo workspace) then node B, on one database."""
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}
    nodes = []
    for name, demo in (("mn-a", "true"), ("mn-b", "false")):
        data_dir = tmp_path_factory.mktemp(name)
        env = {
            **base_env,
            "KEFU_DATABASE_URL": database_url,
            "KEFU_SECRET_KEY": SECRET_KEY,
            "KEFU_DATA_DIR": str(data_dir),
            "KEFU_DEMO": demo,
            "KEFU_NODE_NAME": name,
        }
        if redis_url:
            env["KEFU_REDIS_URL"] = redis_url
        nodes.append(Node(name=name, port=_free_port(), data_dir=data_dir, env=env))
    a, b = nodes
    cluster = Cluster(a=a, b=b, database_url=database_url, secret_key=SECRET_KEY)
    try:
        a.start()
        b.start()
        admin_email = ""
        for line in (a.data_dir / "demo-logins.txt").read_text().splitlines():
            role, email, password = line.split("\t")
            cluster.logins[email] = password
            if role == "admin":
                admin_email = email
        match = re.search(r'data-inbox="([^"]+)"', httpx.get(f"{a.base_url}/demo").text)
        assert match, "the demo page carries the widget snippet"
        cluster.inbox_key = match.group(1)
        quiet_demo_inboxes(a.base_url, admin_email, cluster.logins[admin_email])
    except BaseException:
        a.stop()
        b.stop()
        raise
    return cluster


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    try:
        asyncio.run(_pg_admin(None))
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        _unavailable(f"PostgreSQL is not reachable at {PG_ADMIN_URL} ({exc})")
    probe = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        probe.ping()
    except (redis.RedisError, OSError) as exc:
        _unavailable(f"Redis is not reachable at {REDIS_URL} ({exc})")
    finally:
        probe.close()

    db_name = f"kefu_mn_{secrets.token_hex(6)}"
    database_url = (
        make_url(PG_ADMIN_URL)
        .set(drivername="postgresql+asyncpg", database=db_name)
        .render_as_string(hide_password=False)
    )
    asyncio.run(_pg_admin(f'CREATE DATABASE "{db_name}"'))
    try:
        cluster = _start_cluster(tmp_path_factory, database_url, REDIS_URL)
        try:
            yield cluster
        finally:
            cluster.a.stop()
            cluster.b.stop()
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def sqlite_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Two processes on one SQLite file (in-process brokers: each node's events stay on that
    node, so only what the database holds is compared across them)."""
    path = tmp_path_factory.mktemp("mn-sqlite") / "kefu.db"
    cluster = _start_cluster(tmp_path_factory, f"sqlite+aiosqlite:///{path}", None)
    try:
        yield cluster
    finally:
        cluster.a.stop()
        cluster.b.stop()
