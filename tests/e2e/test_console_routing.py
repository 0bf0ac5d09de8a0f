"""Browser tests of the console's routing screens against a real `kefu serve` process:
presence, the agents board, the queue and Take, routing rules and an inbox's routing settings.

The customer side is simulated with httpx against the widget API; agents use Chromium.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.conftest import KefuServer
from tests.e2e.test_console import (
    DESKTOP,
    PHONE,
    agent_page,
    log_in,
    open_conversation,
    reply,
    unique,
)

pytestmark = pytest.mark.e2e

ADMIN = "admin@kefu.local"


# --- set-up through the API ---------------------------------------------------------------------


@contextmanager
def api_as(server: KefuServer, email: str) -> Iterator[httpx.Client]:
    """An HTTP client signed in as `email`, sending the CSRF header on writes."""
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        login = client.post(
            "/api/v1/auth/login", json={"email": email, "password": server.password(email)}
        )
        login.raise_for_status()
        client.headers["x-csrf-token"] = login.json()["csrf_token"]
        yield client


def user_id(client: httpx.Client, email: str) -> int:
    users = client.get("/api/v1/users").raise_for_status().json()
    found: int = next(u["id"] for u in users if u["email"] == email)
    return found


def update_routing(client: httpx.Client, inbox_id: int, **changes: Any) -> None:
    url = f"/api/v1/inboxes/{inbox_id}/routing"
    routing = client.get(url).raise_for_status().json()
    routing.update(changes)
    client.put(url, json=routing).raise_for_status()


def visitor_writes(server: KefuServer, inbox_key: str, text: str, token: str = "") -> str:
    """A visitor's message through the widget HTTP API (no Origin: a server-side client);
    returns the visitor token that continues the same conversation."""
    response = httpx.post(
        f"{server.base_url}/api/v1/widget/{inbox_key}/messages",
        json={"text": text, "client_msg_id": uuid.uuid4().hex},
        headers={"X-Kefu-Visitor": token} if token else {},
        timeout=10,
    )
    response.raise_for_status()
    visitor_token: str = response.json()["visitor_token"]
    return visitor_token


def demo_inbox_id(client: httpx.Client, server: KefuServer) -> int:
    inboxes = client.get("/api/v1/inboxes").raise_for_status().json()
    found: int = next(i["id"] for i in inboxes if i["public_key"] == server.inbox_key)
    return found


def board_row(page: Page, name: str) -> Locator:
    return page.locator("section.board tbody tr[data-user-id]", has_text=name)


# --- tests ---------------------------------------------------------------------------------------


def test_presence_switch_shows_live_on_the_agents_board(
    kefu_server: KefuServer, browser: Browser
) -> None:
    with (
        agent_page(browser, kefu_server, ADMIN) as admin,  # the admin's locale is zh-TW
        agent_page(browser, kefu_server, "mei@kefu.local", locale="zh-TW") as mei,
    ):
        admin.locator('a[data-page="agents"]').click()
        expect(admin.get_by_role("heading", name="即時狀態")).to_be_visible()
        row = board_row(admin, "王小美 Mei")
        expect(row).to_have_attribute("data-presence", "offline")

        # Mei goes online from her header: the admin's board follows without a reload.
        switch = mei.get_by_label("我的狀態")
        expect(switch).to_have_value("offline")
        switch.select_option("online")
        expect(row).to_have_attribute("data-presence", "online")
        expect(row.get_by_label("王小美 Mei 的狀態")).to_have_value("online")
        expect(mei.locator(".presence-switch")).to_have_attribute("data-presence", "online")
        expect(mei.locator(".my-load")).to_have_text("0 / –")

        # The admin gives her a capacity and skills inline: her header shows "0 / 3" live.
        row.get_by_role("button", name="編輯 王小美 Mei").click()
        editor = admin.locator("tr.board-editor")
        editor.get_by_label("同時處理對話上限").fill("3")
        editor.get_by_label("技能").fill("退款, english")
        editor.get_by_role("button", name="儲存").click()
        expect(editor).to_have_count(0)
        expect(mei.locator(".my-load")).to_have_text("0 / 3")
        expect(row.locator(".board-load")).to_have_text("0 / 3")
        expect(row.locator(".chip")).to_have_text(["english", "退款"])

        # A lead sets Mei away; her own switch follows.
        row.get_by_label("王小美 Mei 的狀態").select_option("away")
        expect(switch).to_have_value("away")
        expect(row).to_have_attribute("data-presence", "away")

        # An agent has no Agents page.
        expect(mei.locator('a[data-page="agents"]')).to_have_count(0)
        switch.select_option("offline")
        expect(row).to_have_attribute("data-presence", "offline")


def test_queue_view_and_take(kefu_server: KefuServer, browser: Browser) -> None:
    with api_as(kefu_server, ADMIN) as api:
        alex = user_id(api, "alex@kefu.local")
        inbox = (
            api.post("/api/v1/inboxes", json={"name": unique("Queue desk"), "member_ids": [alex]})
            .raise_for_status()
            .json()
        )
        update_routing(
            api,
            inbox["id"],
            auto_assign=False,
            greeting_enabled=False,
            queued_reply_enabled=False,
            outside_hours_reply_enabled=False,
        )
        with agent_page(browser, kefu_server, "alex@kefu.local") as page:
            page.locator('a[data-page="queue"]').click()
            expect(page.get_by_role("heading", name="Queue", exact=True)).to_be_visible()
            text = unique("Where is my parcel?")
            visitor_writes(kefu_server, inbox["public_key"], text)

            item = page.locator(".queue-item", has_text=text)
            expect(item).to_be_visible()  # live, from queue.updated
            expect(item.locator(".queue-number")).to_have_attribute("aria-label", "Queue number 1")
            expect(item.locator(".queue-position")).to_have_text("Position 1")
            expect(item.locator(".priority-pill")).to_have_text("Normal")
            wait = item.locator(".queue-wait")
            expect(wait).to_have_text(re.compile(r"^0:\d\d$"))
            expect(wait).not_to_have_text(wait.inner_text(), timeout=5000)  # it ticks
            expect(page.locator('.nav-link[data-page="queue"] .nav-badge')).to_have_text("1")
            conversation_id = item.get_attribute("data-id")

            # At capacity: the refusal is readable, and the conversation stays in the queue.
            api.put(
                f"/api/v1/agents/{alex}/routing", json={"max_conversations": 0, "skills": []}
            ).raise_for_status()
            item.locator("button.take").click()
            expect(page.locator("#toasts")).to_contain_text(
                "Could not take it: That would go past the limit of open conversations."
            )
            expect(item).to_be_visible()
            api.put(
                f"/api/v1/agents/{alex}/routing", json={"max_conversations": None, "skills": []}
            ).raise_for_status()

            item.locator("button.take").click()
            expect(page).to_have_url(re.compile(rf"#/conversations/{conversation_id}$"))
            expect(page.locator("#assignee-select option:checked")).to_have_text("Alex Chen")
            expect(
                page.locator(".msg-activity", has_text="Alex Chen took the conversation")
            ).to_be_visible()
            expect(page.locator('.nav-link[data-page="queue"] .nav-badge')).to_be_hidden()
            page.locator('a[data-page="queue"]').click()
            expect(page.get_by_text("Nobody is waiting.")).to_be_visible()

            # Alex hands it on to a team's queue with a note: it waits in the queue again.
            page.goto(f"{kefu_server.base_url}/console/#/conversations/{conversation_id}")
            page.locator("[data-action=transfer]").click()
            dialog = page.get_by_role("dialog", name="Transfer conversation")
            dialog.get_by_label("A team's queue").check()
            dialog.get_by_label("Team", exact=True).select_option(label="客服一組 Support")
            dialog.get_by_label("Note").fill("Billing question, over to you")
            dialog.get_by_role("button", name="Transfer", exact=True).click()
            expect(dialog).to_be_hidden()
            moved = page.locator(".msg-activity", has_text="Alex Chen moved the conversation")
            expect(moved).to_contain_text("queue of team 客服一組 Support")
            expect(moved.locator(".activity-note")).to_have_text("Billing question, over to you")
            expect(page.locator("#assignee-select option:checked")).to_have_text("Unassigned")
            expect(page.locator("[data-action=transfer]")).to_be_focused()
            expect(page.locator('.nav-link[data-page="queue"] .nav-badge')).to_have_text("1")


def test_rule_from_the_rules_page_routes_a_conversation(
    kefu_server: KefuServer, browser: Browser
) -> None:
    with api_as(kefu_server, ADMIN) as api:
        team = unique("退款組 Refunds")
        api.post("/api/v1/teams", json={"name": team, "member_ids": []}).raise_for_status()
        first = unique("VIP customers")
        api.post(
            "/api/v1/routing/rules",
            json={
                "name": first,
                "conditions": {
                    "items": [{"field": "contact_attribute", "name": "vip", "equals": True}]
                },
                "actions": {"tags": ["vip"], "priority": "high"},
            },
        ).raise_for_status()

    with agent_page(browser, kefu_server, ADMIN) as page:
        page.locator('a[data-page="rules"]').click()
        expect(page.get_by_role("heading", name="分派規則", exact=True)).to_be_visible()
        name = unique("退款")
        form = page.locator("form.rule-form")
        form.get_by_label("名稱").fill(name)
        form.get_by_role("button", name="新增條件").click()
        expect(form.get_by_label("條件 1", exact=True)).to_have_value("keywords")
        form.get_by_label("關鍵字", exact=True).fill("退款")
        form.get_by_label("分派到團隊").select_option(label=team)
        form.get_by_label("加上標籤").fill("refund")
        form.get_by_role("button", name="建立").click()

        card = page.locator(".rule-card", has_text=name)
        expect(card.locator(".rule-when")).to_have_text("當訊息提到 退款")
        expect(card.locator(".rule-then")).to_have_text(f"→ 團隊 {team} · 標籤 refund")
        titles = page.locator(".rule-card .card-title")
        expect(titles).to_have_text([first, name])
        card.get_by_role("button", name=f"上移 {name}").click()
        expect(titles).to_have_text([name, first])

        # A customer asks for a refund: the conversation shows the team and the tag.
        text = unique("我要退款")
        visitor_writes(kefu_server, kefu_server.inbox_key, text)
        page.locator('a[data-page="conversations"]').click()
        open_conversation(page, text)
        expect(page.locator(".details .conv-team")).to_have_text(team)
        expect(page.locator(".thread-head .chip-tag")).to_have_text(["refund"])
        expect(page.locator(".details .conv-tags .chip")).to_have_text(["refund"])
        expect(
            page.locator(".msg-activity", has_text=f"已分派:團隊 {team} · 標籤 refund")
        ).to_be_visible()
        item = page.locator(".conv-item", has_text=text)
        expect(item.locator(".chip-tag")).to_have_text(["refund"])

        # Delete the rule again (with a confirmation) so later conversations are not routed.
        page.locator('a[data-page="rules"]').click()
        page.get_by_role("button", name=f"刪除規則 {name}").click()
        page.get_by_role("button", name="刪除", exact=True).click()
        expect(titles).to_have_text([first])


def test_inbox_routing_settings_form(kefu_server: KefuServer, browser: Browser) -> None:
    with api_as(kefu_server, ADMIN) as api:
        inbox_id = demo_inbox_id(api, kefu_server)
        before = api.get(f"/api/v1/inboxes/{inbox_id}/routing").raise_for_status().json()
    with agent_page(browser, kefu_server, ADMIN) as page:
        page.locator('a[data-page="inboxes"]').click()
        page.locator(f'.row-card[data-inbox="{inbox_id}"] a', has_text="分派設定").click()
        form = page.locator("form.routing-form")
        expect(form).to_be_visible()
        expect(page.locator('.nav-link[data-page="inboxes"]')).to_have_attribute(
            "aria-current", "page"
        )

        # A server-side validation error is shown next to the Save button.
        form.get_by_label("時區").fill("Mars/Olympus_Mons")
        form.get_by_role("button", name="儲存").click()
        error = form.locator(".form-actions .form-error")
        expect(error).to_be_visible()
        expect(error).not_to_be_empty()

        form.get_by_label("時區").fill("Asia/Taipei")
        form.get_by_label("每位客服人員的對話上限").fill("7")
        form.get_by_label("客服人員離線時").select_option("requeue")
        form.get_by_label("啟用營業時間").check()
        saturday = form.locator("fieldset", has=page.locator("legend", has_text="星期六"))
        saturday.get_by_role("button", name="新增時段").click()
        saturday.get_by_label("星期六 開始時間").fill("10:00")
        saturday.get_by_label("星期六 結束時間").fill("14:00")
        form.get_by_role("button", name="新增休假日").click()
        form.get_by_label("休假日 1", exact=True).fill("2026-01-01")
        form.get_by_label("歡迎訊息 (English)").fill("Hello from the test!")
        form.get_by_label("追蹤服務時效目標").check()
        form.get_by_label("緊急:首次回覆(分鐘)").fill("15")
        form.get_by_role("button", name="新增類別").click()
        form.get_by_label("代碼", exact=True).fill("billing")
        form.get_by_label("名稱(繁體中文)").fill("帳務")
        form.get_by_label("名稱(English)").fill("Billing")
        form.get_by_role("button", name="儲存").click()
        expect(page.locator("#toasts")).to_contain_text("已儲存")

    with api_as(kefu_server, ADMIN) as api:
        after = api.get(f"/api/v1/inboxes/{inbox_id}/routing").raise_for_status().json()
        update_routing(api, inbox_id, **before)  # leave the demo inbox as it was
    assert after["max_conversations_per_agent"] == 7
    assert after["on_agent_offline"] == "requeue"
    assert after["business_hours"]["enabled"] is True
    assert after["business_hours"]["weekly"]["sat"] == [["10:00", "14:00"]]
    assert after["business_hours"]["weekly"]["mon"] == [["09:00", "18:00"]]
    assert after["business_hours"]["holidays"] == ["2026-01-01"]
    assert after["auto_replies"]["greeting"]["en"] == "Hello from the test!"
    assert after["auto_replies"]["greeting"]["zh-TW"] == before["auto_replies"]["greeting"]["zh-TW"]
    assert after["sla"]["enabled"] is True
    assert after["sla"]["targets"]["urgent"]["first_response_minutes"] == 15
    assert after["topics"] == [
        {"key": "billing", "label": {"zh-TW": "帳務", "en": "Billing"}, "team_id": None}
    ]
    assert after["greeting_enabled"] is False  # untouched: the suite keeps replies off


def test_sla_clocks_count_down_turn_overdue_and_are_met(
    kefu_server: KefuServer, browser: Browser
) -> None:
    with api_as(kefu_server, ADMIN) as api:
        inbox = (
            api.post("/api/v1/inboxes", json={"name": unique("SLA desk")}).raise_for_status().json()
        )
        update_routing(
            api,
            inbox["id"],
            auto_assign=False,
            greeting_enabled=False,
            queued_reply_enabled=False,
            outside_hours_reply_enabled=False,
            sla={
                "enabled": True,
                "business_hours": False,
                "targets": {
                    "normal": {
                        "first_response_minutes": 5,
                        "next_response_minutes": 10,
                        "resolution_minutes": 600,
                    }
                },
            },
        )
    text = unique("Is anyone there?")
    token = visitor_writes(kefu_server, inbox["public_key"], text)

    context = browser.new_context(locale="en-US", viewport=DESKTOP)
    context.clock.install()  # the console's clock: fast-forwarded below, the server's is real
    try:
        page = context.new_page()
        page.goto(f"{kefu_server.base_url}/console/")
        log_in(page, kefu_server, ADMIN)
        open_conversation(page, text)
        badge = page.locator(".thread-head .sla-badge")
        first = page.locator('.details .sla-item[data-kind="first_response"]')
        expect(badge).to_have_attribute("data-sla", "running")
        expect(badge).to_have_text(re.compile(r"^首次回覆: 剩 [45] 分鐘$"))
        expect(first).to_have_attribute("data-sla", "running")
        expect(page.locator('.details .sla-item[data-kind="resolution"]')).to_contain_text("剩 9")

        page.clock.fast_forward("06:00")
        expect(badge).to_have_attribute("data-sla", "overdue")
        expect(badge).to_have_text(re.compile(r"^已逾時 · 首次回覆: 逾時 \d+ 分鐘$"))
        expect(first.locator(".sla-state")).to_have_text(re.compile(r"^逾時 \d+ 分鐘$"))

        reply(page, unique("Yes, sorry for the wait"))
        expect(first).to_have_attribute("data-sla", "met")
        expect(first.locator(".sla-state")).to_have_text("已達成")
        expect(badge).to_have_attribute("data-sla", "running")  # resolution is still running

        # The customer writes again: a next-response clock starts (its due time is set by the
        # server's worker a few seconds later).
        visitor_writes(kefu_server, inbox["public_key"], unique("One more thing"), token)
        following = page.locator('.details .sla-item[data-kind="next_response"]')
        expect(following).to_have_attribute("data-sla", "running", timeout=20_000)
    finally:
        context.close()


def test_queue_and_agents_on_a_phone(kefu_server: KefuServer, browser: Browser) -> None:
    with agent_page(
        browser, kefu_server, ADMIN, viewport=PHONE, is_mobile=True, has_touch=True
    ) as page:
        expect(page.get_by_label("我的狀態")).to_be_visible()
        page.locator('a[data-page="queue"]').click()
        expect(page.get_by_role("heading", name="等候中的對話")).to_be_visible()
        page.screenshot(path="/tmp/console-phone-queue.png")
        page.locator('a[data-page="agents"]').click()
        expect(page.get_by_role("heading", name="即時狀態")).to_be_visible()
        page.screenshot(path="/tmp/console-phone-agents.png")


def test_reply_is_for_the_assignee_when_the_inbox_says_so(
    kefu_server: KefuServer, browser: Browser
) -> None:
    text = f"only the assignee {uuid.uuid4().hex[:6]}"
    with api_as(kefu_server, ADMIN) as admin_api:
        inbox_id = demo_inbox_id(admin_api, kefu_server)
        admin_api.patch(
            f"/api/v1/inboxes/{inbox_id}", json={"reply_permission": "assignee"}
        ).raise_for_status()
        try:
            visitor_writes(kefu_server, kefu_server.inbox_key, text)
            with agent_page(browser, kefu_server, "mei@kefu.local") as mei:
                conversation_id = open_conversation(mei, text)
                alex = user_id(admin_api, "alex@kefu.local")
                admin_api.post(
                    f"/api/v1/conversations/{conversation_id}/transfer",
                    json={"assignee_id": alex, "force": True},
                ).raise_for_status()
                reply_mode = mei.locator(".composer .mode[data-mode=reply]")
                expect(reply_mode).to_be_disabled()
                expect(mei.locator("form.composer")).to_have_class(re.compile("is-note"))
                # Handed to 王小美: she may answer the customer, live.
                admin_api.post(
                    f"/api/v1/conversations/{conversation_id}/transfer",
                    json={"assignee_id": user_id(admin_api, "mei@kefu.local"), "force": True},
                ).raise_for_status()
                expect(reply_mode).to_be_enabled()
        finally:
            admin_api.patch(
                f"/api/v1/inboxes/{inbox_id}", json={"reply_permission": "anyone"}
            ).raise_for_status()
