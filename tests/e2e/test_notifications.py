"""In Chromium: agent A sees that agent B is viewing the same conversation, then @mentions B in
an internal note through the picker; B (another browser context) sees the bell's count go up
live (with the chime), keeps it across a reload, and opens the conversation from the panel,
which marks it read."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import KefuServer
from tests.e2e.test_console import agent_page, open_conversation, unique, visitor_send

pytestmark = pytest.mark.e2e


def test_mention_notifies_live_and_the_bell_opens_the_conversation(
    kefu_server: KefuServer, browser: Browser
) -> None:
    text = unique("My parcel arrived damaged")
    visitor_send(kefu_server, text)
    with (
        agent_page(browser, kefu_server, "alex@kefu.local") as alex,
        agent_page(browser, kefu_server, "mei@kefu.local", locale="zh-TW") as mei,
    ):
        bell = mei.locator(".notify-bell")
        badge = bell.locator(".notify-badge")
        expect(bell).to_have_attribute("aria-label", "通知")
        expect(badge).to_be_hidden()

        # Both open the conversation: each sees the other (agent collision), live.
        conversation_id = open_conversation(alex, text)
        open_conversation(mei, text)
        expect(alex.locator(".collision")).to_have_text("王小美 Mei is viewing")
        expect(mei.locator(".collision")).to_have_text("Alex Chen 正在查看")
        mei.goto(f"{kefu_server.base_url}/console/#/conversations")  # Mei leaves it
        expect(alex.locator(".collision")).to_be_hidden()

        # Alex writes an internal note and mentions Mei with the @ picker.
        alex.locator("[data-mode=note]").click()
        composer = alex.locator("#composer-input")
        composer.press_sequentially("@王")
        option = alex.get_by_role("option", name="@王小美 Mei")
        expect(option).to_be_visible()
        composer.press("Enter")
        expect(composer).to_have_value("@王小美 Mei ")
        composer.press_sequentially("please call the courier")
        composer.press("Enter")
        expect(
            alex.locator(".msg-note", has_text="@王小美 Mei please call the courier")
        ).to_be_visible()

        # Mei's bell counts it live; the unread state survives a reload.
        expect(badge).to_have_text("1")
        expect(bell).to_have_attribute("aria-label", "通知,1 則未讀")
        # With the chime (synthesised; Mei's earlier clicks let the page play audio).
        expect(mei.locator("html")).to_have_attribute("data-chimes", "1")
        mei.reload()
        expect(mei.locator(".notify-bell .notify-badge")).to_have_text("1")

        # The panel lists it; a click opens the conversation and marks it read.
        mei.locator(".notify-bell").click()
        panel = mei.get_by_role("dialog", name="通知")
        item = panel.locator(f'.notify-item[data-conversation="{conversation_id}"]')
        expect(item.locator(".notify-text")).to_have_text(
            re.compile(r"^Alex Chen在.+的對話中提及您$")
        )
        expect(item).to_have_class("notify-item is-unread")
        expect(item.locator(".notify-preview")).to_have_text("@王小美 Mei please call the courier")
        item.click()
        expect(panel).to_be_hidden()
        expect(mei).to_have_url(f"{kefu_server.base_url}/console/#/conversations/{conversation_id}")
        expect(mei.locator(".msg-note", has_text="please call the courier")).to_be_visible()
        expect(mei.locator(".notify-bell .notify-badge")).to_be_hidden()
        mei.reload()
        expect(mei.locator(".notify-bell")).to_have_attribute("aria-label", "通知")
        # Alex never gets his own mention.
        expect(alex.locator(".notify-bell .notify-badge")).to_be_hidden()
