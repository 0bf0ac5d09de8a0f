"""Browser test of the workflow in the console against a real `kefu serve` process: an agent
tags a conversation, snoozes it (it leaves the open list), inserts a canned response with "/"
(its {{contact.name}} filled in) and sends it, the customer sees it; the snoozed list's bulk
bar resolves it.

The customer side is simulated with httpx against the widget API; the agent uses Chromium.
"""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from playwright.sync_api import Browser, Dialog, expect

from tests.e2e.conftest import KefuServer
from tests.e2e.test_console import agent_page, conversation_item, open_conversation, visitor_texts
from tests.e2e.test_console_routing import api_as

pytestmark = pytest.mark.e2e

AGENT = "alex@kefu.local"
XSS_TAG = "<img src=x onerror=alert(1)>"


def test_tag_snooze_and_canned_response(kefu_server: KefuServer, browser: Browser) -> None:
    uid = uuid.uuid4().hex[:6]
    customer = f"林小華 {uid}"
    shortcut = f"thanks{uid}"
    with api_as(kefu_server, AGENT) as api:
        api.post(
            "/api/v1/canned-responses",
            json={
                "shortcut": shortcut,
                "title": "Thanks for waiting",
                "content": "Hi {{contact.name}}, your refund is on its way. {{order.number}}",
            },
        ).raise_for_status()
    first = f"我要退款 {uid}"
    sent = httpx.post(
        f"{kefu_server.base_url}/api/v1/widget/{kefu_server.inbox_key}/messages",
        json={"text": first, "client_msg_id": uid, "prechat": {"name": customer}},
        timeout=10,
    )
    sent.raise_for_status()
    token = sent.json()["visitor_token"]

    with agent_page(browser, kefu_server, AGENT) as page:
        dialogs: list[str] = []

        def on_dialog(dialog: Dialog) -> None:
            dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        open_conversation(page, first)
        head = page.locator(".thread-head")

        # Tags: a new name joins the catalogue with a colour; a hostile name is only text.
        for name in ("退款請求", XSS_TAG):
            head.locator("[data-action=add-tag]").click()
            page.locator("#tag-input").fill(name)
            page.locator("#tag-input").press("Enter")
            expect(head.locator(".tags .chip-tag", has_text=name)).to_be_visible()
        chip = head.locator(".tags .chip-tag", has_text="退款請求")
        expect(chip).to_have_class(re.compile(r"\bis-coloured\b"))  # the catalogue's colour
        expect(
            conversation_item(page, first).locator(".chip-tag", has_text="退款請求")
        ).to_be_visible()
        expect(page.locator(".msg-activity", has_text="added tags: 退款請求")).to_be_visible()

        # Snooze until tomorrow: it leaves the open list, and shows under "Snoozed".
        head.locator("[data-action=snooze]").click()
        head.locator("[data-snooze=tomorrow]").click()
        expect(head.locator(".pill.status-snoozed")).to_have_text("Snoozed")
        expect(head.locator(".snoozed-until")).to_contain_text("Snoozed until")
        expect(conversation_item(page, first)).to_have_count(0)
        expect(
            page.locator(".msg-activity", has_text="snoozed the conversation until")
        ).to_be_visible()

        # "/" opens the canned responses; typing narrows them; Enter inserts with the
        # customer's name filled in (the unknown variable stays as written).
        composer = page.locator("#composer-input")
        composer.click()
        composer.press_sequentially(f"/{shortcut[:-2]}")
        option = page.locator(".canned-list [role=option]", has_text=f"/{shortcut}")
        expect(option).to_be_visible()
        expect(composer).to_have_attribute("aria-expanded", "true")
        composer.press("Enter")
        expected = f"Hi {customer}, your refund is on its way. {{{{order.number}}}}"
        expect(composer).to_have_value(expected)
        expect(page.locator(".canned-list")).to_be_hidden()
        composer.press("Enter")
        expect(page.locator(".msg-outgoing:not(.is-pending)", has_text=expected)).to_have_count(1)
        assert expected in visitor_texts(kefu_server, token)

        # The snoozed list, with its chips; the bulk bar resolves the selection.
        page.locator("#status-filter").select_option("snoozed")
        item = conversation_item(page, expected)
        expect(item).to_be_visible()
        expect(item.locator(".chip-tag", has_text=XSS_TAG)).to_be_visible()
        expect(item.locator(".status-snoozed")).to_contain_text("Snoozed until")
        page.locator(f".conv-select[data-id='{item.get_attribute('data-id')}']").check()
        expect(page.locator(".bulk-all")).to_contain_text("1 selected")
        page.locator("[data-bulk=resolve]").click()
        expect(conversation_item(page, expected)).to_have_count(0)
        expect(head.locator(".pill.status-resolved")).to_be_visible()
        assert dialogs == []
        assert not [e for e in errors if "favicon" not in e], errors
