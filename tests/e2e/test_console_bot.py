"""Browser tests of the console's FAQ-bot screens against a real `kefu serve` process: an inbox's
bot settings, HTTP actions and their Test box, agent assist in an open conversation, and the
learning loop (an unanswered question group -> a Q&A pair).

Set-up goes through the API (httpx); the admin and agents use Chromium. The demo admin's
console speaks zh-TW, so the admin pages are driven by their zh-TW labels.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import KefuServer
from tests.e2e.test_console import PHONE, agent_page, open_conversation, unique
from tests.e2e.test_console_routing import ADMIN, api_as, visitor_writes

pytestmark = pytest.mark.e2e


def new_inbox(api: httpx.Client, name: str) -> dict[str, Any]:
    """A widget inbox whose members are every active agent, automatic replies off."""
    users = api.get("/api/v1/users").raise_for_status().json()
    members = [u["id"] for u in users if u["is_active"]]
    inbox: dict[str, Any] = (
        api.post("/api/v1/inboxes", json={"name": unique(name), "member_ids": members})
        .raise_for_status()
        .json()
    )
    url = f"/api/v1/inboxes/{inbox['id']}/routing"
    routing = api.get(url).raise_for_status().json()
    routing.update(
        greeting_enabled=False, queued_reply_enabled=False, outside_hours_reply_enabled=False
    )
    api.put(url, json=routing).raise_for_status()
    return inbox


def published_article(api: httpx.Client, slug: str, title: str, body: str) -> dict[str, Any]:
    article: dict[str, Any] = (
        api.post(
            "/api/v1/kb/articles",
            json={
                "slug": slug,
                "status": "published",
                "locales": {"en": {"title": title, "body": body}},
            },
        )
        .raise_for_status()
        .json()
    )
    return article


def open_page(page: Page, server: KefuServer, hash_path: str) -> None:
    page.goto(f"{server.base_url}/console/#/{hash_path}")
    expect(page.locator("nav.sidenav")).to_be_visible()


# --- bot settings --------------------------------------------------------------------------------


def test_admin_enables_the_bot_and_saves_its_settings(
    kefu_server: KefuServer, browser: Browser
) -> None:
    with api_as(kefu_server, ADMIN) as api:
        inbox = new_inbox(api, "Bot desk")
        url = f"/api/v1/inboxes/{inbox['id']}/bot"
        assert api.get(url).raise_for_status().json()["enabled"] is False
        with agent_page(browser, kefu_server, ADMIN) as page:
            page.locator('a[data-page="bot"]').click()
            page.get_by_label("收件匣", exact=True).select_option(label=inbox["name"])
            form = page.locator("form.bot-form")
            expect(page.get_by_role("heading", name=f"FAQ 機器人:{inbox['name']}")).to_be_visible()
            form.get_by_label("在此收件匣啟用機器人回答").check()
            form.get_by_label("機器人名稱 (繁體中文)").fill("小客")
            form.get_by_label("機器人名稱 (English)").fill("Kefu helper")
            form.get_by_label("信心門檻(0–1)").fill("0.62")
            form.get_by_label("歡迎訊息 (English)").fill("Hello! Ask me anything.")
            form.get_by_role("button", name="新增按鈕").click()
            row = form.locator(".menu-row").last
            row.get_by_label("標籤(繁體中文)").fill("查詢訂單")
            row.get_by_label("標籤(English)").fill("Order status")
            row.get_by_label("按下時").select_option("question")
            form.get_by_label("其他要求真人的說法").fill("找客服, 人工")
            # The write-only API key: not set, then entered.
            key = form.locator(".secret-field")
            expect(key.locator(".secret-state")).to_have_text("未設定")
            key.get_by_role("button", name="輸入金鑰").click()
            key.get_by_label("API 金鑰").fill("sk-test-0123456789")

            # A question button without its question: the API's refusal is shown readably.
            form.get_by_role("button", name="儲存").click()
            error = form.locator(".form-error")
            expect(error).to_be_visible()
            expect(error).to_contain_text("menu")
            row.get_by_label("值").fill("我的訂單到哪裡了")
            form.get_by_role("button", name="儲存").click()
            expect(page.locator("#toasts")).to_contain_text("已儲存")

            stored = api.get(url).raise_for_status().json()
            assert stored["enabled"] is True
            assert stored["threshold"] == pytest.approx(0.62)
            assert stored["name"] == {"zh-TW": "小客", "en": "Kefu helper"}
            assert stored["handoff_keywords"] == ["找客服", "人工"]
            assert stored["generative_api_key_set"] is True
            assert "sk-test" not in str(stored)
            assert {
                "label": {"zh-TW": "查詢訂單", "en": "Order status"},
                "kind": "question",
                "value": "我的訂單到哪裡了",
            } in stored["menu"]

            # A reload shows what was saved; the key only as "set".
            page.reload()
            form = page.locator("form.bot-form")
            expect(form.get_by_label("在此收件匣啟用機器人回答")).to_be_checked()
            expect(form.get_by_label("信心門檻(0–1)")).to_have_value("0.62")
            expect(form.get_by_label("機器人名稱 (繁體中文)")).to_have_value("小客")
            expect(form.get_by_label("歡迎訊息 (English)")).to_have_value("Hello! Ask me anything.")
            row = form.locator(".menu-row").last
            expect(row.get_by_label("標籤(English)")).to_have_value("Order status")
            expect(row.get_by_label("值")).to_have_value("我的訂單到哪裡了")
            key = form.locator(".secret-field")
            expect(key.locator(".secret-state")).to_have_text("已設定(隱藏)")
            expect(key.get_by_label("API 金鑰")).to_be_hidden()

            # Saving again without touching the key keeps it; Clear removes it. (A toast from
            # the first save may still show: wait until the saved form has been rebuilt.)
            before = form.element_handle()
            form.get_by_role("button", name="儲存").click()
            before.wait_for_element_state("hidden")  # detached: the page rebuilt the form
            assert api.get(url).json()["generative_api_key_set"] is True
            form = page.locator("form.bot-form")
            form.locator(".secret-field").get_by_role("button", name="清除").click()
            expect(form.locator(".secret-state")).to_have_text("儲存時清除")
            form.get_by_role("button", name="儲存").click()
            expect(form.locator(".secret-state")).to_have_text("未設定")
            assert api.get(url).json()["generative_api_key_set"] is False
            assert api.get(url).json()["enabled"] is True


def test_bot_pages_at_phone_width(kefu_server: KefuServer, browser: Browser) -> None:
    with agent_page(browser, kefu_server, ADMIN, viewport=PHONE) as page:
        for name, ready in (
            ("bot", "form.bot-form button[type=submit]"),
            ("bot-actions", "button[data-action=new-bot-action]"),
            ("bot-learning", "form.bot-range button[type=submit]"),
            ("bot-metrics", "form.bot-range button[type=submit]"),
        ):
            open_page(page, kefu_server, name)
            control = page.locator(ready)
            control.scroll_into_view_if_needed()
            expect(control).to_be_in_viewport()
            # Nothing sticks out sideways (wide tables scroll inside their own card).
            overflow = page.evaluate(
                "() => { const p = document.querySelector('.page');"
                " return p.scrollWidth - p.clientWidth; }"
            )
            assert overflow <= 0, f"#/{name} is {overflow}px too wide at phone width"


# --- actions -------------------------------------------------------------------------------------


def test_admin_creates_an_action_and_tests_it(kefu_server: KefuServer, browser: Browser) -> None:
    key = f"order-{int(time.time() * 1000) % 10**8}"
    with api_as(kefu_server, ADMIN) as api, agent_page(browser, kefu_server, ADMIN) as page:
        open_page(page, kefu_server, "bot-actions")
        expect(page.get_by_role("heading", name="機器人動作")).to_be_visible()
        page.get_by_role("button", name="新增動作").click()
        form = page.locator("form.bot-action-form")
        form.get_by_label("代碼").fill(key)
        form.get_by_label("名稱 (English)").fill("Order status")
        form.get_by_label("觸發的說法").fill("查詢訂單\nwhere is my order")
        form.get_by_label("機器人的提問 (English)").fill("Your order number?")
        form.get_by_label("接受的值(正規表示式)").fill("[A-Z0-9]{6,12}")
        form.get_by_label("網址").fill("https://orders.invalid/kefu/status")
        form.get_by_label("簽章密鑰").fill("a-signing-secret-of-32-characters")
        form.get_by_label("回答 (English)").fill("Order {{order_id}}: {{status}}")
        form.get_by_role("button", name="建立").click()
        card = page.locator(f".bot-action-card[data-key='{key}']")
        expect(card).to_be_visible()
        expect(card).to_contain_text("https://orders.invalid/kefu/status")

        stored = next(a for a in api.get("/api/v1/bot/actions").json() if a["key"] == key)
        assert stored["secret_set"] is True
        assert stored["triggers"] == ["查詢訂單", "where is my order"]
        assert "secret" not in stored

        # The Test box: a value the pattern refuses, then one the (unreachable) service fails;
        # either way the admin reads why, and nothing breaks.
        value = card.get_by_label(f"用來測試動作 {key} 的值")
        result = card.locator(".bot-test-result")
        value.fill("bad value")
        card.get_by_role("button", name="測試").click()
        expect(result).to_have_attribute("data-result", "error")
        expect(result).to_contain_text(re.compile(r"^失敗:\s*\S"))
        refused = result.inner_text()
        value.fill("AB123456")
        card.get_by_role("button", name="測試").click()
        expect(result).not_to_have_text(refused, timeout=15_000)  # another reason: the call
        expect(result).to_have_attribute("data-result", "error")
        expect(result).to_contain_text(re.compile(r"^失敗:\s*\S"))

        # Editing keeps the secret unless a new one is typed.
        card.get_by_role("button", name=f"編輯動作 {key}").click()
        form = page.locator("form.bot-action-form")
        expect(form.get_by_label("簽章密鑰", exact=True)).to_have_value("")
        form.get_by_label("逾時(秒,最多 10)").fill("3")
        form.get_by_role("button", name="儲存").click()
        expect(page.locator("form.bot-action-form")).to_have_count(0)
        stored = api.get(f"/api/v1/bot/actions/{stored['id']}").json()
        assert stored["timeout_seconds"] == 3
        assert stored["secret_set"] is True


# --- agent assist --------------------------------------------------------------------------------


def test_assist_suggests_an_article_and_inserts_it(
    kefu_server: KefuServer, browser: Browser
) -> None:
    tag = unique("x").split()[-1]
    title = f"Opening hours of the shop {tag}"
    with api_as(kefu_server, ADMIN) as api:
        inbox = new_inbox(api, "Assist desk")
        published_article(
            api,
            f"opening-hours-{tag}",
            title,
            "We are open Monday to Friday, 9:00 to 18:00, and Saturday 10:00 to 16:00.",
        )
        with agent_page(browser, kefu_server, "alex@kefu.local") as page:
            question = f"What are your opening hours on Saturday? {tag}"
            token = visitor_writes(kefu_server, inbox["public_key"], question)
            open_conversation(page, question)
            panel = page.locator("details.assist")
            expect(panel).to_be_visible()
            expect(panel.locator(".assist-question")).to_have_text(question)
            item = panel.locator(".assist-item[data-kind=article]", has_text=title)
            expect(item).to_be_visible()
            link = item.get_by_role("link", name=title)
            expect(link).to_have_attribute("target", "_blank")
            expect(link).to_have_attribute("rel", re.compile("noopener"))
            expect(link).to_have_attribute("href", re.compile(f"opening-hours-{tag}"))

            composer = page.locator("#composer-input")
            composer.fill("Hi!")
            item.get_by_role("button", name=re.compile("Insert")).click()
            expect(composer).to_have_value(re.compile(r"^Hi!\n.*(9:00|Opening hours)", re.S))
            expect(composer).to_be_focused()

            # The customer writes again: the suggestions follow, canned responses included
            # (their variables filled as the "/" picker fills them).
            with api_as(kefu_server, "alex@kefu.local") as alex:
                alex.post(
                    "/api/v1/canned-responses",
                    json={
                        "shortcut": f"refund{tag}",
                        "title": f"Refund policy {tag}",
                        "content": f"Hi {{{{agent.name}}}} here: refunds take 5 days {tag}.",
                    },
                ).raise_for_status()
            second = f"How long does a refund take {tag}?"
            visitor_writes(kefu_server, inbox["public_key"], second, token)
            expect(panel.locator(".assist-question")).to_have_text(second)
            canned = panel.locator(
                ".assist-item[data-kind=canned]", has_text=f"Refund policy {tag}"
            )
            expect(canned).to_be_visible()
            composer.fill("")
            canned.get_by_role("button", name=re.compile("Insert")).click()
            expect(composer).to_have_value(f"Hi Alex Chen here: refunds take 5 days {tag}.")


# --- the learning loop and the daily figures -----------------------------------------------------


def test_unanswered_group_becomes_a_qa_pair(kefu_server: KefuServer, browser: Browser) -> None:
    tag = unique("x").split()[-1]
    question = f"Do you sell gift vouchers {tag}?"
    with api_as(kefu_server, ADMIN) as api:
        inbox = new_inbox(api, "Learning desk")
        url = f"/api/v1/inboxes/{inbox['id']}/bot"
        settings = api.get(url).raise_for_status().json()
        settings.pop("generative_api_key_set")
        # A threshold no match reaches: the bot hands every question to a person.
        api.put(url, json={**settings, "enabled": True, "threshold": 1.0}).raise_for_status()
        token = visitor_writes(kefu_server, inbox["public_key"], question)
        visitor_writes(kefu_server, inbox["public_key"], f"gift vouchers for sale {tag}?", token)

        def grouped() -> bool:
            report = api.get("/api/v1/bot/unanswered").raise_for_status().json()
            return any(tag in g["representative"] for g in report["groups"])

        deadline = time.monotonic() + 15
        while not grouped():  # the bot's turn runs right after the message commits
            assert time.monotonic() < deadline, "the bot never logged the unanswered question"
            time.sleep(0.3)

        with agent_page(browser, kefu_server, ADMIN) as page:
            page.locator('a[data-page="bot"]').click()
            page.locator(".bot-tabs").get_by_role("link", name="未能回答的問題").click()
            expect(page.get_by_role("heading", name="機器人未能回答的問題")).to_be_visible()
            range_form = page.locator("form.bot-range")
            range_form.get_by_label("收件匣").select_option(label=inbox["name"])
            range_form.get_by_role("button", name="顯示").click()
            expect(page.locator(".bot-group")).to_have_count(1)  # this inbox's only group
            group = page.locator(".bot-group", has_text=tag).first
            expect(group).to_be_visible()
            example = group.locator(".bot-examples a").first
            expect(example).to_have_attribute("href", re.compile(r"^#/conversations/\d+$"))
            group.get_by_role("button", name="建立問答組").click()
            form = group.locator("form.bot-qa-form")
            questions = form.get_by_label("問題(每行一個)")
            expect(questions).to_have_value(re.compile(tag))
            questions.fill(f"{questions.input_value()}\nCan I buy a gift card {tag}?")
            form.get_by_label("語言").select_option("en")
            answer = f"Yes: gift vouchers are sold at the counter {tag}."
            form.get_by_label("回答", exact=True).fill(answer)
            form.get_by_role("button", name="建立").click()
            expect(group.locator(".bot-group-done")).to_have_text("完成:已有問答組回答此問題。")
            expect(group.get_by_role("button", name="建立問答組")).to_be_hidden()

            pairs = api.get("/api/v1/kb/qa", params={"locale": "en"}).raise_for_status().json()
            made = [p for p in pairs if p["answer"] == answer]
            assert len(made) == 1
            assert f"Can I buy a gift card {tag}?" in made[0]["questions"]
            assert any(tag in q and "gift vouchers" in q for q in made[0]["questions"])
            # Dealt with: the group leaves the report.
            assert not grouped()

            # The daily figures: the conversation the bot handed off is counted today.
            page.locator(".bot-tabs").get_by_role("link", name="每日數據").click()
            table = page.locator("table.bot-metrics-table")
            expect(table).to_be_visible()
            expect(table.locator("thead th")).to_contain_text(
                ["日期", "機器人對話", "機器人獨力完成", "自助解決率", "轉真人"]
            )
            total = table.locator("tfoot tr")
            expect(total.locator("th")).to_have_text("合計")
            handed = int(total.locator("td[data-col=handoffs]").inner_text())
            assert handed >= 1
            expect(total.locator("td[data-col=byReason]")).to_contain_text("無把握的答案")


def test_a_supervisor_sees_the_report_but_not_the_settings(
    kefu_server: KefuServer, browser: Browser
) -> None:
    supervisor = f"lead-{uuid.uuid4().hex[:8]}@kefu.local"
    password = "lead-password-123"
    with api_as(kefu_server, ADMIN) as api:
        api.post(
            "/api/v1/users",
            json={
                "email": supervisor,
                "name": "Lead",
                "password": password,
                "role": "supervisor",
                "locale": "en",
            },
        ).raise_for_status()
    kefu_server.logins[supervisor] = ("supervisor", password)
    with agent_page(browser, kefu_server, supervisor) as page:
        link = page.locator('a.nav-link[data-page="bot-learning"]')
        link.click()
        heading = page.get_by_role("heading", name="Questions the bot could not answer")
        expect(heading).to_be_visible()
        tabs = page.locator(".bot-tabs a")
        expect(tabs).to_have_count(2)
        expect(link).to_have_attribute("aria-current", "page")
        page.goto(f"{kefu_server.base_url}/console/#/bot")
        expect(page).to_have_url(re.compile("#/conversations$"))
