"""Browser tests of the console's channel inboxes: the admin's channel form (write-only secrets,
the webhook URL), the channel badge, delivery states with Retry and their live updates, an
email's formatted view, and the reply window with its template picker.

The kefu server of this module runs with stand-in adapters for "telegram" and "whatsapp"
(tests/e2e/channel_standin.py): the provider is in-process, everything else is kefu's own
(webhook route, inbound, outbox, delivery states, realtime events).
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select, update

from kefu.conversations.models import Conversation
from kefu.db import Database
from tests.conftest import PG_URL, free_port
from tests.demo_inbox import quiet_demo_inboxes
from tests.e2e.conftest import KefuServer, _truncate, wait_healthy
from tests.e2e.test_console import DESKTOP, log_in

pytestmark = pytest.mark.e2e

ADMIN = "admin@kefu.local"  # zh-TW
AGENT = "alex@kefu.local"  # en
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
    server: KefuServer, channel_type: str, config: dict[str, Any]
) -> dict[str, Any]:
    with admin_http(server) as http:
        members = [
            u["id"] for u in http.get("/api/v1/users").json() if u["email"] in (ADMIN, AGENT)
        ]
        inbox: dict[str, Any] = (
            http.post(
                "/api/v1/inboxes",
                json={
                    "name": f"{channel_type} {uuid.uuid4().hex[:6]}",
                    "channel_type": channel_type,
                    "channel_config": config,
                    "channel_secrets": {"bot_token": "1:x", "webhook_secret": "hook-secret"},
                    "member_ids": members,
                },
            )
            .raise_for_status()
            .json()
        )
        return inbox


def customer_writes(server: KefuServer, inbox: dict[str, Any], text: str, **extra: Any) -> None:
    update_id = uuid.uuid4().hex
    body = {"update_id": update_id, "user": "u-42", "name": "美玲", "text": text, **extra}
    response = httpx.post(
        server.base_url + webhook_path(inbox),
        json=body,
        headers={"x-standin-secret": "hook-secret"},
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


def test_admin_creates_a_channel_inbox_and_sees_its_webhook(
    channel_server: tuple[KefuServer, str], browser: Browser
) -> None:
    server, _ = channel_server
    context, page = console(browser, server, ADMIN)  # the admin's console speaks zh-TW
    try:
        page.goto(f"{server.base_url}/console/#/inboxes")
        form = page.locator("form[aria-labelledby=inbox-form-title]")
        form.get_by_label("渠道").select_option("telegram")
        expect(form.locator("fieldset.channel-fields[data-channel=telegram]")).to_be_visible()
        expect(form.locator("textarea[name=allowed_origins]")).to_be_hidden()  # web only
        form.locator("input[name=name]").fill("Telegram 客服")
        form.locator("input[data-secret=bot_token]").fill("123456:SECRET-token")
        form.locator("input[data-secret=webhook_secret]").fill("hook-secret")
        form.locator("button[type=submit]").click()

        # The new inbox opens for editing: its webhook URL with Copy, secrets only as "set".
        url = page.locator("input.webhook-url")
        expect(url).to_have_value(re.compile(r"/webhooks/telegram/[A-Za-z0-9_-]+$"))
        expect(page.locator(".webhook-box .hint")).to_contain_text("setWebhook")
        expect(page.locator("[data-secret-state=bot_token]")).to_have_text("已設定")
        expect(page.locator("[data-secret-state=webhook_secret]")).to_have_text("已設定")
        assert "SECRET-token" not in page.content()
        expect(page.locator("input[data-secret=bot_token]")).to_have_value("")
        expect(page.locator("input[data-secret=bot_token]")).to_have_attribute(
            "placeholder", "更換（留空則保留）"
        )
        card = page.locator(".card-list li", has_text="Telegram 客服")
        expect(card.locator(".channel-badge")).to_have_text("Telegram")

        # Saving without typing a secret keeps it; the webhook still answers with it.
        page.locator("form[aria-labelledby=inbox-form-title] button[type=submit]").click()
        expect(page.locator(".toast-ok")).to_be_visible()
        with admin_http(server) as http:
            inbox = next(
                i for i in http.get("/api/v1/inboxes").json() if i["name"] == "Telegram 客服"
            )
        assert inbox["channel_secrets_set"] == ["bot_token", "webhook_secret"]
        customer_writes(server, inbox, "hello from telegram")
    finally:
        context.close()


def test_delivery_states_retry_and_live_update(
    channel_server: tuple[KefuServer, str], browser: Browser
) -> None:
    server, _ = channel_server
    inbox = create_channel_inbox(server, "telegram", {})
    question = f"where is my parcel {uuid.uuid4().hex[:6]}"
    customer_writes(server, inbox, question)
    customer_writes(
        server, inbox, "see the invoice", html="<p><b>Invoice</b> 123</p><script>x()</script>"
    )
    context, page = console(browser, server, AGENT)
    try:
        item = page.locator(".conv-item", has_text="美玲").first
        expect(item.locator(".channel-badge")).to_have_text("Telegram")
        item.click()
        expect(page.locator(".thread-title .channel-badge")).to_have_text("Telegram")

        # An email-style HTML body: text by default, the HTML on request in a sandboxed frame.
        invoice = page.locator(".msg-incoming", has_text="see the invoice")
        expect(invoice.locator("iframe")).to_have_count(0)
        invoice.get_by_role("button", name="Show formatted").click()
        frame = invoice.locator("iframe.email-frame")
        expect(frame).to_have_attribute("sandbox", "")
        assert "<b>Invoice</b>" in (frame.get_attribute("srcdoc") or "")
        expect(frame.content_frame.locator("b")).to_have_text("Invoice")
        invoice.get_by_role("button", name="Show text").click()
        expect(invoice.locator("iframe")).to_have_count(0)

        # The provider refuses the first send: failed with its reason, and Retry.
        text = "[fail] it ships today"
        page.locator("#composer-input").fill(text)
        page.locator("#composer-input").press("Enter")
        mine = page.locator(".msg-outgoing", has_text=text)
        state = mine.locator(".delivery")
        expect(state).to_have_attribute("data-delivery", "failed", timeout=15_000)
        expect(state).to_contain_text("Failed")
        expect(state).to_have_attribute("title", "Forbidden: bot was blocked by the user")
        expect(mine.locator(".delivery-error")).to_contain_text("bot was blocked")
        mine.get_by_role("button", name="Retry").click()
        # The answer says queued; "sent" arrives only by the worker's message.updated event.
        expect(state).to_have_attribute("data-delivery", "sent", timeout=15_000)
        expect(state).to_contain_text("✓ Sent")
        expect(mine.get_by_role("button", name="Retry")).to_have_count(0)
        expect(mine.locator(".delivery-error")).to_have_count(0)
    finally:
        context.close()


def _close_window(database_url: str, inbox_id: int) -> None:
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


def test_closed_window_offers_templates(
    channel_server: tuple[KefuServer, str], browser: Browser
) -> None:
    server, database_url = channel_server
    inbox = create_channel_inbox(server, "whatsapp", {"phone_number_id": "123", "waba_id": "456"})
    customer_writes(server, inbox, "is it shipped?")
    _close_window(database_url, inbox["id"])
    context, page = console(browser, server, AGENT)
    try:
        page.locator(".conv-item", has_text="is it shipped?").click()
        window = page.locator(".reply-window.is-closed")
        expect(window).to_contain_text("only approved templates can be sent")

        # A free-form reply is refused with the readable reason, not a generic error.
        page.locator("#composer-input").fill("a free-form answer")
        page.locator("#composer-input").press("Enter")
        expect(page.locator(".toast")).to_contain_text("only approved templates can be sent")

        window.get_by_role("button", name="Send a template").click()
        page.get_by_label("Parameter 1").fill("A-1001")
        page.get_by_label("Parameter 2").fill("6/1")
        expect(page.locator(".template-preview")).to_have_text("您的訂單 A-1001 已於 6/1 出貨")
        page.get_by_role("button", name="Send template").click()
        sent = page.locator(".msg-outgoing", has_text="您的訂單 A-1001 已於 6/1 出貨")
        expect(sent.locator(".delivery")).to_have_attribute("data-delivery", "sent", timeout=15_000)
    finally:
        context.close()
