"""Browser tests of the console's channel inboxes: the admin's channel form (write-only secrets,
the webhook URL), the channel badge, delivery states with Retry and their live updates, an
email's formatted view, and the reply window with its template picker.

The kefu server of this module runs with stand-in adapters for "telegram" and "whatsapp"
(tests/e2e/channel_standin.py): the provider is in-process, everything else is kefu's own
(webhook route, inbound, outbox, delivery states, realtime events).
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.channel_server import (
    ADMIN,
    AGENT,
    admin_http,
    channel_server,
    close_window,
    console,
    create_channel_inbox,
    customer_writes,
)
from tests.e2e.conftest import KefuServer

__all__ = ["channel_server"]  # the fixture, imported for this module's tests

pytestmark = pytest.mark.e2e


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
        expect(page.locator(".toast-ok", has_text="已儲存")).to_be_visible()  # not "已建立"
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


def test_closed_window_offers_templates(
    channel_server: tuple[KefuServer, str], browser: Browser
) -> None:
    server, database_url = channel_server
    inbox = create_channel_inbox(server, "whatsapp", {"phone_number_id": "123", "waba_id": "456"})
    customer_writes(server, inbox, "is it shipped?")
    close_window(database_url, inbox["id"])
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
