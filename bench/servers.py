"""Server processes under test (kefu nodes, the baseline) and the services they need: a fresh
SQLite directory or PostgreSQL database, and a private Redis. Everything listens on loopback."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import httpx
import psutil

REPO = Path(__file__).resolve().parent.parent
PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """One server process; its output goes to a log file in the run directory."""

    name: str
    argv: list[str]
    env: dict[str, str]
    port: int
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            self.argv, env=self.env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.log_path}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not start in {START_TIMEOUT}s; see {self.log_path}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def rss(self) -> int:
        """Resident memory of the server process and any children, in bytes."""
        assert self.proc is not None
        proc = psutil.Process(self.proc.pid)
        return int(sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)]))

    def cpu_seconds(self) -> float:
        assert self.proc is not None
        times = psutil.Process(self.proc.pid).cpu_times()
        return float(times.user + times.system)


@dataclass
class Environment:
    """A fresh data directory, and for PostgreSQL a fresh database and a private Redis."""

    db: str
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="kefu-bench-")))
    database_url: str = ""
    redis_url: str = ""
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    _pg_name: str = ""
    _redis: subprocess.Popen[bytes] | None = None

    def setup(self, redis_url: str | None = None) -> None:
        if self.db == "sqlite":
            self.database_url = f"sqlite+aiosqlite:///{self.root / 'kefu.db'}"
            return
        self._pg_name = f"kefu_bench_{secrets.token_hex(4)}"
        asyncio.run(_pg_admin(f'CREATE DATABASE "{self._pg_name}"'))
        self.database_url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{self._pg_name}"
        self.redis_url = redis_url or self._start_redis()

    def _start_redis(self) -> str:
        # A private Redis: kefu's pub/sub channel is global to a Redis server, and other test
        # suites on this machine may be using the shared one.
        port = free_port()
        self._redis = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", ""]
            + ["--appendonly", "no", "--dir", str(self.root)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    return f"redis://127.0.0.1:{port}/0"
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def teardown(self) -> None:
        if self._redis is not None:
            self._redis.terminate()
            self._redis.wait(timeout=10)
        if self._pg_name:
            asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{self._pg_name}" WITH (FORCE)'))
        shutil.rmtree(self.root, ignore_errors=True)

    def kefu_node(self, index: int) -> Server:
        port = free_port()
        env = {
            **os.environ,
            "KEFU_DATA_DIR": str(self.root / f"node{index}"),
            "KEFU_DATABASE_URL": self.database_url,
            "KEFU_REDIS_URL": self.redis_url,
            "KEFU_SECRET_KEY": self.secret_key,
            "KEFU_DEMO": "true",
            "KEFU_NODE_NAME": f"bench{index}",
            "KEFU_PUBLIC_URL": "",
        }
        return Server(
            name=f"kefu node {index}",
            argv=[sys.executable, "-m", "kefu.cli", "serve", "--port", str(port)],
            env=env,
            port=port,
            log_path=self.root / f"node{index}.log",
        )

    def baseline(self) -> Server:
        port = free_port()
        return Server(
            name="baseline",
            argv=[sys.executable, "-m", "bench.baseline_server", "--port", str(port)],
            env=dict(os.environ),
            port=port,
            log_path=self.root / "baseline.log",
        )

    def count_messages(self) -> int:
        """Rows in the messages table: what the database has actually persisted."""
        return self.scalar("SELECT count(*) FROM messages")

    def count_unrouted(self) -> int:
        """Conversations whose routing step has not run yet (the dispatcher works through them
        after their first message)."""
        return self.scalar(
            "SELECT count(*) FROM conversations WHERE routing_state IN ('new', 'reopened')"
        )

    def scalar(self, sql: str) -> int:
        if self.db == "sqlite":
            con = sqlite3.connect(f"file:{self.root / 'kefu.db'}?mode=ro", uri=True, timeout=30)
            try:
                return int(con.execute(sql).fetchone()[0])
            finally:
                con.close()
        return asyncio.run(_pg_scalar(self.database_url, sql))


async def _pg_admin(sql: str) -> None:
    con = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await con.execute(sql)
    finally:
        await con.close()


async def _pg_scalar(url: str, sql: str) -> int:
    con = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return int(await con.fetchval(sql))
    finally:
        await con.close()
