"""The FAQ bot in real Chromium against `kefu serve`: a visitor asks "你們幾點開門?" in the
widget and gets the demo knowledge base's opening-hours answer, asks for a person and reaches
the queue; an agent in a second browser context sees the bot's exchange and the handoff summary
in the console."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser, expect
from starlette.types import ASGIApp

from tests.bot.fake_services import ORDER_SECRET, FakeOrderService
from tests.conftest import free_port
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


@contextmanager
def serving(app: ASGIApp) -> Iterator[str]:
    """A local HTTP server for `app` on a thread (sync Playwright owns this thread's loop)."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    eventually(lambda: server.started, "the fake service to start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def test_order_status_from_the_company_service(
    browser: Browser, kefu_server: KefuServer, admin: httpx.Client, shop_site: str
) -> None:
    service = FakeOrderService(
        orders={"MD20261124": {"order": {"status": "已出貨", "eta": "11/26"}}}
    )
    with serving(service.app()) as base:
        action = admin.post(
            "/api/v1/bot/actions",
            json={
                "key": "order_lookup",
                "names": {"zh-TW": "查詢訂單", "en": "Order status"},
                "triggers": ["查詢訂單進度"],
                "prompts": {"zh-TW": "請輸入訂單編號(MD 開頭的 10 碼):", "en": "Order number?"},
                "param_pattern": "MD[0-9]{8}",
                "url": f"{base}/orders/status",
                "secret": ORDER_SECRET,
                "answer_templates": {
                    "zh-TW": "您的訂單{{order.status}},預計 {{order.eta}} 送達。",
                    "en": "Your order is {{order.status}}, arriving {{order.eta}}.",
                },
            },
        )
        assert action.status_code == 201, action.text
        inbox = new_inbox(admin, "Order desk", "zh-TW", shop_site)
        settings = admin.get(f"/api/v1/inboxes/{inbox['id']}/bot").json()
        settings.pop("generative_api_key_set")
        settings.update(
            enabled=True,
            menu=[
                {
                    "label": {"zh-TW": "查詢訂單", "en": "Order status"},
                    "kind": "action",
                    "value": "order_lookup",
                },
                {"label": {"zh-TW": "真人客服", "en": "Talk to a person"}, "kind": "handoff"},
            ],
        )
        r = admin.put(f"/api/v1/inboxes/{inbox['id']}/bot", json=settings)
        assert r.status_code == 200, r.text

        page = browser.new_context(locale="zh-TW").new_page()
        page.goto(f"{shop_site}/?inbox={inbox['public_key']}")
        page.get_by_role("button", name="開啟客服對話").click()
        widget = page.locator("kefu-widget")
        widget.get_by_role("textbox", name="訊息").fill("你好")
        widget.get_by_role("button", name="傳送", exact=True).click()
        widget.get_by_role("button", name="查詢訂單").click(timeout=TIMEOUT)  # the menu
        log = page.locator("kefu-widget [role=log]")
        expect(log.locator(".m:not(.me)", has_text="請輸入訂單編號")).to_have_count(
            1, timeout=TIMEOUT
        )
        widget.get_by_role("textbox", name="訊息").fill("MD20261124")
        widget.get_by_role("button", name="傳送", exact=True).click()
        expect(
            log.locator(".m:not(.me)", has_text="您的訂單已出貨,預計 11/26 送達。")
        ).to_have_count(1, timeout=TIMEOUT)
    [request] = service.requests
    assert request["verified"] and b"MD20261124" in request["body"]
