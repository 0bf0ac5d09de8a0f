"""A `kefu serve` process with the stand-in channel adapters (tests/e2e/channel_standin.py),
for the console's channel browser tests, and the steps those tests share: an admin's HTTP
client, channel inboxes, a customer writing through a signed stand-in webhook, aging a reply
window. A test module uses the fixture by importing it (`from tests.e2e.channel_server import
channel_server`); each module gets its own server."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import select, update

from kefu.conversations.models import Conversation
from kefu.db import Database
from tests.conftest import PG_URL, free_port
from tests.demo_inbox import quiet_demo_inboxes
from tests.e2e.conftest import KefuServer, _truncate, wait_healthy
from tests.e2e.test_console import DESKTOP, log_in

ADMIN = "admin@kefu.local"  # zh-TW
AGENT = "alex@kefu.local"  # en
HOOK_SECRET = "hook-secret"
LAUNCH = (
    "import sys; from tests.e2e.channel_standin import install; install(); "
    "from kefu.cli import main; sys.exit(main(sys.argv[1:]))"
)


@pytest.fixture(scope="module")
def channel_server(
    migrated_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[KefuServer, str]]:
    """`kefu serve` with the stand-in adapters; also yields its database URL."""
    data_dir = tmp_path_factory.mktemp("e2e-channels")
    if PG_URL:
        _truncate(PG_URL)
        database_url = PG_URL
    else:
        database_url = f"sqlite+aiosqlite:///{data_dir / 'kefu.db'}"
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(Path.cwd()), str(Path.cwd() / "src")]),
        "KEFU_DATA_DIR": str(data_dir),
        "KEFU_DATABASE_URL": database_url,
        "KEFU_REDIS_URL": "",
        "KEFU_SECRET_KEY": "e2e-secret-" + "k" * 32,
        "KEFU_DEMO": "true",
        # Sends are the worker's: a short round keeps the live states quick to arrive.
        "KEFU_WORKER_INTERVAL_SECONDS": "0.5",
    }
    with open(data_dir / "server.log", "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", LAUNCH, "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_healthy(base_url, process, data_dir / "server.log")
        logins = {}
        for line in (data_dir / "demo-logins.txt").read_text().splitlines():
            role, email, password = line.split("\t")
            logins[email] = (role, password)
        quiet_demo_inboxes(base_url, ADMIN, logins[ADMIN][1])
        yield KefuServer(base_url, data_dir, logins, "", process), database_url
    finally:
        process.terminate()
        process.wait(10)


@contextmanager
def admin_http(server: KefuServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=10) as http:
        credentials = {"email": ADMIN, "password": server.password(ADMIN)}
        login = http.post("/api/v1/auth/login", json=credentials)
        login.raise_for_status()
        http.headers["x-csrf-token"] = login.json()["csrf_token"]
        yield http


def create_channel_inbox(
    server: KefuServer,
    channel_type: str,
    config: dict[str, Any],
    members: Iterable[str] = (ADMIN, AGENT),
) -> dict[str, Any]:
    """A channel inbox of the stand-in adapter, with these users (emails) as members."""
    emails = set(members)
    with admin_http(server) as http:
        member_ids = [u["id"] for u in http.get("/api/v1/users").json() if u["email"] in emails]
        inbox: dict[str, Any] = (
            http.post(
                "/api/v1/inboxes",
                json={
                    "name": f"{channel_type} {uuid.uuid4().hex[:6]}",
                    "channel_type": channel_type,
                    "channel_config": config,
                    "channel_secrets": {"bot_token": "1:x", "webhook_secret": HOOK_SECRET},
                    "member_ids": member_ids,
                },
            )
            .raise_for_status()
            .json()
        )
        return inbox


def customer_writes(
    server: KefuServer,
    inbox: dict[str, Any],
    text: str,
    *,
    user: str = "u-42",
    name: str = "美玲",
    **extra: Any,
) -> None:
    """A message through the inbox's signed stand-in webhook; `extra`: html, phone, email,
    verified_phone (the details the adapter hands to matching)."""
    body = {"update_id": uuid.uuid4().hex, "user": user, "name": name, "text": text, **extra}
    response = httpx.post(
        server.base_url + webhook_path(inbox),
        json=body,
        headers={"x-standin-secret": HOOK_SECRET},
        timeout=10,
    )
    assert response.status_code == 200, response.text


def webhook_path(inbox: dict[str, Any]) -> str:
    url: str = inbox["webhook_url"]
    return "/webhooks/" + url.split("/webhooks/", 1)[1]


def console(browser: Browser, server: KefuServer, email: str) -> tuple[Any, Page]:
    context = browser.new_context(locale="en-US", viewport=DESKTOP)
    page = context.new_page()
    page.goto(f"{server.base_url}/console/")
    log_in(page, server, email)
    return context, page


def close_window(database_url: str, inbox_id: int) -> None:
    """The customer's last message was two days ago (a direct write: no API ages a window)."""

    async def run() -> None:
        # Database.write(): BEGIN IMMEDIATE on SQLite, as the server's own writes (a deferred
        # transaction that reads, then writes, fails when the server wrote in between).
        db = Database(database_url)
        async with db.write() as session:
            rows = (
                await session.execute(
                    select(Conversation.id, Conversation.channel_context).where(
                        Conversation.inbox_id == inbox_id
                    )
                )
            ).all()
            for conv_id, context in rows:
                aged = dict(context or {})
                aged["last_inbound_at"] = (datetime.now(UTC) - timedelta(days=2)).isoformat()
                await session.execute(
                    update(Conversation)
                    .where(Conversation.id == conv_id)
                    .values(channel_context=aged)
                )
        await db.dispose()

    with ThreadPoolExecutor(1) as pool:  # sync Playwright keeps a loop in this thread
        pool.submit(asyncio.run, run()).result()
