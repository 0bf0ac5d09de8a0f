"""Browser tests of the agent console against a real `kefu serve` process.

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
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Dialog,
    Locator,
    Page,
    ViewportSize,
    expect,
)

from tests.e2e.conftest import KefuServer

pytestmark = pytest.mark.e2e

DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}
XSS = "<img src=x onerror=alert(1)>"


# --- the customer side ---------------------------------------------------------------------------


def visitor_send(server: KefuServer, text: str, token: str | None = None) -> str:
    """Send a visitor message through the widget API; returns the visitor token."""
    headers = {"X-Kefu-Visitor": token} if token else {}
    response = httpx.post(
        f"{server.base_url}/api/v1/widget/{server.inbox_key}/messages",
        json={"text": text, "client_msg_id": uuid.uuid4().hex},
        headers=headers,
        timeout=10,
    )
    response.raise_for_status()
    visitor_token: str = response.json()["visitor_token"]
    return visitor_token


def visitor_texts(server: KefuServer, token: str) -> list[str]:
    """The texts the visitor sees in their session (no internal notes, no activity)."""
    response = httpx.get(
        f"{server.base_url}/api/v1/widget/{server.inbox_key}/session",
        headers={"X-Kefu-Visitor": token},
        timeout=10,
    )
    response.raise_for_status()
    return [m["text"] for m in response.json()["messages"]]


def unique(label: str) -> str:
    return f"{label} {uuid.uuid4().hex[:8]}"


# --- the agent side ------------------------------------------------------------------------------


@contextmanager
def agent_page(
    browser: Browser,
    server: KefuServer,
    email: str,
    *,
    locale: str = "en-US",
    viewport: ViewportSize | None = None,
    **options: Any,
) -> Iterator[Page]:
    context: BrowserContext = browser.new_context(
        locale=locale, viewport=viewport or DESKTOP, **options
    )
    try:
        page = context.new_page()
        page.goto(f"{server.base_url}/console/")
        log_in(page, server, email)
        yield page
    finally:
        context.close()


def log_in(page: Page, server: KefuServer, email: str, password: str | None = None) -> None:
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(password or server.password(email))
    page.locator("form.login-card button[type=submit]").click()
    expect(page.locator("nav.sidenav")).to_be_visible()


def conversation_item(page: Page, text: str) -> Locator:
    return page.locator(".conv-item", has_text=text)


def open_conversation(page: Page, text: str) -> str:
    """Open the conversation whose list preview shows `text`; returns its id."""
    item = conversation_item(page, text)
    expect(item).to_be_visible()
    conversation_id = item.get_attribute("data-id")
    assert conversation_id
    item.click()
    expect(page.locator(".thread .messages")).to_be_visible()
    return conversation_id


def reply(page: Page, text: str) -> None:
    page.locator("#composer-input").fill(text)
    page.locator("#composer-input").press("Enter")
    confirmed = page.locator(".msg-outgoing:not(.is-pending)", has_text=text)
    expect(confirmed).to_have_count(1)


# --- tests ---------------------------------------------------------------------------------------


def test_login_live_message_and_reply(kefu_server: KefuServer, browser: Browser) -> None:
    context = browser.new_context(locale="en-US", viewport=DESKTOP)
    page = context.new_page()
    page.goto(f"{kefu_server.base_url}/console/")
    expect(page.get_by_role("heading", name="Sign in to kefu")).to_be_visible()

    page.get_by_label("Email").fill("alex@kefu.local")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".form-error")).to_have_text("Wrong email or password.")
    expect(page.locator("nav.sidenav")).to_have_count(0)

    log_in(page, kefu_server, "alex@kefu.local")  # Alex's locale is English
    expect(page.get_by_role("heading", name="Conversations")).to_be_visible()

    first = unique("Hello, is my order shipped?")
    token = visitor_send(kefu_server, first)
    item = conversation_item(page, first)
    expect(item).to_be_visible()  # live, without a reload
    expect(item.locator(".badge")).to_have_text("1")
    second = unique("Order number 1234")
    visitor_send(kefu_server, second, token)
    item = conversation_item(page, second)
    expect(item.locator(".badge")).to_have_text("2")
    expect(item.locator(".conv-name")).to_have_text(re.compile(r"^Visitor #\d+$"))

    conversation_id = open_conversation(page, second)
    incoming = page.locator(".msg-incoming .msg-text")
    expect(incoming).to_have_text([first, second])
    unread = page.locator(f'.conv-item[data-id="{conversation_id}"] .badge')
    expect(unread).to_have_count(0)  # opening marks it read

    answer = unique("Yes, it ships today.")
    reply(page, answer)
    assert visitor_texts(kefu_server, token) == [first, second, answer]

    # The customer reads it: the console shows "Seen" live.
    httpx.post(
        f"{kefu_server.base_url}/api/v1/widget/{kefu_server.inbox_key}/conversations/"
        f"{_public_id(kefu_server, token)}/read",
        json={"seq": 99},
        headers={"X-Kefu-Visitor": token},
        timeout=10,
    ).raise_for_status()
    expect(page.locator(".msg-outgoing", has_text=answer).locator(".state-seen")).to_have_text(
        "Seen"
    )
    page.screenshot(path="/tmp/console-desktop-en.png")

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Sign in to kefu")).to_be_visible()
    context.close()


def _public_id(server: KefuServer, token: str) -> str:
    response = httpx.get(
        f"{server.base_url}/api/v1/widget/{server.inbox_key}/session",
        headers={"X-Kefu-Visitor": token},
        timeout=10,
    )
    public_id: str = response.json()["conversation"]["id"]
    return public_id


def test_two_agents_see_each_other_live(kefu_server: KefuServer, browser: Browser) -> None:
    text = unique("I need help with a refund")
    token = visitor_send(kefu_server, text)
    with (
        agent_page(browser, kefu_server, "mei@kefu.local", locale="zh-TW") as mei,
        agent_page(browser, kefu_server, "alex@kefu.local") as alex,
    ):
        conversation_id = open_conversation(alex, text)
        open_conversation(mei, text)

        # Alex takes the conversation: Mei's header, sidebar, list and history update live.
        alex.locator("[data-action=assign-me]").click()
        expect(
            alex.locator(".msg-activity", has_text="Alex Chen took the conversation")
        ).to_be_visible()
        expect(mei.locator(".msg-activity", has_text="Alex Chen 接手了對話")).to_be_visible()
        expect(mei.locator("#assignee-select option:checked")).to_have_text("Alex Chen")
        mei_item = mei.locator(f'.conv-item[data-id="{conversation_id}"]')
        expect(mei_item.locator(".conv-assignee")).to_have_text("Alex Chen")

        # Mei types an internal note: Alex sees her typing, then the note; the visitor never does.
        mei.locator("[data-mode=note]").click()
        mei.locator("#composer-input").fill("Customer paid twice")
        expect(alex.locator(".typing-line")).to_have_text("王小美 Mei is typing…")
        note = unique("Refund approved by finance")
        mei.locator("#composer-input").fill(note)
        mei.locator("#composer-input").press("Enter")
        alex_note = alex.locator(".msg-note", has_text=note)
        expect(alex_note).to_be_visible()
        expect(alex_note.locator(".note-label")).to_have_text("Internal note")
        expect(mei.locator(".msg-note", has_text=note).locator(".note-label")).to_have_text(
            "內部備註"
        )
        assert note not in visitor_texts(kefu_server, token)

        # Mei resolves: Alex's view flips to Resolved, and it leaves both "open" lists.
        mei.locator("[data-action=resolve]").click()
        expect(alex.locator(".thread-title .pill")).to_have_text("Resolved")
        expect(alex.locator("[data-action=reopen]")).to_be_visible()
        expect(alex.locator(f'.conv-item[data-id="{conversation_id}"]')).to_have_count(0)
        expect(mei_item).to_have_count(0)

        # Alex reopens from the resolved filter; Mei's header follows.
        alex.locator("[data-action=reopen]").click()
        expect(mei.locator(".thread-title .pill")).to_have_text("處理中")


def test_login_rate_limit_is_readable(kefu_server: KefuServer, browser: Browser) -> None:
    email = "nobody@kefu.local"
    for _ in range(10):  # the server allows 10 attempts per address and email per window
        httpx.post(
            f"{kefu_server.base_url}/api/v1/auth/login",
            json={"email": email, "password": "wrong"},
            timeout=10,
        )
    context = browser.new_context(locale="en-US", viewport=DESKTOP)
    page = context.new_page()
    page.goto(f"{kefu_server.base_url}/console/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".form-error")).to_have_text(
        re.compile(r"^Too many attempts; try again in \d+ seconds\.$")
    )
    context.close()


def test_visitor_html_is_rendered_as_text(kefu_server: KefuServer, browser: Browser) -> None:
    with agent_page(browser, kefu_server, "alex@kefu.local") as page:
        dialogs: list[str] = []
        csp_errors: list[str] = []

        def on_dialog(dialog: Dialog) -> None:
            dialogs.append(dialog.message)
            dialog.dismiss()

        def on_console(message: ConsoleMessage) -> None:
            if "Content Security Policy" in message.text:
                csp_errors.append(message.text)

        page.on("dialog", on_dialog)
        page.on("console", on_console)
        visitor_send(kefu_server, XSS)
        item = page.locator(".conv-item", has=page.locator(".conv-preview", has_text=XSS)).first
        expect(item.locator(".conv-preview")).to_have_text(XSS)
        item.click()
        expect(page.locator(".msg-incoming .msg-text").last).to_have_text(XSS)
        assert page.locator("#app img").count() == 0
        assert dialogs == []
        assert csp_errors == []  # the console runs under its strict CSP


def test_admin_pages(kefu_server: KefuServer, browser: Browser) -> None:
    with agent_page(
        browser,
        kefu_server,
        "admin@kefu.local",
        permissions=["clipboard-read", "clipboard-write"],
    ) as page:
        # Agents: create one (the admin's own locale is zh-TW).
        page.locator('a[data-page="agents"]').click()
        expect(page.get_by_role("heading", name="客服人員", exact=True)).to_be_visible()
        form = page.locator("form", has=page.locator("input[name=password]"))
        form.get_by_label("名稱").fill("Lin Agent")
        form.get_by_label("電子郵件").fill("lin@kefu.local")
        form.get_by_label("密碼").fill("correct horse battery")
        form.get_by_label("角色").select_option("supervisor")
        form.get_by_role("button", name="建立").click()
        row = page.locator('tr[data-email="lin@kefu.local"]')
        expect(row).to_contain_text("Lin Agent")
        expect(row.locator("select")).to_have_value("supervisor")
        # A duplicate is refused with a readable, localised alert.
        form = page.locator("form", has=page.locator("input[name=password]"))
        form.get_by_label("名稱").fill("Lin Again")
        form.get_by_label("電子郵件").fill("lin@kefu.local")
        form.get_by_label("密碼").fill("correct horse battery")
        form.get_by_role("button", name="建立").click()
        expect(page.locator("#toasts")).to_contain_text("這個電子郵件已被使用。")
        # Deactivate the new agent.
        row.get_by_role("button", name="停用").click()
        expect(row).to_contain_text("已停用")

        # Inboxes: create one with an allowed origin, then copy its embed snippet.
        page.locator('a[data-page="inboxes"]').click()
        form = page.locator("form", has=page.locator("textarea[name=allowed_origins]"))
        form.get_by_label("名稱").fill("Shop chat")
        form.get_by_label("允許的網站來源(每行一個)").fill("https://shop.example.com/")
        form.get_by_role("button", name="建立").click()
        card = page.locator(".row-card", has_text="Shop chat")
        expect(card).to_contain_text("https://shop.example.com")
        card.get_by_role("button", name="嵌入程式碼: Shop chat").click()
        snippet = page.locator("#embed-snippet")
        expect(snippet).to_have_value(re.compile(r"widget\.js.*data-inbox="))
        page.get_by_role("button", name="複製").click()
        expect(page.locator("#toasts")).to_contain_text("已複製到剪貼簿")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert "widget.js" in copied and "data-inbox=" in copied

        # Teams: create one with a member.
        page.locator('a[data-page="teams"]').click()
        form = page.locator("form", has=page.locator("input[name=description]"))
        form.get_by_label("名稱").fill("VIP desk")
        form.get_by_label("Alex Chen").check()
        form.get_by_role("button", name="建立").click()
        expect(page.locator(".row-card", has_text="VIP desk")).to_contain_text("Alex Chen")

    with agent_page(browser, kefu_server, "alex@kefu.local") as agent:
        expect(agent.locator('a[data-page="conversations"]')).to_be_visible()
        for admin_page in ("agents", "teams", "inboxes"):
            expect(agent.locator(f'a[data-page="{admin_page}"]')).to_have_count(0)
        agent.goto(f"{kefu_server.base_url}/console/#/agents")
        expect(agent.get_by_role("heading", name="Conversations")).to_be_visible()


def test_long_history_is_paged(kefu_server: KefuServer, browser: Browser) -> None:
    tag = uuid.uuid4().hex[:6]
    token = visitor_send(kefu_server, f"{tag} message 1")
    with httpx.Client(base_url=kefu_server.base_url, timeout=10) as client:
        for n in range(2, 81):
            client.post(
                f"/api/v1/widget/{kefu_server.inbox_key}/messages",
                json={"text": f"{tag} message {n}", "client_msg_id": f"{tag}-{n}"},
                headers={"X-Kefu-Visitor": token},
            ).raise_for_status()
    with agent_page(browser, kefu_server, "alex@kefu.local") as page:
        open_conversation(page, f"{tag} message 80")
        texts = page.locator(".msg-incoming .msg-text")
        expect(texts).to_have_count(50)
        expect(texts.first).to_have_text(f"{tag} message 31")
        expect(texts.last).to_have_text(f"{tag} message 80")
        page.get_by_role("button", name="Load older messages").click()
        expect(texts).to_have_count(80)
        expect(texts.first).to_have_text(f"{tag} message 1")
        expect(page.get_by_role("button", name="Load older messages")).to_be_hidden()


def test_phone_width(kefu_server: KefuServer, browser: Browser) -> None:
    text = unique("Phone question")
    token = visitor_send(kefu_server, text)
    with agent_page(
        browser, kefu_server, "alex@kefu.local", viewport=PHONE, is_mobile=True, has_touch=True
    ) as page:
        item = conversation_item(page, text)
        expect(item).to_be_visible()
        expect(page.locator(".thread-wrap")).to_be_hidden()
        page.screenshot(path="/tmp/console-phone-list.png")
        item.click()
        expect(page.locator(".list-pane")).to_be_hidden()
        expect(page.locator(".msg-incoming .msg-text")).to_have_text([text])
        answer = unique("Answer from a phone")
        reply(page, answer)
        page.screenshot(path="/tmp/console-phone-thread.png")
        assert visitor_texts(kefu_server, token) == [text, answer]
        page.get_by_role("link", name="Back to conversations").click()
        expect(page.locator(".list-pane")).to_be_visible()
        expect(conversation_item(page, answer)).to_be_visible()


def test_zh_tw_labels(kefu_server: KefuServer, browser: Browser) -> None:
    text = unique("請問營業時間")
    visitor_send(kefu_server, text)
    context = browser.new_context(locale="zh-TW", viewport=DESKTOP)
    page = context.new_page()
    page.goto(f"{kefu_server.base_url}/console/")
    expect(page.get_by_role("heading", name="登入 kefu 客服")).to_be_visible()
    page.get_by_label("電子郵件").fill("mei@kefu.local")
    page.get_by_label("密碼").fill("wrong password")
    page.get_by_role("button", name="登入").click()
    expect(page.locator(".form-error")).to_have_text("電子郵件或密碼錯誤。")
    page.get_by_label("密碼").fill(kefu_server.password("mei@kefu.local"))
    page.get_by_role("button", name="登入").click()
    expect(page.get_by_role("heading", name="對話")).to_be_visible()
    for label in ("我的", "未指派", "全部"):
        expect(page.get_by_role("button", name=label, exact=True)).to_be_visible()
    open_conversation(page, text)
    expect(page.get_by_role("button", name="回覆", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="內部備註", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="標為已解決")).to_be_visible()
    expect(page.locator(".msg-incoming .msg-meta")).to_contain_text("訪客 #")
    page.screenshot(path="/tmp/console-desktop-zh.png")

    # Switching the language in the profile relabels the UI at once.
    page.locator('a[data-page="profile"]').click()
    page.get_by_label("語言").select_option("en")
    expect(page.get_by_role("heading", name="Profile")).to_be_visible()
    page.get_by_label("Language").select_option("zh-TW")
    expect(page.get_by_role("heading", name="個人設定")).to_be_visible()
    context.close()


def test_messages_typed_offline_are_sent_once_in_order(
    kefu_server: KefuServer, browser: Browser
) -> None:
    text = unique("Are you there?")
    token = visitor_send(kefu_server, text)
    with agent_page(browser, kefu_server, "alex@kefu.local") as page:
        open_conversation(page, text)
        page.evaluate("window.kefuConsole.goOffline()")
        expect(page.locator(".conn")).to_have_text("Reconnecting…")
        first, second = unique("first while offline"), unique("second while offline")
        for message in (first, second):
            page.locator("#composer-input").fill(message)
            page.locator("#composer-input").press("Enter")
        expect(page.locator(".msg.is-pending .state-queued")).to_have_count(2)
        missed = unique("sent while the agent was offline")
        visitor_send(kefu_server, missed, token)

        page.evaluate("window.kefuConsole.goOnline()")
        expect(page.locator(".conn")).to_have_text("Connected")
        expect(page.locator(".msg-outgoing:not(.is-pending)")).to_have_count(2)
        expect(page.locator(".msg-incoming .msg-text")).to_have_text([text, missed])
        expect(page.locator(".msg.is-pending")).to_have_count(0)
        assert visitor_texts(kefu_server, token) == [text, missed, first, second]

        # A plain reconnect resumes without duplicating anything.
        page.evaluate("window.kefuConsole.reconnect()")
        expect(page.locator(".conn")).to_have_text("Connected")
        visitor_send(kefu_server, "after reconnect", token)
        expect(page.locator(".msg-incoming .msg-text")).to_have_text(
            [text, missed, "after reconnect"]
        )
        expect(page.locator(".msg-outgoing")).to_have_count(2)
