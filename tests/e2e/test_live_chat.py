"""Both sides in real Chromium: a visitor in the widget on the demo page and an agent in the
console, in two browser contexts, talking live."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect

from tests.e2e.conftest import KefuServer
from tests.e2e.test_console import agent_page, conversation_item, open_conversation, reply
from tests.e2e.test_widget import TIMEOUT, bubbles, delivered, open_chat, open_demo, send

pytestmark = pytest.mark.e2e

XSS = "<img src=x onerror=alert(1)>"


def incoming(page: Page) -> list[str]:
    return page.locator(".thread .msg-incoming .msg-text").all_inner_texts()


def test_visitor_and_agent_talk_live_in_two_browsers(
    browser: Browser, kefu_server: KefuServer
) -> None:
    marker = uuid.uuid4().hex[:6]
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    visitor = open_demo(browser, kefu_server)
    visitor.on("dialog", on_dialog)
    with agent_page(browser, kefu_server, "mei@kefu.local") as agent:
        agent.on("dialog", on_dialog)
        open_chat(visitor)
        first = f"你好 hello 👋 {marker}"
        send(visitor, first)
        delivered(visitor, first)

        # The agent's open console shows it without reload; the agent opens it and replies.
        expect(conversation_item(agent, marker)).to_be_visible(timeout=TIMEOUT)
        open_conversation(agent, marker)
        answer = f"您好,請問有什麼需要? {marker}"
        reply(agent, answer)
        expect(bubbles(visitor).filter(has_text=answer)).to_have_count(1, timeout=TIMEOUT)

        # The visitor's XSS payload is text in both places.
        send(visitor, XSS)
        delivered(visitor, XSS)
        agent_line = agent.locator(".thread .msg-incoming", has_text=XSS)
        expect(agent_line).to_have_count(1, timeout=TIMEOUT)
        assert agent.locator(".thread img[src=x]").count() == 0
        assert visitor.locator("kefu-widget img").count() == 0

        # Offline: the visitor keeps typing; on reconnect each message arrives once, in order.
        visitor.context.set_offline(True)
        queued = [f"offline {i} {marker}" for i in range(3)]
        for text in queued:
            send(visitor, text)
        visitor.context.set_offline(False)
        for text in queued:
            delivered(visitor, text)
        expect(agent.locator(".thread .msg-incoming", has_text="offline 2")).to_have_count(
            1, timeout=TIMEOUT
        )
        texts = incoming(agent)
        assert [t for t in texts if t.startswith("offline")] == queued

        # Reload: the visitor's history is still there.
        visitor.reload()
        open_chat(visitor)
        expect(bubbles(visitor).filter(has_text=answer)).to_have_count(1, timeout=TIMEOUT)
        expect(bubbles(visitor).filter(has_text=queued[-1])).to_have_count(1, timeout=TIMEOUT)
    assert dialogs == []
    visitor.context.close()
