"""The FAQ bot in real Chromium against `kefu serve`: a visitor asks "你們幾點開門?" in the
widget and gets the demo knowledge base's opening-hours answer, asks for a person and reaches
the queue; an agent in a second browser context sees the bot's exchange and the handoff summary
in the console."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.e2e import test_queue
from tests.e2e.conftest import KefuServer
from tests.e2e.test_console import agent_page
from tests.e2e.test_queue import TIMEOUT, eventually, new_inbox, set_routing

admin = test_queue.admin  # the demo admin's API session (a fixture)

pytestmark = [pytest.mark.e2e]


def test_visitor_gets_the_answer_then_a_person(
    browser: Browser, kefu_server: KefuServer, admin: httpx.Client, shop_site: str
) -> None:
    inbox = new_inbox(admin, "Bot desk", "zh-TW", shop_site)
    routing = admin.get(f"/api/v1/inboxes/{inbox['id']}/routing").json()
    set_routing(
        admin,
        inbox["id"],
        auto_assign=False,
        queued_reply_enabled=True,
        business_hours={**routing["business_hours"], "enabled": False},  # always open
    )
    settings = admin.get(f"/api/v1/inboxes/{inbox['id']}/bot").json()
    settings.pop("generative_api_key_set")
    r = admin.put(f"/api/v1/inboxes/{inbox['id']}/bot", json={**settings, "enabled": True})
    assert r.status_code == 200, r.text

    page = browser.new_context(locale="zh-TW").new_page()
    page.goto(f"{shop_site}/?inbox={inbox['public_key']}")
    page.get_by_role("button", name="開啟客服對話").click()
    page.get_by_role("textbox", name="訊息").fill("你們幾點開門?")
    page.get_by_role("button", name="傳送", exact=True).click()

    log = page.locator("kefu-widget [role=log]")
    # The demo knowledge base's answer (a Q&A pair) and the article behind it.
    answer = log.locator(".m:not(.me)", has_text="門市平日 11:00–21:00")
    expect(answer).to_have_count(1, timeout=TIMEOUT)
    expect(answer).to_contain_text("/help/zh-TW/articles/store-hours")
    person = page.locator("kefu-widget").get_by_role("button", name="轉真人")
    expect(person).to_be_visible()
    person.click()
    expect(log.locator(".m:not(.me)", has_text="已為您轉接真人客服")).to_have_count(
        1, timeout=TIMEOUT
    )
    expect(page.locator("kefu-widget [data-kefu-queue]")).to_contain_text("1", timeout=TIMEOUT)

    def queued() -> dict[str, Any] | None:
        items = admin.get("/api/v1/conversations", params={"status": "all"}).json()["items"]
        mine = [c for c in items if c["inbox_id"] == inbox["id"]]
        return mine[0] if mine and mine[0]["queued_at"] else None

    conversation = eventually(queued, "the conversation in the queue")
    assert conversation["routing_state"] == "routed" and conversation["queue_number"] == 1

    with agent_page(browser, kefu_server, "admin@kefu.local") as console:
        console.goto(f"{kefu_server.base_url}/console/#/conversations/{conversation['id']}")
        bot = console.locator(".msg-bot", has_text="門市平日 11:00–21:00")
        expect(bot).to_be_visible(timeout=TIMEOUT)
        expect(bot.locator(".bot-label")).to_have_text("機器人")  # the demo admin reads zh-TW
        expect(console.locator(".msg-incoming", has_text="你們幾點開門?")).to_be_visible()
        handoff = console.locator('.msg-activity[data-activity="bot_handoff"]')
        expect(handoff.locator(".activity-text")).to_have_text(
            "機器人已轉接真人（回答沒有幫助）：客戶詢問:你們幾點開門?(回答沒有幫助)"
        )
